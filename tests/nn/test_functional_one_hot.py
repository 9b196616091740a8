"""nn.functional.one_hot: PyTorch's F.one_hot (int64 rows, num_classes inferred by default)."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

F = cr.nn.functional


def test_rows_of_the_identity_in_int64():
    out = F.one_hot(cr.tensor(np.array([0, 2, 1])))
    assert isinstance(out, cr.Tensor)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.data, [[1, 0, 0], [0, 0, 1], [0, 1, 0]])


def test_num_classes_given_and_labels_of_any_shape():
    out = F.one_hot(np.array([[1], [0]]), num_classes=4)
    assert out.shape == (2, 1, 4)
    np.testing.assert_array_equal(out.data[:, 0], [[0, 1, 0, 0], [1, 0, 0, 0]])


def test_errors():
    with pytest.raises(ValueError, match="cannot infer num_classes from an empty tensor"):
        F.one_hot(np.array([], dtype=np.int64))
    with pytest.raises(TypeError, match="labels must be integers"):
        F.one_hot(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\); found 2"):
        F.one_hot(np.array([0, 2]), num_classes=2)


def test_against_pytorch():
    torch = pytest.importorskip("torch")
    labels = np.array([[3, 0], [1, 1]])
    theirs = torch.nn.functional.one_hot(torch.tensor(labels))
    ours = F.one_hot(labels)
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    assert ours.data.dtype == theirs.numpy().dtype
    theirs = torch.nn.functional.one_hot(torch.tensor(labels), num_classes=6)
    np.testing.assert_array_equal(F.one_hot(labels, 6).data, theirs.numpy())
