from panoconv.arch import Layout, name_table
from panoconv.arch import monodepth_vgg as arch


def test_parameter_count_matches_upstream():
    assert arch.total_parameters() == 31_600_072


def test_tf_names_follow_creation_order():
    names = [arch.tf_scope(s) for s in arch.LAYERS]
    assert names[0] == "model/encoder/Conv" and names[13] == "model/encoder/Conv_13"
    assert names[14] == "model/decoder/Conv" and names[-1] == "model/decoder/Conv_17"
    assert arch.tf_scope(arch.layer("decoder.iconv3")) == "model/decoder/Conv_10"
    assert arch.tf_scope(arch.layer("decoder.disp4")) == "model/decoder/Conv_8"


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
    table = name_table("monodepth-vgg")
    assert len(table) == 64
    assert len({r.tf_name for r in table}) == 64 and len({r.torch_name for r in table}) == 64
    kernels = [r for r in table if r.layout is Layout.HWIO_TO_OIHW]
    assert all(r.torch_shape == (r.tf_shape[3], r.tf_shape[2], r.tf_shape[0], r.tf_shape[1]) for r in kernels)


def test_layout_round_trip(rng):
    w = rng.standard_normal((3, 5, 4, 6))
    oihw = Layout.HWIO_TO_OIHW.to_torch(w)
    assert oihw.shape == (6, 4, 3, 5)
    assert oihw[2, 1, 0, 4] == w[0, 4, 1, 2]
    assert (Layout.HWIO_TO_OIHW.to_tf(oihw) == w).all()
