import numpy as np

from panoconv.arch import Layout, get_card
from panoconv.arch import monodepth_vgg as arch
from panoconv.arch._monodepth import ConvSpec, slim_scoped, total_parameters


def test_parameter_count_matches_upstream():
    assert total_parameters(arch.LAYERS) == 31_600_072 == get_card("monodepth-vgg").num_parameters


def test_tf_names_follow_creation_order():
    names = [s.tf_scope for s in arch.LAYERS]
    assert names[0] == "model/encoder/Conv" and names[13] == "model/encoder/Conv_13"
    assert names[14] == "model/decoder/Conv" and names[-1] == "model/decoder/Conv_17"
    card = get_card("monodepth-vgg")
    assert card.layer("decoder.iconv3").tf_scope == "model/decoder/Conv_10"
    assert card.layer("decoder.disp4").tf_scope == "model/decoder/Conv_8"


def test_kernel_shapes_from_reference_table():
    shapes = {r.tf_name: r.tf_shape for r in arch.NAME_TABLE}
    assert shapes["model/encoder/Conv/weights"] == (7, 7, 3, 32)
    assert shapes["model/encoder/Conv_2/weights"] == (5, 5, 32, 64)
    assert shapes["model/decoder/Conv_1/weights"] == (3, 3, 1024, 512)
    assert shapes["model/decoder/Conv_10/weights"] == (3, 3, 130, 64)
    assert shapes["model/decoder/Conv_13/weights"] == (3, 3, 66, 32)
    assert shapes["model/decoder/Conv_16/weights"] == (3, 3, 18, 16)
    assert shapes["model/decoder/Conv_17/biases"] == (2,)


def test_name_table_is_one_to_one():
    table = get_card("monodepth-vgg").tf_name_table
    assert table == arch.NAME_TABLE and len(table) == 64
    assert len({r.tf_name for r in table}) == 64 and len({r.torch_name for r in table}) == 64
    kernels = [r for r in table if r.layout is Layout.HWIO_TO_OIHW]
    assert all(r.torch_shape == (r.tf_shape[3], r.tf_shape[2], r.tf_shape[0], r.tf_shape[1]) for r in kernels)


def test_layout_round_trip(rng):
    w = rng.standard_normal((3, 5, 4, 6))
    oihw = Layout.HWIO_TO_OIHW.to_torch(w)
    assert oihw.shape == (6, 4, 3, 5)
    assert oihw[2, 1, 0, 4] == w[0, 4, 1, 2]
    assert (Layout.HWIO_TO_OIHW.to_tf(oihw) == w).all()
    # transposed conv: TF [k, k, out, in] -> ConvTranspose2d [in, out, k, k]
    iohw = Layout.TRANSPOSED_TO_IOHW.to_torch(w)
    assert iohw.shape == (6, 4, 3, 5) and iohw[2, 1, 0, 4] == w[0, 4, 1, 2]
    assert (Layout.TRANSPOSED_TO_IOHW.to_tf(iohw) == w).all()


def test_slim_counts_convs_and_transposed_convs_separately():
    layers = slim_scoped(
        [
            ConvSpec("decoder", "up7", 3, 8, 8, transposed=True),
            ConvSpec("decoder", "i7", 3, 8, 8),
            ConvSpec("decoder", "up6", 3, 8, 8, transposed=True),
            ConvSpec("decoder", "i6", 3, 8, 8),
            ConvSpec("encoder", "c1", 3, 3, 8),
        ]
    )
    assert [s.tf_scope for s in layers] == [
        "model/decoder/Conv2d_transpose",
        "model/decoder/Conv",
        "model/decoder/Conv2d_transpose_1",
        "model/decoder/Conv_1",
        "model/encoder/Conv",
    ]
    assert layers[0].tf_kernel_shape == (3, 3, 8, 8) and layers[0].layout is Layout.TRANSPOSED_TO_IOHW


def test_variants_as_upstream_builds_them():
    stereo, deconv = get_card("monodepth-vgg-stereo"), get_card("monodepth-vgg-deconv")
    assert stereo.num_parameters == 31_604_776 and stereo.input_channels == 6
    assert {r.tf_name: r.tf_shape for r in stereo.tf_name_table}["model/encoder/Conv/weights"] == (
        7,
        7,
        6,
        32,
    )
    # use_deconv: upconvs are slim.conv2d_transpose with their own counter, in creation order
    # (upconv7, iconv7, upconv6, ...): the other decoder convs are renumbered Conv .. Conv_10
    scopes = {s.torch_name: s.tf_scope for s in deconv.layers}
    assert scopes["decoder.upconv7"] == "model/decoder/Conv2d_transpose"
    assert scopes["decoder.upconv1"] == "model/decoder/Conv2d_transpose_6"
    assert (
        scopes["decoder.iconv7"] == "model/decoder/Conv" and scopes["decoder.disp4"] == "model/decoder/Conv_4"
    )
    assert (
        scopes["decoder.disp1"] == "model/decoder/Conv_10"
        and scopes["encoder.conv7b"] == "model/encoder/Conv_13"
    )
    shapes = {r.tf_name: r.tf_shape for r in deconv.tf_name_table}
    assert shapes["model/decoder/Conv2d_transpose_4/weights"] == (3, 3, 64, 128)  # upconv3: [k, k, out, in]
    assert deconv.num_parameters == 31_600_072 == sum(int(np.prod(s)) for s in shapes.values())
