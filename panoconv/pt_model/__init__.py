"""PyTorch networks, built by name through the card registry (`panoconv.arch`)."""

from panoconv.pt_model._registry import create_model, list_models
from panoconv.pt_model.monodepth import MonodepthConfig, MonodepthNet, MonodepthVGG
from panoconv.pt_model.monodepth_resnet import MonodepthResNet50
from panoconv.pt_model.rectnet import RectNet, RectNetConfig
from panoconv.pt_model.uresnet import UResNet, UResNetConfig

__all__ = [
           "MonodepthConfig",
           "MonodepthNet",
           "MonodepthResNet50",
           "MonodepthVGG",
           "RectNet",
           "RectNetConfig",
           "UResNet",
           "UResNetConfig",
           "create_model",
           "list_models",
]
