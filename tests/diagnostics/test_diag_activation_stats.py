"""The per-layer statistics for every activation the probe lists: saturation where the
activation has a flat end (sigmoid, tanh, ELU, softplus, each by its own local gradient),
dead units for ReLU only, and "not applicable" (None) everywhere else. Each expected share
is worked out by hand from the pre-activations of a one-layer model."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.diagnostics as diag

#: pre-activations of 4 units (columns) on 2 samples (rows): x · 1 + bias
BIAS = np.array([-10.0, -3.0, 0.0, 3.0])
X = np.array([[0.0], [1.0]])  # sample 0: -10, -3, 0, 3; sample 1: -9, -2, 1, 4


def _one_layer(activation):
    model = cr.nn.Sequential(cr.nn.Linear(1, 4, dtype="float64"), activation)
    model[0].weight.data[...] = 1.0
    model[0].bias.data[...] = BIAS
    return model


def _stats(activation):
    [(_, kind, y)] = diag.layer_outputs(_one_layer(activation), X)
    [s] = diag.Monitor(_one_layer(activation), probe=X, warn=False).record(1).activations
    return kind, y, s


# ELU: y = α(eˣ − 1) for x ≤ 0, local gradient αeˣ = y + α, largest max(1, α); saturated
# when below 1% of that. α = 1: eˣ < 0.01, x < −4.61: −10 and −9, 2 of 8 values.
# α = 0.1: 0.1eˣ < 0.01, x < −2.30: −10, −9 and −3, 3 of 8 (−2 is not).
# α = 3: 3eˣ < 0.03, x < −4.61 again: 2 of 8.
@pytest.mark.parametrize(("alpha", "share"), [(1.0, 2 / 8), (0.1, 3 / 8), (3.0, 2 / 8)])
def test_elu_saturation_is_its_own_flat_end(alpha, share):
    kind, y, s = _stats(cr.nn.ELU(alpha))
    assert kind == "elu"
    assert s.saturated == share
    assert diag.saturated_share("elu", y, alpha=alpha) == share
    assert s.dead is None  # αeˣ > 0 for every finite x: no unit's gradient is 0


def test_elu_is_not_measured_with_tanh_thresholds():
    # the outputs are −0.99995, −0.950, 0, 3 and −0.99988, −0.865, 1, 4: tanh's rule
    # 1 − y² < 0.01 would count −0.99995, −0.99988, 1, 3 and 4, 5 of 8. ELU's counts 2.
    _, y, s = _stats(cr.nn.ELU())
    assert diag.saturated_share("tanh", y) == 5 / 8
    assert s.saturated == 2 / 8


# softplus: y = ln(1 + e^(βx))/β, local gradient σ(βx) = 1 − e^(−βy), largest 1; saturated
# when σ(βx) < 0.01, βx < −4.60. β = 1: −10 and −9, 2 of 8. β = 2: x < −2.30, −10, −9 and
# −3, 3 of 8.
@pytest.mark.parametrize(("beta", "share"), [(1.0, 2 / 8), (2.0, 3 / 8)])
def test_softplus_saturation_is_its_low_end(beta, share):
    kind, y, s = _stats(cr.nn.Softplus(beta))
    assert kind == "softplus"
    assert s.saturated == share
    assert diag.saturated_share("softplus", y, beta=beta) == share
    assert s.dead is None  # σ(βx) > 0 for every finite x


@pytest.mark.parametrize("activation", [cr.nn.LeakyReLU(), cr.nn.LeakyReLU(0.001), cr.nn.SiLU()])
def test_no_saturation_and_no_dead_units_where_they_have_no_meaning(activation):
    # columns 0 (−10, −9) and 1 (−3, −2) are never positive: ReLU's rule would call them
    # dead (2 of 4 units); leaky_relu's gradient there is the slope, SiLU's is not 0 either
    kind, y, s = _stats(activation)
    assert diag.dead_share(y) == 2 / 4  # ReLU's rule, on outputs where it does not apply
    assert (s.saturated, s.dead) == (None, None)
    assert diag.saturated_share(kind, y) is None


def test_relu_dead_units_and_no_saturation():
    # column 0 (−10, −9) and column 1 (−3, −2) are never positive: 2 of 4 units dead
    _, _, s = _stats(cr.nn.ReLU())
    assert (s.saturated, s.dead) == (None, 2 / 4)


@pytest.mark.parametrize(
    ("activation", "share"),
    # sigmoid: y(1 − y) < 0.0025, |x| > 5.99: −10 and −9, 2 of 8
    # tanh: 1 − y² < 0.01, |x| > 2.99: −10, −9, −3, 3 and 4, 5 of 8
    [(cr.nn.Sigmoid(), 2 / 8), (cr.nn.Tanh(), 5 / 8)],
)
def test_sigmoid_and_tanh_unchanged(activation, share):
    _, _, s = _stats(activation)
    assert (s.saturated, s.dead) == (share, None)


@pytest.mark.parametrize(
    "activation",
    # ELU(0) is ReLU and ELU(−1) not monotonic: y + α is no longer the gradient. Softplus
    # with threshold 0 is linear from βx > 0, where outputs 0 < βy < 0.01 pass for saturated
    [cr.nn.ELU(0.0), cr.nn.ELU(-1.0), cr.nn.Softplus(threshold=0.0)],
)
def test_settings_the_outputs_cannot_measure_give_none(activation):
    _, _, s = _stats(activation)
    assert (s.saturated, s.dead) == (None, None)


def test_a_setting_of_another_activation_is_refused():
    with pytest.raises(TypeError, match="tanh has no setting alpha"):
        diag.saturated_share("tanh", np.zeros(3), alpha=1.0)
