"""Detection of the card from tensor names and shapes alone, on hand-made variable sets (no files, no TF).

Parametrised over the registry: a card registered later (e.g. ResNet50) is covered by these tests as-is.
"""

import math

import pytest

from panoconv.arch import all_cards, get_card
from panoconv.arch._detect import ArchitectureMismatchError, detect_card, mismatch_message
from panoconv.converter.convert import model_shapes

TF_CARDS = [c.name for c in all_cards() if c.tf_born]
ALL_CARDS = [c.name for c in all_cards()]


def tf_variables(name: str, adam: bool) -> dict[str, tuple[int, ...]]:
    """What upstream training saves: model variables, optionally Adam slots, beta powers and the step."""
    shapes = {r.tf_name: r.tf_shape for r in get_card(name).tf_name_table}
    if adam:
        shapes.update({f"{n}/Adam": s for n, s in list(shapes.items())})
        shapes.update({f"{n}/Adam_1": s for n, s in list(shapes.items()) if not n.endswith("/Adam")})
        shapes.update({"beta1_power": (), "beta2_power": (), "Variable": ()})
    return shapes


@pytest.mark.parametrize("adam", [False, True])
@pytest.mark.parametrize("name", TF_CARDS)
def test_every_tf_card_is_recognised(name, adam):
    shapes = tf_variables(name, adam)
    assert detect_card(model_shapes(shapes), "tf").name == name
    assert mismatch_message(get_card(name), model_shapes(shapes), "tf") is None


@pytest.mark.parametrize("name", TF_CARDS)
def test_the_earlier_ports_flattened_arrays_are_recognised(name):
    flat = {f"{n}:0": (1, max(1, math.prod(s))) for n, s in tf_variables(name, False).items()}
    assert detect_card(model_shapes(flat), "tf", legacy=True).name == name


@pytest.mark.parametrize("name", TF_CARDS)
def test_one_tensor_removed_names_the_closest_card(name):
    shapes = model_shapes(tf_variables(name, True))
    removed = sorted(shapes)[len(shapes) // 2]
    del shapes[removed]
    with pytest.raises(ArchitectureMismatchError) as info:
        detect_card(shapes, "tf", where="ckpt")
    assert (
        str(info.value)
        == f"ckpt: fits no known architecture; looks like {name} but 1 tensor is missing: {removed}"
    )


@pytest.mark.parametrize("name", TF_CARDS)
def test_one_shape_changed_names_the_closest_card(name):
    shapes = model_shapes(tf_variables(name, False))
    changed = next(n for n in sorted(shapes) if n.endswith("/weights") and "Conv_2" in n)
    kernel = shapes[changed]
    shapes[changed] = kernel[:3] + (kernel[3] + 1,)
    with pytest.raises(ArchitectureMismatchError) as info:
        detect_card(shapes, "tf", where="ckpt")
    message = str(info.value)
    assert message.startswith(
        f"ckpt: fits no known architecture; looks like {name} but 1 shape differs: {changed} is"
    )
    assert "\n" not in message


@pytest.mark.parametrize("name", ALL_CARDS)
def test_pytorch_state_dicts_are_recognised(name):
    card = get_card(name)
    shapes = card.torch_shapes()
    assert detect_card(shapes, "torch").name == name
    extra = dict(shapes, **{"head.weight": (1, 2)})
    with pytest.raises(
        ArchitectureMismatchError, match=f"looks like {name} but 1 tensor is not in it: head.weight"
    ):
        detect_card(extra, "torch")


def test_named_card_that_does_not_fit_says_which_does():
    rect = get_card("rectnet").torch_shapes()
    message = mismatch_message(get_card("uresnet"), rect, "torch", where="w.pt")
    assert message.startswith("w.pt: does not fit uresnet: ")
    assert message.endswith("it is a rectnet (use --arch rectnet, or leave --arch out to detect it)")


def test_unrelated_tensors():
    with pytest.raises(
        ArchitectureMismatchError, match=r"fits no known architecture .its 2 model tensors match none"
    ):
        detect_card({"dense/kernel": (4, 4), "dense/bias": (4,)}, "tf", where="x")
    with pytest.raises(ArchitectureMismatchError, match="holds no model tensors"):
        detect_card({}, "tf", where="x")
