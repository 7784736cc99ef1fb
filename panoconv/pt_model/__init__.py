"""PyTorch networks, built by name through a small registry."""

from panoconv.pt_model._registry import create_model, list_models, register_model
from panoconv.pt_model.monodepth import MonodepthConfig, MonodepthVGG
from panoconv.pt_model.rectnet import RectNet, RectNetConfig  # registers "rectnet"
from panoconv.pt_model.uresnet import UResNet, UResNetConfig  # registers "uresnet"

__all__ = ["create_model", "list_models", "register_model", "MonodepthConfig", "MonodepthVGG",
           "RectNet", "RectNetConfig", "UResNet", "UResNetConfig"]
