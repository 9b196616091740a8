"""load_mnist on small IDX files built here, and the download path with a fake network."""

from __future__ import annotations

import gzip
import hashlib
import urllib.error

import numpy as np
import pytest

import chainrule.data as crd
from chainrule import _atomic_write
from chainrule.data import _download, _mnist

NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "t10k": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def fake_split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), np.arange(n, dtype=np.uint8) % 10


@pytest.fixture
def mnist_dir(tmp_path, write_idx):
    """train (12 images, gzipped) and t10k (7 images, raw) files, plus the arrays."""
    arrays = {"train": fake_split(12, 0), "t10k": fake_split(7, 1)}
    for split, compress in (("train", True), ("t10k", False)):
        suffix = ".gz" if compress else ""
        for name, array in zip(NAMES[split], arrays[split]):
            write_idx(tmp_path / f"{name}{suffix}", array, compress=compress)
    return tmp_path, arrays


@pytest.mark.parametrize("train", [True, False])
def test_loads_scaled_flat_images_and_labels(mnist_dir, train):
    root, arrays = mnist_dir
    images, labels = arrays["train" if train else "t10k"]
    data = crd.load_mnist(root, train=train)
    assert data.X.dtype == np.float32
    assert data.X.shape == (len(images), 784)
    np.testing.assert_array_equal(data.X, images.reshape(len(images), 784) / np.float32(255))
    assert data.X.min() >= 0.0
    assert data.X.max() <= 1.0
    assert data.y.dtype == np.int64
    np.testing.assert_array_equal(data.y, labels)
    assert data.target_names == tuple("0123456789")
    assert data.name == "mnist"
    assert data.task == "classification"


def test_fashion_names_its_classes(mnist_dir):
    root, _ = mnist_dir
    for data in (crd.load_mnist(root, fashion=True), crd.load_fashion_mnist(root)):
        assert data.name == "fashion_mnist"
        assert data.target_names[0] == "T-shirt/top"
        assert data.target_names[9] == "Ankle boot"
        assert "Xiao" in data.description
        assert "MIT" in data.description


def test_missing_file_says_where_and_how(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        crd.load_mnist(tmp_path / "nowhere")
    message = str(info.value)
    assert str(tmp_path / "nowhere" / "train-images-idx3-ubyte") in message
    assert "download=True" in message


def test_image_and_label_counts_must_match(tmp_path, write_idx):
    images, labels = fake_split(5, 0)
    write_idx(tmp_path / NAMES["train"][0], images)
    write_idx(tmp_path / NAMES["train"][1], labels[:4])
    with pytest.raises(crd.IDXFormatError, match=r"holds 5 images but .* holds 4 labels"):
        crd.load_mnist(tmp_path)


def test_labels_must_be_digits(tmp_path, write_idx):
    images, labels = fake_split(5, 0)
    labels[3] = 10
    write_idx(tmp_path / NAMES["train"][0], images)
    path = write_idx(tmp_path / NAMES["train"][1], labels)
    with pytest.raises(crd.IDXFormatError, match=f"{path}: labels must be 0-9, but label 3 is 10"):
        crd.load_mnist(tmp_path)


def test_images_must_be_3d_unsigned_bytes(tmp_path, write_idx):
    images, labels = fake_split(5, 0)
    write_idx(tmp_path / NAMES["train"][0], images.reshape(5, 784))
    write_idx(tmp_path / NAMES["train"][1], labels)
    with pytest.raises(crd.IDXFormatError, match=r"shape \(N, rows, columns\)"):
        crd.load_mnist(tmp_path)
    write_idx(tmp_path / NAMES["train"][0], images.astype(np.int32), code=0x0C)
    with pytest.raises(crd.IDXFormatError, match="unsigned bytes"):
        crd.load_mnist(tmp_path)


# ----- download, with _fetch replaced: nothing touches the network ---------------------
@pytest.fixture
def fake_remote(monkeypatch, idx_bytes):
    """Gzipped fake files for every MNIST name, their checksums patched in; records URLs."""
    arrays = {"train": fake_split(6, 2), "t10k": fake_split(3, 3)}
    payloads, table, fetched = {}, {}, []
    for split, names in NAMES.items():
        for name, array in zip(names, arrays[split]):
            payload = gzip.compress(idx_bytes(array), mtime=0)
            payloads[f"{name}.gz"] = payload
            table[f"{name}.gz"] = _mnist._Remote(len(payload), hashlib.sha256(payload).hexdigest())
    monkeypatch.setitem(_mnist._FILES, "mnist", table)

    def fetch(url: str, max_bytes: int) -> bytes:
        fetched.append(url)
        return payloads[url.rsplit("/", 1)[1]][: max_bytes + 1]

    monkeypatch.setattr(_download, "_fetch", fetch)
    return arrays, payloads, fetched


def test_download_verifies_writes_and_loads(tmp_path, fake_remote):
    arrays, payloads, fetched = fake_remote
    root = tmp_path / "new" / "dir"
    data = crd.load_mnist(root, train=False, download=True)
    np.testing.assert_array_equal(data.y, arrays["t10k"][1])
    assert sorted(p.name for p in root.iterdir()) == sorted(payloads)  # no temporary files
    for name, payload in payloads.items():
        assert (root / name).read_bytes() == payload
    assert len(fetched) == 4
    assert all(url.startswith(_mnist._MIRRORS["mnist"][0]) for url in fetched)
    crd.load_mnist(root, download=True)
    assert len(fetched) == 4  # files already present are not fetched again


def test_checksum_mismatch_writes_nothing(tmp_path, fake_remote, monkeypatch):
    name = "train-images-idx3-ubyte.gz"
    remote = _mnist._FILES["mnist"][name]
    monkeypatch.setitem(_mnist._FILES["mnist"], name, remote._replace(sha256="0" * 64))
    with pytest.raises(crd.DownloadError, match="SHA-256 mismatch: expected 0000") as info:
        crd.download_mnist(tmp_path)
    assert str(info.value).count(name) == len(_mnist._MIRRORS["mnist"])  # every mirror tried
    assert not (tmp_path / name).exists()
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_wrong_size_is_rejected(tmp_path, fake_remote, monkeypatch):
    name = "t10k-labels-idx1-ubyte.gz"
    remote = _mnist._FILES["mnist"][name]
    monkeypatch.setitem(_mnist._FILES["mnist"], name, remote._replace(size=remote.size - 1))
    with pytest.raises(crd.DownloadError, match=f"expected {remote.size - 1} bytes, got"):
        crd.download_mnist(tmp_path)


def test_falls_back_to_the_next_mirror(tmp_path, fake_remote, monkeypatch):
    _, payloads, fetched = fake_remote
    fake_fetch = _download._fetch

    def first_mirror_down(url: str, max_bytes: int) -> bytes:
        if url.startswith(_mnist._MIRRORS["mnist"][0]):
            fetched.append(url)
            raise urllib.error.URLError("connection refused")
        return fake_fetch(url, max_bytes)

    monkeypatch.setattr(_download, "_fetch", first_mirror_down)
    paths = crd.download_mnist(tmp_path)
    assert [p.read_bytes() for p in paths] == list(payloads.values())
    assert len(fetched) == 8


def test_interrupted_write_leaves_no_file(tmp_path, fake_remote, monkeypatch):
    # a download is written as a checkpoint is: nothing at its name, no temporary file left
    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(_atomic_write.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        crd.download_mnist(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_download_leaves_no_folder_it_made(tmp_path, fake_remote, monkeypatch):
    name = "train-images-idx3-ubyte.gz"  # the first file fetched: nothing is written
    remote = _mnist._FILES["mnist"][name]
    monkeypatch.setitem(_mnist._FILES["mnist"], name, remote._replace(sha256="0" * 64))
    with pytest.raises(crd.DownloadError):
        crd.download_mnist(tmp_path / "new" / "dir")
    assert list(tmp_path.iterdir()) == []  # neither new/ nor new/dir stays behind
    (tmp_path / "kept").mkdir()  # a folder that existed before is left, empty as it was
    with pytest.raises(crd.DownloadError):
        crd.download_mnist(tmp_path / "kept")
    assert (tmp_path / "kept").is_dir()


def test_a_download_failing_after_a_file_keeps_that_file(tmp_path, fake_remote, monkeypatch):
    name = "t10k-labels-idx1-ubyte.gz"  # the last file fetched: three are written before
    remote = _mnist._FILES["mnist"][name]
    monkeypatch.setitem(_mnist._FILES["mnist"], name, remote._replace(sha256="0" * 64))
    with pytest.raises(crd.DownloadError):
        crd.download_mnist(tmp_path / "new")
    assert len(list((tmp_path / "new").iterdir())) == 3  # kept: the next try fetches one


def test_only_http_urls_are_fetched():
    with pytest.raises(ValueError, match="only http"):
        _download._fetch("file:///etc/passwd", 10)


def test_published_checksums_are_well_formed():
    for kind, files in _mnist._FILES.items():
        assert sorted(files) == sorted(f"{n}.gz" for names in NAMES.values() for n in names), kind
        for remote in files.values():
            assert len(remote.sha256) == 64
            assert int(remote.sha256, 16) >= 0
            assert remote.size > 0
