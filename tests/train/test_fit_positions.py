"""fit and evaluate on class scores (N, C, d₁, …), as cross-entropy takes them: a row per
position, for the loss (batch means weighted by the positions kept) and the accuracy,
whatever the batch size. The truth is worked in NumPy over all the data at once."""

import numpy as np
import pytest

import chainrule as cr

nn = cr.nn


class _PerToken(nn.Module):
    """(N, T, 4) → class scores (N, 3, T): one prediction per token."""

    def __init__(self):
        self.fc = nn.Linear(4, 3, dtype="float64")

    def forward(self, x):
        return self.fc(x).permute(0, 2, 1)


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((10, 5, 4))
    y = rng.integers(0, 3, (10, 5))
    y[0, :3] = -100  # some positions ignored, as padding is
    y[4, :] = -100  # and a whole sample
    return x, y


def _truth(model, x, y):
    z = np.moveaxis(model(x).data, 1, -1).reshape(-1, 3)
    labels = y.reshape(-1)
    keep = labels != -100
    log_p = z - z.max(1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(1, keepdims=True))
    loss = -log_p[keep, labels[keep]].mean()
    accuracy = (z.argmax(1) == labels)[keep].mean()
    return loss, accuracy


@pytest.mark.parametrize("batch_size", [1, 3, 10])
def test_evaluate_scores_every_position_kept(batch_size):
    cr.manual_seed(0)
    model, (x, y) = _PerToken(), _data()
    logs = cr.evaluate(model, nn.CrossEntropyLoss(), (x, y), batch_size=batch_size)
    loss, accuracy = _truth(model, x, y)
    assert logs["loss"] == pytest.approx(loss, rel=1e-12)
    assert logs["accuracy"] == pytest.approx(accuracy, rel=1e-12)


def test_one_hot_targets_of_the_scores_shape_get_the_accuracy_too():
    cr.manual_seed(0)
    model, (x, y) = _PerToken(), _data()
    y = np.where(y < 0, 0, y)
    one_hot = np.moveaxis(np.eye(3)[y], -1, 1)  # (N, 3, T)
    by_labels = cr.evaluate(model, nn.CrossEntropyLoss(), (x, y), batch_size=4)
    by_rows = cr.evaluate(model, nn.CrossEntropyLoss(), (x, one_hot), batch_size=4)
    assert by_rows["accuracy"] == by_labels["accuracy"]
    assert by_rows["loss"] == pytest.approx(by_labels["loss"], rel=1e-12)


def test_fit_logs_the_epoch_accuracy_over_positions():
    cr.manual_seed(0)
    model, (x, y) = _PerToken(), _data()
    opt = cr.optim.SGD(model.parameters(), lr=0.0)  # the weights stay: the truth holds
    history = cr.fit(
        model, nn.CrossEntropyLoss(), opt, (x, y), epochs=1, batch_size=3, shuffle=False, verbose=0
    )
    loss, accuracy = _truth(model, x, y)
    assert history.history["loss"][0] == pytest.approx(loss, rel=1e-12)
    assert history.history["accuracy"][0] == pytest.approx(accuracy, rel=1e-12)
