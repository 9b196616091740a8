"""Mean-squared-error regression on the bundled diabetes data, with a learning-rate schedule.

    .venv/bin/python examples/regression.py          # 40 epochs, Adam, step decay of the rate
    .venv/bin/python examples/regression.py --epochs 20 --seed 1

442 patients, 10 baseline variables, a disease-progression score one year later. The
inputs and the target are standardised with statistics of the training split only, so an
MSE of 1 is what always predicting the training mean gives (about, on the test split).
Row 0 is the untrained model; each epoch prints the learning rate and the train and test
MSE; the rate is halved every 10 epochs by `StepLR`. The last line gives the test error
in the target's own units.
"""

from __future__ import annotations

import argparse

import numpy as np

import chainrule as cr


def mse(model, X, y) -> float:
    """MSE on (X, y) in eval mode, without a graph."""
    return cr.evaluate(model, cr.nn.MSELoss(), (X, y))["loss"]


def main(epochs: int, seed: int) -> None:
    data = cr.data.load_diabetes()
    X_tr, X_te, y_tr, y_te = cr.data.train_test_split(data.X, data.y, test_size=0.2, seed=seed)
    x_scale, y_scale = cr.data.Standardizer().fit(X_tr), cr.data.Standardizer().fit(y_tr[:, None])
    X_tr, X_te = x_scale.transform(X_tr), x_scale.transform(X_te)
    # the model predicts (N, 1): MSELoss broadcasts nothing, so targets get that shape too
    y_tr, y_te = y_scale.transform(y_tr[:, None]), y_scale.transform(y_te[:, None])

    cr.manual_seed(seed)
    model = cr.nn.Sequential(cr.nn.Linear(10, 32), cr.nn.Tanh(), cr.nn.Linear(32, 1))
    opt = cr.optim.Adam(model.parameters(), lr=0.005)
    schedule = cr.optim.StepLR(opt, step_size=10, gamma=0.5)  # η × 0.5 every 10 epochs
    loader = cr.data.DataLoader((X_tr, y_tr), batch_size=32, shuffle=True, seed=seed)
    loss_fn = cr.nn.MSELoss()
    print(f"{'epoch':>5} {'lr':>8} {'train MSE':>10} {'test MSE':>9}")
    print(f"{0:>5} {'-':>8} {mse(model, X_tr, y_tr):>10.4f} {mse(model, X_te, y_te):>9.4f}")
    for epoch in range(1, epochs + 1):
        lr = schedule.get_last_lr()[0]  # the rate this epoch's steps use
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(cr.tensor(xb)), yb).backward()
            opt.step()
        schedule.step()  # once per epoch, after the optimizer's steps (as in PyTorch)
        print(
            f"{epoch:>5} {lr:>8.5f} {mse(model, X_tr, y_tr):>10.4f} {mse(model, X_te, y_te):>9.4f}"
        )

    # back to the target's units: undo the standardisation of the predictions
    pred = y_scale.inverse_transform(cr.predict(model, X_te))
    truth = y_scale.inverse_transform(y_te)
    rmse = float(np.sqrt(np.mean((pred - truth) ** 2)))
    print(f"test RMSE in the target's units: {rmse:.1f} (target std {float(truth.std()):.1f})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40, help="default 40")
    parser.add_argument("--seed", type=int, default=0, help="split, init and batch order")
    args = parser.parse_args()
    if args.epochs < 1:
        parser.error(f"--epochs must be at least 1, got {args.epochs}")
    main(args.epochs, args.seed)
