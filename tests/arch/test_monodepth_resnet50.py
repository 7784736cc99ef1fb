"""The ResNet50 cards as upstream builds them (the measured tensor and parameter counts of its five
`_resnet` checkpoints), checked on the card data alone."""

import numpy as np

from panoconv.arch import get_card
from panoconv.arch import monodepth_resnet50 as arch
from panoconv.arch._monodepth import total_parameters

VARIANTS = ("monodepth-resnet50", "monodepth-resnet50-stereo", "monodepth-resnet50-deconv",
            "monodepth-resnet50-stereo-deconv")


def test_counts_match_upstream():
    assert len(arch.NAME_TABLE) == 162 and total_parameters(arch.LAYERS) == 58_452_008
    for name in VARIANTS:
        card = get_card(name)
        assert len(card.tf_name_table) == 162 and card.size_multiple == 64 and card.ring_pad
        assert sum(int(np.prod(r.tf_shape)) for r in card.tf_name_table) == card.num_parameters
    # use_deconv keeps the counts; do_stereo adds conv1's three extra input channels (7 * 7 * 3 * 64)
    assert get_card("monodepth-resnet50-deconv").num_parameters == 58_452_008
    assert get_card("monodepth-resnet50-stereo").num_parameters == 58_452_008 + 9408
    assert get_card("monodepth-resnet50-stereo").input_channels == 6


def test_creation_order_names_and_shapes():
    shapes = {r.tf_name: r.tf_shape for r in arch.NAME_TABLE}
    scopes = {s.torch_name: s.tf_scope for s in arch.LAYERS}
    assert shapes["model/encoder/Conv/weights"] == (7, 7, 3, 64)
    # first bottleneck: a, b, c, shortcut -> Conv_1 .. Conv_4; the shortcut reads the block input (64 ch)
    assert [scopes[f"encoder.conv2_1_{p}"] for p in ("a", "b", "c", "shortcut")] == [
        "model/encoder/Conv_1", "model/encoder/Conv_2", "model/encoder/Conv_3", "model/encoder/Conv_4"]
    assert shapes["model/encoder/Conv_4/weights"] == (1, 1, 64, 256)
    assert shapes["model/encoder/Conv_5/weights"] == (1, 1, 256, 64)  # conv2_2_a
    assert scopes["encoder.conv5_3_shortcut"] == "model/encoder/Conv_64"
    assert shapes["model/encoder/Conv_64/weights"] == (1, 1, 2048, 2048)
    assert shapes["model/decoder/Conv/weights"] == (3, 3, 2048, 512)  # upconv6 from conv5
    assert shapes["model/decoder/Conv_1/weights"] == (3, 3, 512 + 1024, 512)  # iconv6: skip5 = conv4
    assert shapes["model/decoder/Conv_8/weights"] == (3, 3, 64 + 64 + 2, 64)  # iconv3: pool1 + udisp4
    assert shapes["model/decoder/Conv_11/weights"] == (3, 3, 32 + 64 + 2, 32)  # iconv2: conv1 + udisp3
    assert scopes["decoder.disp1"] == "model/decoder/Conv_15"


def test_stride_in_the_last_block_and_a_projection_everywhere():
    card = get_card("monodepth-resnet50")
    for stage, count in ((2, 3), (3, 4), (4, 6), (5, 3)):
        for block in range(1, count + 1):
            stride = 2 if block == count else 1
            assert card.layer(f"encoder.conv{stage}_{block}_b").stride == stride
            shortcut = card.layer(f"encoder.conv{stage}_{block}_shortcut")
            assert shortcut.stride == stride and shortcut.activation == "linear" and shortcut.kernel == 1
            assert card.layer(f"encoder.conv{stage}_{block}_c").activation == "linear"


def test_deconv_variant_scopes():
    card = get_card("monodepth-resnet50-deconv")
    scopes = {s.torch_name: s.tf_scope for s in card.layers}
    shapes = {r.tf_name: r.tf_shape for r in card.tf_name_table}
    assert scopes["decoder.upconv6"] == "model/decoder/Conv2d_transpose"
    assert scopes["decoder.upconv1"] == "model/decoder/Conv2d_transpose_5"
    assert scopes["decoder.iconv6"] == "model/decoder/Conv"
    assert scopes["decoder.disp1"] == "model/decoder/Conv_9"
    assert shapes["model/decoder/Conv2d_transpose/weights"] == (3, 3, 512, 2048)  # [k, k, out, in]
    assert scopes["encoder.conv5_3_shortcut"] == "model/encoder/Conv_64"
