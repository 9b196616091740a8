"""Train the tutorials' network with each of their six optimizers and compare final losses.

    .venv/bin/python examples/compare_optimizers.py              # MNIST if its files are in
                                                                 # ./data, else the bundled
                                                                 # digits (8×8, 64 inputs)
    .venv/bin/python examples/compare_optimizers.py --mnist DIR  # MNIST files in DIR (784 inputs)

./data is where `chainrule train --dataset mnist` looks by default; MNIST is used when all
four files (train-/t10k-, images/labels, raw or .gz) are there, and then only its first
10,000 training images. The table gives each optimizer's final training loss and accuracy.
With --download, missing MNIST files are first fetched into DIR (./data without --mnist)
and checked by SHA-256, as `chainrule train --dataset mnist --download` fetches them.

GD is SGD on the full batch (one step per epoch); the others take mini-batches of 100, as
in the tutorials. Every run starts from the same initial weights and sees the same batches.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import chainrule as cr

OPTIMIZERS = {  # name: (optimizer factory, learning rate, full batch?)
    "GD": (cr.optim.SGD, 0.5, True),
    "SGD": (cr.optim.SGD, 0.1, False),
    "Momentum": (cr.optim.Momentum, 0.05, False),
    "AdaGrad": (cr.optim.AdaGrad, 0.05, False),
    "RMSProp": (cr.optim.RMSProp, 0.001, False),
    "Adam": (cr.optim.Adam, 0.001, False),
}


DATA_DIR = Path("data")  # the default --data-dir of `chainrule train`
MNIST_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


def has_mnist(root: Path) -> bool:
    """Whether all four MNIST files are in ``root``, raw or gzipped."""
    return all((root / n).is_file() or (root / f"{n}.gz").is_file() for n in MNIST_FILES)


def load(mnist_dir: str | None, download: bool = False):
    """(what the data is, X, y): MNIST from ``mnist_dir``, or from ./data when its files
    are there (or are to be downloaded); the bundled digits otherwise."""
    root = mnist_dir or (DATA_DIR if download or has_mnist(DATA_DIR) else None)
    if root is not None:
        try:
            train = cr.data.load_mnist(root, train=True, download=download)
        except FileNotFoundError as e:  # the advice in this script's terms, not Python's
            raise FileNotFoundError(f"{e.missing} not found; pass --download to fetch it") from e
        # the same four file names serve Fashion-MNIST: say what the files are, not which
        return f"MNIST-format files from {root}", train.X[:10000], train.y[:10000]
    digits = cr.data.load_digits()
    return "the bundled digits", digits.X / 16.0, digits.y


def run(name: str, X, y, epochs: int) -> tuple[float, float]:
    make, lr, full_batch = OPTIMIZERS[name]
    cr.manual_seed(0)  # the same initial weights for every optimizer
    model = cr.nn.Sequential(
        cr.nn.Linear(X.shape[1], 50), cr.nn.ReLU(), cr.nn.Linear(50, 10, init="xavier")
    )
    loader = cr.data.DataLoader(
        cr.data.ArrayDataset(X, y), batch_size=len(X) if full_batch else 100, shuffle=True, seed=0
    )
    history = cr.fit(
        model,
        cr.nn.SoftmaxCrossEntropy(),
        make(model.parameters(), lr=lr),
        loader,
        epochs,
        progress=False,
    )
    return history.history["loss"][-1], history.history["accuracy"][-1]


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"a positive number of epochs, got {text!r}")
    return int(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--mnist",
        metavar="DIR",
        help=f"directory with the MNIST IDX files (default: {DATA_DIR} "
        "when they are there, else the bundled digits)",
    )
    parser.add_argument(
        "--epochs", type=positive, default=20, help="epochs per optimizer (default 20)"
    )
    parser.add_argument(
        "--download", action="store_true", help="fetch missing MNIST files first (verified)"
    )
    args = parser.parse_args()
    try:
        source, X, y = load(args.mnist, args.download)
    except (OSError, ValueError) as e:  # missing or malformed files (IDXFormatError too)
        parser.error(str(e))
    print(
        f"{X.shape[1]}-50-10 MLP, ReLU, softmax cross-entropy, {args.epochs} "
        f"epoch{'' if args.epochs == 1 else 's'}, "
        f"{len(X)} training samples of {source}"
    )
    print(f"{'optimizer':<10} {'lr':>6} {'final loss':>11} {'train acc':>10} {'seconds':>8}")
    for name in OPTIMIZERS:
        start = time.perf_counter()
        loss, acc = run(name, X, y, args.epochs)
        seconds = time.perf_counter() - start
        lr = OPTIMIZERS[name][1]
        print(f"{name:<10} {lr:>6g} {loss:>11.4f} {acc:>10.2%} {seconds:>8.2f}")


if __name__ == "__main__":
    main()
