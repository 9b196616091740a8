"""The bundled loaders with scikit-learn's habits: ``data``/``target`` and ``return_X_y``."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

LOADERS = ["digits", "iris", "wine", "breast_cancer", "diabetes"]


@pytest.mark.parametrize("name", LOADERS)
def test_data_and_target_are_x_and_y(name):
    bundle = getattr(cr.data, f"load_{name}")()
    assert bundle.data is bundle.X
    assert bundle.target is bundle.y


@pytest.mark.parametrize("name", LOADERS)
def test_return_x_y_gives_the_two_arrays(name):
    loader = getattr(cr.data, f"load_{name}")
    X, y = loader(return_X_y=True)
    bundle = loader()
    np.testing.assert_array_equal(X, bundle.X)
    np.testing.assert_array_equal(y, bundle.y)
    assert X.dtype == np.float32
    assert y.dtype == (np.float32 if name == "diabetes" else np.int64)


def test_return_x_y_is_keyword_only_as_in_scikit_learn():
    with pytest.raises(TypeError):
        cr.data.load_iris(True)
