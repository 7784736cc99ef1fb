"""Build models by name: `create_model("monodepth-vgg", ring_pad=True)`."""

from __future__ import annotations

from typing import Callable

from torch import nn

_MODELS: dict[str, Callable[..., nn.Module]] = {}


def register_model(name: str) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Decorator: register a model factory under `name`. Duplicate names raise."""

    def decorate(factory: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        if name in _MODELS:
            raise ValueError(f"model {name!r} is already registered")
        _MODELS[name] = factory
        return factory

    return decorate


def list_models() -> list[str]:
    return sorted(_MODELS)


def create_model(name: str, **kwargs) -> nn.Module:
    """Instantiate a registered architecture; unknown names list the known ones."""
    if name not in _MODELS:
        raise KeyError(f"unknown architecture {name!r}; known: {', '.join(list_models())}")
    return _MODELS[name](**kwargs)
