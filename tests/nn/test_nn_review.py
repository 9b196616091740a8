"""Edge cases of the layers and of the Module API found in review: each compared with
PyTorch (skipped when it is not installed) or with what PyTorch does, written out here."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn


# ----- Flatten's start_dim and end_dim --------------------------------------------------------
@pytest.mark.parametrize(
    ("start", "end"), [(1, -1), (0, -1), (0, 1), (1, 2), (-2, -1), (2, 2), (-3, 1), (0, 0)]
)
def test_flatten_joins_the_axes_pytorch_joins_with_their_gradient(start, end):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    theirs = torch.nn.Flatten(start, end)(torch.tensor(x))
    ours_x = cr.tensor(x, requires_grad=True)
    ours = nn.Flatten(start, end)(ours_x)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    (ours * ours).sum().backward()
    np.testing.assert_array_equal(ours_x.grad, 2 * x)
    assert repr(nn.Flatten(start, end)) == repr(torch.nn.Flatten(start, end))


@pytest.mark.parametrize(("start", "end"), [(2, 1), (4, -1), (-5, -1), (0, 4)])
def test_flatten_axes_that_do_not_fit_the_input_are_refused(start, end):
    torch = pytest.importorskip("torch")
    with pytest.raises((IndexError, RuntimeError)):
        torch.nn.Flatten(start, end)(torch.zeros((2, 3, 4, 5)))
    with pytest.raises(ValueError, match=r"Flatten\(start_dim=.*\(2, 3, 4, 5\)"):
        nn.Flatten(start, end)(np.zeros((2, 3, 4, 5)))


# ----- Module API -------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["False", None, 0, 1.0])
def test_requires_grad_refuses_what_is_not_a_bool_as_pytorch_does(value):
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    with pytest.raises(TypeError, match="requires_grad must be True or False"):
        model.requires_grad_(value)
    assert all(p.requires_grad for p in model.parameters())  # "False" did not freeze them
    assert model.requires_grad_(np.bool_(False)) is model
    assert not any(p.requires_grad for p in model.parameters())


class _Settings(nn.Module):
    """A layer whose settings take two lines, with or without a child."""

    def __init__(self, child=None):
        self.child = child

    def extra_repr(self) -> str:
        return "a=1\nb=2"


def test_settings_over_several_lines_are_indented_as_pytorch_indents_them():
    # PyTorch's Module.__repr__ puts each line of extra_repr on its own line, indented by 2
    assert repr(_Settings()) == "_Settings(\n  a=1\n  b=2\n)"
    assert repr(nn.Sequential(_Settings(nn.ReLU()))) == (
        "Sequential(\n  (0): _Settings(\n    a=1\n    b=2\n    (child): ReLU()\n  )\n)"
    )


def test_a_strict_load_lists_a_key_that_is_not_text_with_the_other_problems():
    layer = nn.Linear(2, 2)
    before = layer.weight.data.copy()
    state = {0: np.ones(1), "weight": np.ones((2, 2)), "bias": np.ones(2)}
    with pytest.raises(ValueError, match=r"unexpected in the state: 0$"):
        layer.load_state_dict(state)
    np.testing.assert_array_equal(layer.weight.data, before)  # the load was refused whole
    assert layer.load_state_dict(state, strict=False).unexpected == [0]


def test_a_buffer_registered_not_persistent_is_left_out_of_the_state_as_in_pytorch():
    torch = pytest.importorskip("torch")

    class Theirs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("mask", torch.tril(torch.ones((2, 2))), persistent=False)
            self.register_buffer("seen", torch.zeros(2))

    class Ours(nn.Module):
        def __init__(self):
            self.register_buffer("mask", np.tril(np.ones((2, 2))), persistent=False)
            self.register_buffer("seen", np.zeros(2))

    ours, theirs = nn.Sequential(Ours(), Ours()), torch.nn.Sequential(Theirs(), Theirs())
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["0.seen", "1.seen"]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    state = {**ours.state_dict(), "0.mask": np.zeros((2, 2))}
    with pytest.raises(ValueError, match=r"unexpected in the state: 0\.mask$"):
        ours.load_state_dict(state)
    result = ours.load_state_dict(state, strict=False)
    theirs_result = theirs.load_state_dict(
        {k: torch.tensor(v) for k, v in state.items()}, strict=False
    )
    assert result.unexpected == theirs_result.unexpected_keys == ["0.mask"]
    np.testing.assert_array_equal(ours[0].mask, np.tril(np.ones((2, 2))))  # not loaded
    assert ours.double()[0].mask.dtype == np.float64  # still a buffer for to()


def test_registering_a_buffer_again_as_persistent_puts_it_back_in_the_state():
    layer = nn.Module()
    layer.register_buffer("mask", np.ones(2), persistent=False)
    assert layer.state_dict() == {}
    layer.register_buffer("mask", np.ones(2))
    assert list(layer.state_dict()) == ["mask"]
    with pytest.raises(TypeError, match="persistent must be True or False"):
        layer.register_buffer("mask", np.ones(2), persistent="no")


# ----- functional dropout ---------------------------------------------------------------------
def test_functional_dropout_takes_pytorchs_inplace_keyword_and_draws_the_same_mask():
    x = cr.tensor(np.ones((4, 5)))
    plain = nn.functional.dropout(x, 0.5, True, np.random.default_rng(3))
    flagged = nn.functional.dropout(x, 0.5, True, np.random.default_rng(3), inplace=True)
    np.testing.assert_array_equal(flagged.data, plain.data)
    assert set(np.unique(plain.data)) == {0.0, 2.0}  # kept elements scaled by 1/(1 − p)
    np.testing.assert_array_equal(x.data, np.ones((4, 5)))  # the input is left as it is
    assert nn.functional.dropout(x, 0.5, training=False, inplace=False) is x


def test_functional_dropout_names_pytorchs_positional_inplace():
    with pytest.raises(TypeError, match="PyTorch's inplace flag is a keyword"):
        nn.functional.dropout(np.ones(3), 0.5, True, False)
