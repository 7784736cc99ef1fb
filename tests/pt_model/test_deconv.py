"""upstream's `deconv` (pad 1, slim.conv2d_transpose(n, 3, stride 2, 'SAME') + ELU, crop [3:-1]) in PyTorch,
proven against TensorFlow's own transposed convolution in float64, with zero and ring padding.

Two TF paths: panoconv's TF reference layer (`tf_reference._layers.deconv`, `tf.nn.conv2d_transpose`) and
Keras' `Conv2DTranspose(padding="same", strides=2)`, the layer slim's `conv2d_transpose` wraps, each fed
the padded input and cropped as upstream does.
"""

import numpy as np
import pytest
import torch

from panoconv.arch._monodepth import ConvSpec, slim_scoped
from panoconv.pt_model._layers import MonoDeconv


def _spec(cin: int, cout: int) -> ConvSpec:
    return slim_scoped([ConvSpec("decoder", "upconv", 3, cin, cout, transposed=True)])[0]


def _torch(spec, kernel_tf, bias, x_nhwc, ring):
    layer = MonoDeconv(spec, ring_pad=ring).double()
    with torch.no_grad():
        layer.weight.copy_(
            torch.from_numpy(kernel_tf.transpose(3, 2, 0, 1).copy())
        )  # [k,k,out,in] -> [in,out,k,k]
        layer.bias.copy_(torch.from_numpy(bias))
        out = layer(torch.from_numpy(x_nhwc.transpose(0, 3, 1, 2).copy()))
    return out.numpy().transpose(0, 2, 3, 1)


@pytest.mark.parametrize("ring", [False, True])
@pytest.mark.parametrize("h,w", [(4, 6), (5, 7), (8, 16)])
def test_deconv_matches_tensorflow_in_float64(h, w, ring):
    from panoconv.tf_reference import _layers as tfl
    from panoconv.tf_reference._tf import import_tf

    tf = import_tf()
    rng = np.random.default_rng(h * 10 + w)
    cin, cout = 5, 4
    spec = _spec(cin, cout)
    x = rng.standard_normal((2, h, w, cin))
    kernel = rng.standard_normal((3, 3, cout, cin)) * 0.3  # TF layout [k, k, out, in]
    bias = rng.uniform(-0.2, 0.2, cout)

    ref = tfl.deconv(tf.constant(x), spec, lambda s: (tf.constant(kernel), tf.constant(bias)), ring).numpy()
    assert ref.dtype == np.float64 and ref.shape == (2, 2 * h, 2 * w, cout)
    np.testing.assert_allclose(_torch(spec, kernel, bias, x, ring), ref, rtol=0, atol=1e-12)

    # the layer slim's conv2d_transpose is built on, on the upstream-padded input, cropped as upstream
    import keras

    keras_layer = keras.layers.Conv2DTranspose(
        cout, 3, strides=2, padding="same", activation="elu", dtype="float64"
    )
    padded = tfl.pad(tf.constant(x), 1, ring)
    keras_layer.build(padded.shape)
    keras_layer.set_weights([kernel, bias])
    via_keras = keras_layer(padded).numpy()[:, 3:-1, 3:-1, :]
    np.testing.assert_allclose(via_keras, ref, rtol=0, atol=1e-12)


def test_ring_padding_changes_only_the_last_column():
    """The [3:-1] crop keeps samples [3, 2w+3) of the padded input's full transposed conv: the wrapped left
    column only reaches samples 0..2 (cropped away), the wrapped right one reaches the last output column."""
    rng = np.random.default_rng(0)
    spec = _spec(3, 2)
    x = rng.standard_normal((1, 6, 8, 3))
    kernel, bias = rng.standard_normal((3, 3, 2, 3)), np.zeros(2)
    plain, ring = _torch(spec, kernel, bias, x, False), _torch(spec, kernel, bias, x, True)
    np.testing.assert_array_equal(plain[:, :, :-1], ring[:, :, :-1])
    assert not np.allclose(plain[:, :, -1], ring[:, :, -1])
