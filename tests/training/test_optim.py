"""TF1Adam against TensorFlow's real `tf.compat.v1.train.AdamOptimizer` (eager, resource variables)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from panoconv.training.optim import TF1Adam

SHAPES = [(3, 3, 4, 5), (5,), (17,)]


def _grads(rng: np.random.Generator, steps: int) -> list[list[np.ndarray]]:
    # Wide dynamic range so that epsilon matters for some elements.
    return [[rng.normal(size=s) * 10.0 ** rng.uniform(-9, 0, size=s) for s in SHAPES] for _ in range(steps)]


def _run_tf(init: list[np.ndarray], grads: list[list[np.ndarray]], dtype: str, lr: float) -> list[np.ndarray]:
    from panoconv.tf_reference._tf import import_tf

    tf = import_tf()
    variables = [tf.Variable(x.astype(dtype)) for x in init]
    opt = tf.compat.v1.train.AdamOptimizer(lr, 0.9, 0.999, 1e-8)
    for step in grads:
        opt.apply_gradients([(tf.constant(g.astype(dtype)), v) for g, v in zip(step, variables)])
    return [v.numpy() for v in variables]


def _run_torch(init, grads, dtype: str, lr: float, split_at: int | None = None) -> list[np.ndarray]:
    params = [torch.nn.Parameter(torch.tensor(x.astype(dtype))) for x in init]
    opt = TF1Adam(params, lr=lr)
    for i, step in enumerate(grads):
        if split_at is not None and i == split_at:  # save, rebuild, restore
            saved = opt.state_dict()
            opt = TF1Adam(params, lr=lr)
            opt.load_state_dict(saved)
        for p, g in zip(params, step):
            p.grad = torch.tensor(g.astype(dtype))
        opt.step()
    return [p.detach().numpy() for p in params]


@pytest.mark.tf
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matches_tf1_adam_optimizer(dtype):
    rng = np.random.default_rng(0)
    init = [rng.normal(size=s) * 0.1 for s in SHAPES]
    grads = _grads(rng, 5)
    ref = _run_tf(init, grads, dtype, 1e-4)
    out = _run_torch(init, grads, dtype, 1e-4)
    for a, b in zip(out, ref):
        assert a.dtype == b.dtype == np.dtype(dtype)
        # Same operations in the same order: equal to the last bit (float64 includes TF's float32
        # hyper-params).
        np.testing.assert_array_equal(a, b)


@pytest.mark.tf
def test_differs_from_torch_adam_where_epsilon_matters():
    rng = np.random.default_rng(1)
    init = [rng.normal(size=s) * 0.1 for s in SHAPES]
    grads = _grads(rng, 3)
    ref = _run_tf(init, grads, "float64", 1e-3)
    params = [torch.nn.Parameter(torch.tensor(x)) for x in init]
    opt = torch.optim.Adam(params, lr=1e-3, eps=1e-8)
    for step in grads:
        for p, g in zip(params, step):
            p.grad = torch.tensor(g)
        opt.step()
    diff = max(np.abs(p.detach().numpy() - r).max() for p, r in zip(params, ref))
    assert diff > 1e-9  # the reason TF1Adam exists


def test_state_dict_round_trip():
    rng = np.random.default_rng(2)
    init = [rng.normal(size=s) for s in SHAPES]
    grads = _grads(rng, 5)
    straight = _run_torch(init, grads, "float64", 1e-3)
    resumed = _run_torch(init, grads, "float64", 1e-3, split_at=2)
    for a, b in zip(straight, resumed):
        np.testing.assert_array_equal(a, b)


def test_rejects_bad_hyperparameters():
    p = [torch.nn.Parameter(torch.zeros(2))]
    with pytest.raises(ValueError):
        TF1Adam(p, lr=-1.0)
    with pytest.raises(ValueError):
        TF1Adam(p, betas=(1.0, 0.999))


@pytest.mark.tf
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matches_tf_on_vectorised_kernel_path_to_an_ulp(dtype):
    # Sizes that are a multiple of the SIMD packet take TF's vectorised Eigen path, whose rounding
    # differs from elementwise torch by at most about one ulp on a few elements.
    rng = np.random.default_rng(3)
    init = [rng.normal(size=(4096,)) * 0.1]
    grads = [[rng.normal(size=(4096,)) * 10.0 ** rng.uniform(-9, 0, size=4096)] for _ in range(5)]
    (ref,) = _run_tf(init, grads, dtype, 1e-4)
    params = [torch.nn.Parameter(torch.tensor(init[0].astype(dtype)))]
    opt = TF1Adam(params, lr=1e-4)
    for (g,) in grads:
        params[0].grad = torch.tensor(g.astype(dtype))
        opt.step()
    ulp = np.finfo(dtype).eps
    assert np.max(np.abs(params[0].detach().numpy() - ref)) <= 4 * ulp * np.max(np.abs(ref))


def test_channels_last_parameters_get_the_kernels_formula_bit_for_bit():
    """The trainer's conv weights are channels_last; the in-place update must keep layout and bits."""
    gen = torch.Generator().manual_seed(4)
    p = torch.nn.Parameter(torch.randn(8, 6, 3, 3, generator=gen).to(memory_format=torch.channels_last))
    m = torch.zeros_like(p.detach())
    v = torch.zeros_like(p.detach())
    var = p.detach().clone()
    opt = TF1Adam([p], lr=1e-3)
    b1, b2, lr, eps = (np.float32(x) for x in (0.9, 0.999, 1e-3, 1e-8))
    b1p, b2p = b1, b2  # TF's float32 beta-power variables, multiplied once per step
    for step in range(1, 4):
        g = (torch.randn(8, 6, 3, 3, generator=gen) * 10.0 ** -step).to(memory_format=torch.channels_last)
        p.grad = g.clone()
        opt.step()
        alpha = lr * np.sqrt(np.float32(1) - b2p) / (np.float32(1) - b1p)
        b1p, b2p = b1p * b1, b2p * b2
        m += (g - m) * torch.tensor(np.float32(1) - b1)
        v += (g * g - v) * torch.tensor(np.float32(1) - b2)
        var -= (m * torch.tensor(alpha)) / (torch.sqrt(v) + torch.tensor(eps))
        assert p.is_contiguous(memory_format=torch.channels_last)
        assert torch.equal(p.detach(), var), step
