"""MNIST and Fashion-MNIST from the four standard IDX files in a directory.

Files may be raw or gzipped (``train-images-idx3-ubyte`` or ``train-images-idx3-ubyte.gz``).
``download=True`` fetches the gzipped files from public mirrors and accepts a file only if
its size and SHA-256 equal the constants below, taken from TensorFlow Datasets' checksum
lists (url_checksums/mnist.txt and fashion_mnist.txt).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .._atomic_write import atomic_write
from ._bundled import DataBundle
from ._download import fetch_verified
from ._idx import IDXFormatError, read_idx


class _Remote(NamedTuple):
    size: int
    sha256: str


_MIRRORS = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    # The project's own bucket; S3 website endpoints serve plain HTTP (SHA-256 still checked).
    "fashion_mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
}
_FILES = {
    "mnist": {
        "train-images-idx3-ubyte.gz": _Remote(
            9912422, "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"
        ),
        "train-labels-idx1-ubyte.gz": _Remote(
            28881, "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"
        ),
        "t10k-images-idx3-ubyte.gz": _Remote(
            1648877, "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"
        ),
        "t10k-labels-idx1-ubyte.gz": _Remote(
            4542, "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"
        ),
    },
    "fashion_mnist": {
        "train-images-idx3-ubyte.gz": _Remote(
            26421880, "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"
        ),
        "train-labels-idx1-ubyte.gz": _Remote(
            29515, "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"
        ),
        "t10k-images-idx3-ubyte.gz": _Remote(
            4422102, "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"
        ),
        "t10k-labels-idx1-ubyte.gz": _Remote(
            5148, "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"
        ),
    },
}
_CLASSES = {
    "mnist": tuple(str(d) for d in range(10)),
    "fashion_mnist": (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),
}  # fmt: skip
_DESCRIPTIONS = {
    "mnist": (
        "MNIST handwritten digits: 28×28 grey-scale images, 60,000 for training and 10,000 "
        "for testing.\nSource: Y. LeCun, C. Cortes and C. J. C. Burges, "
        "http://yann.lecun.com/exdb/mnist/\nCitation: Y. LeCun, L. Bottou, Y. Bengio and "
        "P. Haffner (1998). Gradient-based learning applied to document recognition. "
        "Proceedings of the IEEE 86(11), 2278-2324.\nLicence: none stated on the original page."
    ),
    "fashion_mnist": (
        "Fashion-MNIST: 28×28 grey-scale images of Zalando articles in 10 classes, 60,000 "
        "for training and 10,000 for testing.\nSource: https://github.com/zalandoresearch/"
        "fashion-mnist\nCitation: H. Xiao, K. Rasul and R. Vollgraf (2017). Fashion-MNIST: a "
        "novel image dataset for benchmarking machine learning algorithms. arXiv:1708.07747."
        "\nLicence: MIT."
    ),
}


def load_mnist(
    root: str | os.PathLike,
    train: bool = True,
    fashion: bool = False,
    download: bool = False,
) -> DataBundle:
    """MNIST (or Fashion-MNIST with ``fashion=True``) from the IDX files in ``root``.

    Reads ``train-*`` (60,000 images) or, with ``train=False``, ``t10k-*`` (10,000).
    Returns ``X`` float32 in [0, 1] of shape (N, 784) (rows × columns, flattened) and ``y``
    int64 labels 0–9. With ``download=True``, missing files are first fetched into ``root``
    and checked against their published SHA-256; nothing is downloaded otherwise.
    Raises FileNotFoundError for a missing file (its ``missing`` attribute names it) and
    `IDXFormatError` for a malformed one.
    """
    kind = "fashion_mnist" if fashion else "mnist"
    root = Path(root)
    if download:
        download_mnist(root, fashion=fashion)
    prefix = "train" if train else "t10k"
    images_path = _find(root, f"{prefix}-images-idx3-ubyte", kind)
    labels_path = _find(root, f"{prefix}-labels-idx1-ubyte", kind)
    images, labels = _images(images_path), _labels(labels_path)
    if len(images) != len(labels):
        raise IDXFormatError(
            f"{images_path} holds {len(images)} images but {labels_path} holds "
            f"{len(labels)} labels; the two files must come from the same split"
        )
    n, rows, cols = images.shape  # explicit: reshape(0, -1) is ambiguous for 0 images
    X = images.reshape(n, rows * cols).astype(np.float32)
    X /= 255.0
    return DataBundle(
        name=kind,
        X=X,
        y=labels.astype(np.int64),
        task="classification",
        feature_names=None,
        target_names=_CLASSES[kind],
        description=_DESCRIPTIONS[kind],
    )


def load_fashion_mnist(
    root: str | os.PathLike, train: bool = True, download: bool = False
) -> DataBundle:
    """Fashion-MNIST (Xiao et al. 2017, MIT licence): `load_mnist` with ``fashion=True``."""
    return load_mnist(root, train=train, fashion=True, download=download)


def download_mnist(root: str | os.PathLike, fashion: bool = False) -> list[Path]:
    """Fetch the four gzipped MNIST (or, with ``fashion=True``, Fashion-MNIST) files missing
    from ``root``.

    Each file is accepted only with its published size and SHA-256, and written
    atomically, so an interrupted download never leaves a partial file. Returns the paths
    of the four files. Raises `DownloadError` when no mirror gives a valid copy.
    """
    kind = "fashion_mnist" if fashion else "mnist"
    root = Path(root)
    created = _missing_folders(root)
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    try:
        for filename, remote in _FILES[kind].items():
            path = root / filename
            if not path.exists() and not path.with_suffix("").exists():
                urls = [mirror + filename for mirror in _MIRRORS[kind]]
                atomic_write(path, fetch_verified(urls, remote.size, remote.sha256))
            paths.append(path if path.exists() else path.with_suffix(""))
    except BaseException:  # a failed or interrupted download leaves no empty folder behind
        _remove_empty(created)
        raise
    return paths


def _missing_folders(root: Path) -> list[Path]:
    """``root`` and those of its parents that do not exist yet, deepest first."""
    missing = []
    while not root.exists() and root != root.parent:
        missing.append(root)
        root = root.parent
    return missing


def _remove_empty(folders: list[Path]) -> None:
    """Remove ``folders`` (deepest first) while they are empty: the ones a download made."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:  # a file was written into it (a download that got that far), or gone
            return


def _find(root: Path, base: str, kind: str) -> Path:
    for candidate in (root / base, root / f"{base}.gz"):
        if candidate.is_file():
            return candidate
    fashion = ", fashion=True" if kind == "fashion_mnist" else ""
    error = FileNotFoundError(
        f"{kind}: {root / base}[.gz] not found. Put the four files train-images-idx3-ubyte, "
        f"train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (raw or "
        f".gz) in {root}, or call load_mnist({str(root)!r}{fashion}, download=True) to "
        "fetch and verify them"
    )
    error.missing = f"{root / base}[.gz]"  # for callers that word the advice their own way
    raise error


def _images(path: Path) -> np.ndarray:
    images = read_idx(path)
    if images.dtype != np.uint8 or images.ndim != 3 or 0 in images.shape[1:]:
        raise IDXFormatError(
            f"{path}: images must be unsigned bytes of shape (N, rows, columns), got "
            f"{images.dtype} of shape {images.shape}"
        )
    return images


def _labels(path: Path) -> np.ndarray:
    labels = read_idx(path)
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise IDXFormatError(
            f"{path}: labels must be unsigned bytes of shape (N,), got "
            f"{labels.dtype} of shape {labels.shape}"
        )
    bad = np.flatnonzero(labels > 9)
    if bad.size:
        raise IDXFormatError(
            f"{path}: labels must be 0-9, but label {bad[0]} is {labels[bad[0]]} "
            f"({bad.size} labels out of range)"
        )
    return labels
