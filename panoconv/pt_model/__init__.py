"""PyTorch networks, built by name through the card registry (`panoconv.arch`)."""

from panoconv.pt_model._registry import create_model, list_models
from panoconv.pt_model.monodepth import MonodepthConfig, MonodepthVGG
from panoconv.pt_model.rectnet import RectNet, RectNetConfig
from panoconv.pt_model.uresnet import UResNet, UResNetConfig

__all__ = ["create_model", "list_models", "MonodepthConfig", "MonodepthVGG",
           "RectNet", "RectNetConfig", "UResNet", "UResNetConfig"]
