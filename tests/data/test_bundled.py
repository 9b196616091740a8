"""The bundled datasets against published facts, and the registry of dataset names."""

from __future__ import annotations

import hashlib
import re
import zipfile
from importlib import resources

import numpy as np
import pytest

import chainrule.data as crd

BUNDLED = ["digits", "iris", "wine", "breast_cancer", "diabetes"]
UCI_DOI = {
    "digits": "10.24432/C50P49",
    "iris": "10.24432/C56C76",
    "wine": "10.24432/C5PC7J",
    "breast_cancer": "10.24432/C5DW2B",
}


def bundled_dir():
    return resources.files("chainrule.data") / "bundled"


def test_digits_is_the_uci_test_set():
    d = crd.load_digits()
    assert d.X.shape == (1797, 64)
    assert d.X.dtype == np.float32
    assert d.y.shape == (1797,)
    assert d.y.dtype == np.int64
    assert d.num_classes == 10
    assert d.target_names == tuple("0123456789")
    assert d.X.min() == 0
    assert d.X.max() == 16
    np.testing.assert_array_equal(d.X, np.round(d.X))  # pixel counts are integers
    # optdigits.names: class counts of the 1,797-image test set
    assert np.bincount(d.y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_iris_is_fishers_data():
    d = crd.load_iris()
    assert d.X.shape == (150, 4)
    assert np.bincount(d.y).tolist() == [50, 50, 50]
    assert d.target_names == ("setosa", "versicolor", "virginica")
    assert d.feature_names[0] == "sepal length (cm)"
    np.testing.assert_allclose(d.X[0], [5.1, 3.5, 1.4, 0.2], rtol=1e-6)
    # samples 35 and 38 as printed in Fisher (1936), which the UCI file got wrong
    np.testing.assert_allclose(d.X[34], [4.9, 3.1, 1.5, 0.2], rtol=1e-6)
    np.testing.assert_allclose(d.X[37], [4.9, 3.6, 1.4, 0.1], rtol=1e-6)


def test_wine_has_three_cultivars():
    d = crd.load_wine()
    assert d.X.shape == (178, 13)
    assert np.bincount(d.y).tolist() == [59, 71, 48]
    proline = d.X[:, d.feature_names.index("proline")]
    assert (proline.min(), proline.max()) == (278, 1680)  # the UCI summary statistics


def test_breast_cancer_counts():
    d = crd.load_breast_cancer()
    assert d.X.shape == (569, 30)
    assert d.target_names == ("malignant", "benign")
    assert np.bincount(d.y).tolist() == [212, 357]


def test_diabetes_is_a_regression_set_in_original_units():
    d = crd.load_diabetes()
    assert d.X.shape == (442, 10)
    assert d.X.dtype == np.float32
    assert d.y.shape == (442,)
    assert d.y.dtype == np.float32
    assert d.task == "regression"
    assert d.num_classes is None
    assert d.target_names is None
    assert d.feature_names[:4] == ("age", "sex", "bmi", "bp")
    # first row of the Efron et al. data file: AGE SEX BMI BP S1..S6, then Y
    np.testing.assert_allclose(d.X[0], [59, 2, 32.1, 101, 157, 93.2, 38, 4, 4.8598, 87], rtol=1e-6)
    assert d.y[0] == 151
    assert (d.y.min(), d.y.max()) == (25, 346)


@pytest.mark.parametrize("name", BUNDLED)
def test_every_set_states_source_citation_and_licence(name):
    d = crd.load_dataset(name)
    assert d.name == name
    assert len(d) == len(d.X) == len(d.y)
    assert len(d.feature_names) == d.X.shape[1]
    assert d.X.dtype == np.float32
    assert np.isfinite(d.X).all()
    for field in ("Source:", "Citation:", "Licence:"):
        assert field in d.description
    if name in UCI_DOI:
        assert UCI_DOI[name] in d.description
        assert "CC BY 4.0" in d.description
    else:
        assert "Least Angle Regression" in d.description


@pytest.mark.parametrize("name", BUNDLED)
def test_files_hold_plain_arrays_listed_in_sources(name):
    path = bundled_dir() / f"{name}.npz"
    with path.open("rb") as f, np.load(f, allow_pickle=False) as npz:
        assert all(npz[key].dtype.kind != "O" for key in npz.files)
    with path.open("rb") as f, zipfile.ZipFile(f) as zf:
        assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in zf.infolist())
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    sources = (bundled_dir() / "SOURCES.md").read_text(encoding="utf-8")
    assert re.search(rf"`{name}\.npz`, SHA-256 `{digest}`", sources)


def test_each_load_returns_fresh_arrays():
    first = crd.load_iris()
    first.X[:] = 0
    assert crd.load_iris().X.max() > 0


def test_bundle_becomes_a_dataset():
    d = crd.load_wine()
    ds = d.dataset()
    assert len(ds) == 178
    assert ds.X is d.X
    assert "wine" in repr(d)
    assert "(178, 13)" in repr(d)


# ----- registry -----------------------------------------------------------------------------
def test_registry_names():
    assert list(crd.DATASETS) == [*BUNDLED, "mnist", "fashion_mnist"]
    with pytest.raises(TypeError):
        crd.DATASETS["mine"] = crd.load_iris  # read-only


def test_the_registry_knows_each_task_as_its_data_states_it():
    assert list(crd.TASKS) == list(crd.DATASETS)
    for name in BUNDLED:
        assert crd.TASKS[name] == crd.load_dataset(name).task, name
    assert crd.TASKS["mnist"] == crd.TASKS["fashion_mnist"] == "classification"


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown dataset 'cifar10'") as info:
        crd.load_dataset("cifar10")
    for name in crd.DATASETS:
        assert name in str(info.value)


def test_names_ignore_case_and_dashes(tmp_path):
    assert crd.load_dataset("Breast-Cancer").X.shape == (569, 30)
    with pytest.raises(FileNotFoundError, match="fashion_mnist"):
        crd.load_dataset("Fashion-MNIST", root=tmp_path)
