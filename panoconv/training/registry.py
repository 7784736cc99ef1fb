"""`TASKS`: the kinds of training `panoconv train --task NAME` knows, built from a `TrainConfig`.

To add a task:

    from panoconv.training.registry import TaskDefaults, register_task

    @register_task("mytask", TaskDefaults(arch="rectnet", lr=2e-4, batch_size=10, epochs=10))
    def _build(config: TrainConfig) -> TrainableTask:   # config is already resolved (no None recipe fields)
        return MyTask(arch=config.arch, lr=config.lr, ...)

The object returned implements `panoconv.training.task.TrainableTask` (name, build_model, loss,
build_dataset, make_optimizer, make_scheduler; optionally sample_images). The trainer needs nothing else.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from panoconv.arch import get_card, list_cards
from panoconv.training.config import ConfigError, TrainConfig
from panoconv.training.stereo_task import StereoRecipe
from panoconv.training.supervised_task import SUPERVISED_DEFAULT_ARCH, SupervisedRecipe
from panoconv.training.task import TrainableTask

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TaskDefaults:
    """Recipe values a task uses when the config leaves them unset (None)."""

    arch: str
    lr: float
    batch_size: int
    epochs: int

    @classmethod
    def of(cls, recipe: Any, arch: str | None = None) -> TaskDefaults:
        """The defaults a published recipe gives (its own `arch` unless one is named): one source."""
        return cls(arch=arch or recipe.arch, lr=recipe.lr, batch_size=recipe.batch_size, epochs=recipe.epochs)


@dataclass(frozen=True)
class TaskEntry:
    build: Callable[[TrainConfig], TrainableTask]
    defaults: TaskDefaults


TASKS: dict[str, TaskEntry] = {}


def register_task(name: str, defaults: TaskDefaults) -> Callable[[Callable[[TrainConfig], TrainableTask]],
                                                                  Callable[[TrainConfig], TrainableTask]]:
    """Decorator registering a task factory under `name`; duplicate names raise."""

    def decorate(factory: Callable[[TrainConfig], TrainableTask]) -> Callable[[TrainConfig], TrainableTask]:
        if name in TASKS:
            raise ValueError(f"task {name!r} is already registered")
        TASKS[name] = TaskEntry(factory, defaults)
        return factory

    return decorate


def _entry(name: str) -> TaskEntry:
    if name not in TASKS:
        raise ConfigError(f"unknown task {name!r}; known: {', '.join(sorted(TASKS))}")
    return TASKS[name]


def resolve_config(config: TrainConfig) -> TrainConfig:
    """Fill arch / lr / batch_size / epochs left as None from the task's defaults.

    With `--init` weights and no `--arch`, the architecture is the weights' (recorded in their metadata,
    else detected from their tensors), so continuing a converted stereo or ResNet50 checkpoint needs no
    `--arch`. An architecture that another task trains is refused.
    """
    defaults = _entry(config.task).defaults
    changes = {f: getattr(defaults, f) for f in ("arch", "lr", "batch_size", "epochs")
               if getattr(config, f) is None}
    if config.arch is None and config.init and defaults.arch in list_cards():
        from panoconv.weights.loading import weights_card

        changes["arch"] = weights_card(config.init).name
        log.info("%s: --init weights are a %s; training that architecture", config.init, changes["arch"])
    resolved = dataclasses.replace(config, **changes) if changes else config
    if resolved.arch in list_cards():
        card = get_card(resolved.arch)
        if card.task is not None and card.task != resolved.task:
            raise ConfigError(f"{card.name} is trained with --task {card.task}, not --task {resolved.task}")
    return resolved


def create_task(config: TrainConfig) -> TrainableTask:
    """The task of a resolved config."""
    return _entry(config.task).build(resolve_config(config))


# --- built-in tasks ------------------------------------------------------------------------------
@register_task("stereo", TaskDefaults.of(StereoRecipe()))
def _stereo(config: TrainConfig) -> TrainableTask:
    from panoconv.training.stereo_task import StereoTask

    recipe = StereoRecipe(arch=config.arch, lr=config.lr, batch_size=config.batch_size, epochs=config.epochs)
    if config.upstream_loss:
        loss = dataclasses.replace(recipe.loss, equirect_rows="upstream-gpu")
        recipe = dataclasses.replace(recipe, loss=loss)
    return StereoTask(recipe, epochs=config.epochs, height=config.height, width=config.width,
                      augment=config.augment, seed=config.seed, skip_bad=config.skip_bad)


@register_task("supervised", TaskDefaults.of(SupervisedRecipe(), arch=SUPERVISED_DEFAULT_ARCH))
def _supervised(config: TrainConfig) -> TrainableTask:
    from panoconv.training.supervised_task import SupervisedTask

    recipe = SupervisedRecipe(lr=config.lr, batch_size=config.batch_size, epochs=config.epochs)
    variant = "omnidepth-pytorch" if config.upstream_loss else "masked"
    task = SupervisedTask(config.arch, recipe=recipe, size=(config.height, config.width),
                          rotate=config.augment, datasets=config.datasets, seed=config.seed,
                          skip_bad=config.skip_bad, loss_variant=variant,
                          skipped_dir=config.out if config.skip_bad else None)
    return task
