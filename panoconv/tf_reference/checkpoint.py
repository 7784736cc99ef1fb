"""Write seeded checkpoints of any TF-born card in the exact TF1 format that upstream training leaves behind.

Files: `<prefix>-<step>.index`, `.data-00000-of-00001`, `.meta`, and a `checkpoint` text file, via
`tf.compat.v1.train.Saver`, the same writer upstream uses. With `with_optimizer`, the checkpoint also
holds the Adam slots `<var>/Adam` and `<var>/Adam_1`, `beta1_power`, `beta2_power` and the global
step under the bare name `Variable`, as upstream's `tf.Variable(0, trainable=False)` leaves it.

Values are drawn with numpy from `seed` (independent of the TF version): kernels Glorot-uniform as
slim's default initializer, biases U(-0.1, 0.1) rather than slim's zeros so that a converter which
dropped or misplaced a bias would be caught by parity.

The network is any TensorFlow-born architecture card (`architecture`): its name table gives the
variables, its TF forward builds the graph (variables created in upstream order).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from panoconv.arch import DEFAULT_ARCH, ArchCard, get_card
from panoconv.io.atomic import atomic_file, check_can_write, fsync_dir, fsync_file, sweep_stale, temp_prefix
from panoconv.io.oserrors import translated
from panoconv.progress import Stages
from panoconv.tf_reference._tf import import_tf

ADAM_BETA1 = 0.9
ADAM_BETA2 = 0.999


@dataclass(frozen=True)
class CheckpointSpec:
    out_prefix: Path
    seed: int = 0
    step: int = 180000
    with_optimizer: bool = False
    force: bool = False
    architecture: str = DEFAULT_ARCH


def seeded_weights(seed: int, architecture: str | ArchCard = DEFAULT_ARCH) -> dict[str, np.ndarray]:
    """Deterministic float32 weights for every variable of the card's network, keyed by TF name."""
    card = get_card(architecture) if isinstance(architecture, str) else architecture
    card.require_tf()
    rng = np.random.default_rng(seed)
    values: dict[str, np.ndarray] = {}
    for row in card.tf_name_table:
        if len(row.tf_shape) == 4:
            kh, kw, c2, c3 = row.tf_shape  # fan_in + fan_out is symmetric in the two channel axes
            limit = np.sqrt(6.0 / (kh * kw * (c2 + c3)))
            values[row.tf_name] = rng.uniform(-limit, limit, row.tf_shape).astype(np.float32)
        else:
            values[row.tf_name] = rng.uniform(-0.1, 0.1, row.tf_shape).astype(np.float32)
    return values


def checkpoint_files(prefix: Path) -> list[Path]:
    return [Path(f"{prefix}.index"), Path(f"{prefix}.data-00000-of-00001"), Path(f"{prefix}.meta")]


def make_checkpoint(spec: CheckpointSpec, values: dict[str, np.ndarray] | None = None) -> Path:
    """Write the checkpoint; returns the prefix written (`<out_prefix>-<step>`).

    `values` (TF name -> HWIO float32 array, every variable of the card) are the weights to save, e.g.
    a PyTorch-trained model through `converter.name_map.torch_to_tf`; default `seeded_weights(seed)`.
    All files are written in a temporary folder beside the target and moved in at the end, so an
    interrupted run leaves nothing half-written.
    """
    card = get_card(spec.architecture)
    card.require_tf()
    out_dir = spec.out_prefix.parent.resolve()
    final_prefix = out_dir / f"{spec.out_prefix.name}-{spec.step}"
    targets = checkpoint_files(final_prefix)
    check_can_write(targets[0], spec.force)  # a checkpoint exists when its .index does; before TF (seconds)
    stages = Stages("make-checkpoint")
    stages.step("importing TensorFlow")
    tf = import_tf()
    with translated(final_prefix):
        out_dir.mkdir(parents=True, exist_ok=True)
    sweep_stale(out_dir)
    stages.step(f"{card.name} weights" + (f" (seed {spec.seed})" if values is None else " (given)"))
    values = seeded_weights(spec.seed, card) if values is None else _checked(card, values)
    rng = np.random.default_rng(spec.seed + 1)

    graph = tf.Graph()
    with graph.as_default():
        from panoconv.tf_reference._params import GraphVariables

        stages.step("building the upstream graph" + (" with Adam" if spec.with_optimizer else ""))
        images = tf.compat.v1.placeholder(tf.float32, [None, None, None, card.input_channels], name="images")
        disps = card.load_tf_forward()(images, GraphVariables())
        if spec.with_optimizer:
            global_step = tf.Variable(0, trainable=False)  # upstream's unnamed step -> "Variable"
            loss = tf.add_n([tf.reduce_mean(d) for d in disps])
            optimizer = tf.compat.v1.train.AdamOptimizer(1e-4, ADAM_BETA1, ADAM_BETA2)
            optimizer.minimize(loss, global_step=global_step)
        saver = tf.compat.v1.train.Saver(max_to_keep=None)
        assignments = dict(values)
        if spec.with_optimizer:
            assignments.update(_optimizer_state(optimizer, global_step, spec.step, rng))
        with tf.compat.v1.Session(graph=graph) as sess:
            stages.step(f"assigning {len(assignments)} variables")
            _load_all(sess, assignments)
            stages.step(f"saving {final_prefix}")
            tmp = Path(tempfile.mkdtemp(dir=out_dir, prefix=temp_prefix(final_prefix.name), suffix=".tmp"))
            try:
                with translated(final_prefix, tmp):
                    saver.save(sess, str(tmp / final_prefix.name), write_meta_graph=True, write_state=False)
                    _move_in(checkpoint_files(tmp / final_prefix.name), targets)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    _write_state_file(out_dir, final_prefix.name)
    stages.done(f"wrote {final_prefix}")
    return final_prefix


def _checked(card: ArchCard, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """`values` as float32, exactly the card's variables with the card's TF shapes."""
    want = {row.tf_name: tuple(row.tf_shape) for row in card.tf_name_table}
    got = {name: tuple(np.shape(v)) for name, v in values.items()}
    if got != want:
        missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
        shapes = sorted(n for n in set(want) & set(got) if want[n] != got[n])
        raise ValueError(f"values do not fit {card.name}: missing {missing[:3]}, unexpected {extra[:3]}, "
                         f"shape mismatch {shapes[:3]}")
    return {name: np.asarray(v, dtype=np.float32) for name, v in values.items()}


def _load_all(sess, assignments: dict[str, np.ndarray]) -> None:
    """Set every variable by feeding its initializer, so no value becomes a constant in `.meta` (as upstream).

    One `Session.run` for all of them: each distinct run signature costs a graph prune and optimisation
    pass (about 0.2 s apiece on the ResNet50 training graph, 1.5 minutes for its 489 variables).
    """
    tf = import_tf()
    variables = {v.op.name: v for v in tf.compat.v1.global_variables()}
    unknown = sorted(set(assignments) - set(variables))
    if unknown:
        raise AssertionError(f"values for variables the graph does not have: {unknown[:3]}")
    rest = [v for name, v in variables.items() if name not in assignments]
    if rest:
        sess.run(tf.compat.v1.variables_initializer(rest))
    chosen = [variables[name] for name in assignments]
    feeds = {v.initializer.inputs[1]: assignments[v.op.name] for v in chosen}
    sess.run([v.initializer for v in chosen], feeds)


def _optimizer_state(optimizer, global_step, step: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Plausible non-zero Adam state, as after `step` upstream training steps: variable name -> value."""
    tf = import_tf()
    beta1_power, beta2_power = optimizer._get_beta_accumulators()
    state = {
        global_step.op.name: np.int32(step),
        beta1_power.op.name: np.float32(ADAM_BETA1 ** (step + 1)),
        beta2_power.op.name: np.float32(ADAM_BETA2 ** (step + 1)),
    }
    for var in tf.compat.v1.trainable_variables():
        shape = var.shape.as_list()
        state[optimizer.get_slot(var, "m").op.name] = rng.normal(0.0, 1e-4, shape).astype(np.float32)
        state[optimizer.get_slot(var, "v").op.name] = np.abs(rng.normal(0.0, 1e-8, shape)).astype(np.float32)
    return state


def _move_in(sources: list[Path], targets: list[Path]) -> None:
    """Rename the written files into place so that no moment shows a mixed or partial checkpoint.

    Readers find a checkpoint by its `.index`, so an old index goes first (the old checkpoint disappears
    whole), then data and meta, then the new index (the new one appears whole). A kill in between leaves
    data without an index: no checkpoint, and the rerun replaces those files.
    """
    index, *rest = targets
    for src in sources:
        fsync_file(src)
    if index.exists():
        index.unlink()
        fsync_dir(index.parent)
    for src, dst in zip(sources[1:], rest):
        os.replace(src, dst)
    fsync_dir(index.parent)
    os.replace(sources[0], index)
    fsync_dir(index.parent)


def _write_state_file(out_dir: Path, name: str) -> None:
    """The `checkpoint` text file upstream's Saver keeps, pointing at the newest checkpoint."""
    text = f'model_checkpoint_path: "{name}"\nall_model_checkpoint_paths: "{name}"\n'
    with atomic_file(out_dir / "checkpoint", "w") as f:
        f.write(text)
