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
