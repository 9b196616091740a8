"""Write chainrule's bundled datasets (src/chainrule/data/bundled/*.npz and SOURCES.md).

The data comes from scikit-learn's copies of the original files. scikit-learn is needed
only to run this script, not by chainrule:

    .venv/bin/pip install scikit-learn
    .venv/bin/python scripts/make_datasets.py

The output is deterministic: the same scikit-learn data gives byte-identical files (fixed
zip timestamps and member order, no object arrays).
"""

from __future__ import annotations

import hashlib
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "src" / "chainrule" / "data" / "bundled"
CC_BY_4 = "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/), as the UCI page states"

# name: (title, source, citation, licence, note)
META = {
    "digits": (
        "Optical Recognition of Handwritten Digits (test set)",
        "UCI Machine Learning Repository, dataset 80, "
        "https://archive.ics.uci.edu/dataset/80/optical+recognition+of+handwritten+digits",
        "E. Alpaydin and C. Kaynak (1998). Optical Recognition of Handwritten Digits. "
        "UCI Machine Learning Repository. https://doi.org/10.24432/C50P49",
        CC_BY_4,
        "The 1,797 test images (optdigits.tes): 32×32 bitmaps from NIST forms, counted in "
        "4×4 blocks into 8×8 images of integers 0..16. Stored as uint8.",
    ),
    "iris": (
        "Iris",
        "UCI Machine Learning Repository, dataset 53, https://archive.ics.uci.edu/dataset/53/iris",
        "R. A. Fisher (1936). The use of multiple measurements in taxonomic problems. "
        "Annals of Eugenics 7(2), 179-188. Dataset: R. A. Fisher (1988). Iris. "
        "UCI Machine Learning Repository. https://doi.org/10.24432/C56C76",
        CC_BY_4,
        "scikit-learn's copy, which corrects samples 35 and 38 to the values in Fisher's "
        "paper: it equals R's iris and differs from the UCI file in those two rows.",
    ),
    "wine": (
        "Wine recognition",
        "UCI Machine Learning Repository, dataset 109, https://archive.ics.uci.edu/dataset/109/wine",
        "S. Aeberhard and M. Forina (1991). Wine. UCI Machine Learning Repository. "
        "https://doi.org/10.24432/C5PC7J. Original owners: M. Forina et al., PARVUS, "
        "Institute of Pharmaceutical and Food Analysis and Technologies, Genoa.",
        CC_BY_4,
        "Chemical analysis of wines from three cultivars grown in the same region of Italy.",
    ),
    "breast_cancer": (
        "Breast Cancer Wisconsin (Diagnostic)",
        "UCI Machine Learning Repository, dataset 17, "
        "https://archive.ics.uci.edu/dataset/17/breast+cancer+wisconsin+diagnostic",
        "W. Wolberg, O. Mangasarian, N. Street and W. Street (1995). Breast Cancer Wisconsin "
        "(Diagnostic). UCI Machine Learning Repository. https://doi.org/10.24432/C5DW2B. "
        "First use: W. N. Street, W. H. Wolberg and O. L. Mangasarian (1993). Nuclear "
        "feature extraction for breast tumor diagnosis. Proc. SPIE 1905, 861-870.",
        CC_BY_4,
        "30 features of cell nuclei from digitised fine-needle aspirate images. "
        "Labels as in scikit-learn: 0 = malignant, 1 = benign.",
    ),
    "diabetes": (
        "Diabetes (Least Angle Regression)",
        "B. Efron et al., https://www4.stat.ncsu.edu/~boos/var.select/diabetes.html",
        "B. Efron, T. Hastie, I. Johnstone and R. Tibshirani (2004). Least Angle Regression. "
        "Annals of Statistics 32(2), 407-499. https://doi.org/10.1214/009053604000000067",
        "None stated: neither the paper nor scikit-learn's description of the data names a "
        "licence. This copy is the one scikit-learn (BSD-3-Clause) has redistributed for "
        "over a decade; treat it as research and teaching data.",
        "The original, unscaled values (scikit-learn's load_diabetes(scaled=False)): age, "
        "sex, BMI, average blood pressure and six blood serum measurements of 442 patients; "
        "target: a quantitative measure of disease progression one year after baseline.",
    ),
}


def _sklearn_sets() -> dict[str, tuple[np.ndarray, np.ndarray, list, list | None, str]]:
    from sklearn import datasets

    digits = datasets.load_digits()
    iris, wine = datasets.load_iris(), datasets.load_wine()
    cancer, diabetes = datasets.load_breast_cancer(), datasets.load_diabetes(scaled=False)
    pixels = digits.data.astype(np.uint8)
    if not np.array_equal(pixels, digits.data):
        sys.exit("digits: pixel values are not integers 0..16")
    labels = {"classification": np.uint8, "regression": np.float64}
    sets = {
        "digits": (pixels, digits, "classification"),
        "iris": (iris.data, iris, "classification"),
        "wine": (wine.data, wine, "classification"),
        "breast_cancer": (cancer.data, cancer, "classification"),
        "diabetes": (diabetes.data, diabetes, "regression"),
    }
    return {
        name: (X, b.target.astype(labels[task]), list(b.feature_names), _targets(b), task)
        for name, (X, b, task) in sets.items()
    }


def _targets(bunch) -> list[str] | None:
    names = getattr(bunch, "target_names", None)
    return None if names is None else [str(n) for n in names]


def _description(name: str, sklearn_version: str) -> str:
    title, source, citation, licence, note = META[name]
    return (
        f"{title}. {note}\nSource: {source} (copy from scikit-learn {sklearn_version}).\n"
        f"Citation: {citation}\nLicence: {licence}"
    )


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """An .npz that np.load reads, with fixed timestamps so the bytes are reproducible."""
    with zipfile.ZipFile(path, "w") as zf:
        for key, value in arrays.items():
            buffer = io.BytesIO()
            value = np.asarray(value)
            if value.dtype.hasobject:
                raise ValueError(f"{path.name}: {key} is an object array; store plain arrays")
            np.lib.format.write_array(buffer, value)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buffer.getvalue(), compresslevel=9)


def _sources_md(rows: list[tuple[str, str, str]], sklearn_version: str) -> str:
    lines = [
        "# Bundled datasets: sources, citations, licences",
        "",
        "Written by `scripts/make_datasets.py` from the copies in scikit-learn "
        f"{sklearn_version}; do not edit by hand. Each `.npz` holds `X`, `y`, `task`, "
        "`feature_names`, `target_names` (classification) and `description` (the facts below), "
        "as plain numeric and string arrays (no object arrays).",
        "",
    ]
    for name, shape_text, digest in rows:
        title, source, citation, licence, note = META[name]
        lines += [f"## {name}: {title}", "", note, "", f"- Shape: {shape_text}"]
        lines += [f"- Source: {source}", f"- Citation: {citation}", f"- Licence: {licence}"]
        lines += [f"- File: `{name}.npz`, SHA-256 `{digest}`", ""]
    return "\n".join(lines).rstrip() + "\n"


def _shape_text(X: np.ndarray, y: np.ndarray, task: str) -> str:
    text = f"{X.shape[0]} samples × {X.shape[1]} features ({X.dtype} stored)"
    if task == "regression":
        return f"{text}; float targets {y.min():g} to {y.max():g}"
    return f"{text}; class counts {np.bincount(y).tolist()}"


def main() -> None:
    import sklearn

    version = sklearn.__version__
    rows = []
    for name, (X, y, features, targets, task) in _sklearn_sets().items():
        arrays = {"X": X, "y": y, "task": np.array(task), "feature_names": np.array(features)}
        if targets is not None:
            arrays["target_names"] = np.array(targets)
        arrays["description"] = np.array(_description(name, version))
        path = OUT / f"{name}.npz"
        _write_npz(path, arrays)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        rows.append((name, _shape_text(X, y, task), digest))
        print(f"{path.relative_to(OUT.parents[3])}: {path.stat().st_size} bytes  {digest}")
    (OUT / "SOURCES.md").write_text(_sources_md(rows, version), encoding="utf-8")


if __name__ == "__main__":
    main()
