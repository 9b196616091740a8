"""Reference numbers for the explain tests, worked out without chainrule.

The seed network is computed here with the ``math`` module only, with its gradients
written out by hand (the deltas of backpropagation), so no expected number is read back
from the library.
"""

from __future__ import annotations

import math
import re

X = (0.1, 0.2)
T = (0.4, 0.6)
LR = 0.5
WEIGHTS = {
    "W1": 0.3,
    "W2": 0.25,
    "W3": 0.4,
    "W4": 0.35,
    "W5": 0.45,
    "W6": 0.4,
    "W7": 0.7,
    "W8": 0.6,
}


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def seed_forward(w: dict) -> dict:
    """z, h, o and E of the 2-2-2 sigmoid network."""
    f = {"z1": w["W1"] * X[0] + w["W2"] * X[1], "z2": w["W3"] * X[0] + w["W4"] * X[1]}
    f["h1"], f["h2"] = sigmoid(f["z1"]), sigmoid(f["z2"])
    f["z3"] = w["W5"] * f["h1"] + w["W6"] * f["h2"]
    f["z4"] = w["W7"] * f["h1"] + w["W8"] * f["h2"]
    f["o1"], f["o2"] = sigmoid(f["z3"]), sigmoid(f["z4"])
    f["E"] = 0.5 * (T[0] - f["o1"]) ** 2 + 0.5 * (T[1] - f["o2"]) ** 2
    return f


def seed_deltas(w: dict) -> dict:
    """∂E/∂o, ∂o/∂z and the other factors of the hand calculation."""
    f = seed_forward(w)
    d = {"dE_do1": f["o1"] - T[0], "dE_do2": f["o2"] - T[1]}
    d["do1_dz3"], d["do2_dz4"] = f["o1"] * (1 - f["o1"]), f["o2"] * (1 - f["o2"])
    d["dh1_dz1"], d["dh2_dz2"] = f["h1"] * (1 - f["h1"]), f["h2"] * (1 - f["h2"])
    d["delta3"] = d["dE_do1"] * d["do1_dz3"]  # ∂E/∂z3
    d["delta4"] = d["dE_do2"] * d["do2_dz4"]  # ∂E/∂z4
    d["dE_dh1"] = d["delta3"] * w["W5"] + d["delta4"] * w["W7"]
    d["dE_dh2"] = d["delta3"] * w["W6"] + d["delta4"] * w["W8"]
    return d


def seed_gradients(w: dict) -> dict:
    """∂E/∂W1 … ∂E/∂W8."""
    f, d = seed_forward(w), seed_deltas(w)
    e1, e2 = d["dE_dh1"] * d["dh1_dz1"], d["dE_dh2"] * d["dh2_dz2"]
    return {
        "W1": e1 * X[0],
        "W2": e1 * X[1],
        "W3": e2 * X[0],
        "W4": e2 * X[1],
        "W5": d["delta3"] * f["h1"],
        "W6": d["delta3"] * f["h2"],
        "W7": d["delta4"] * f["h1"],
        "W8": d["delta4"] * f["h2"],
    }


def seed_updated(w: dict) -> dict:
    """The weights after one gradient-descent step w ← w − η·∂E/∂w."""
    g = seed_gradients(w)
    return {k: w[k] - LR * g[k] for k in w}


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")
_ASSIGNMENT = re.compile(r"^\s*-?\s*([A-Za-z_][\w]*) = (-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$")


def numbers(text: str) -> list[float]:
    """Every number in a line of text, in order."""
    return [float(m) for m in _NUMBER.findall(text)]


def assignments(text: str) -> dict[str, float]:
    """``name = number`` lines of a report (a later line wins)."""
    found = {}
    for line in text.splitlines():
        m = _ASSIGNMENT.match(line)
        if m:
            found[m.group(1)] = float(m.group(2))
    return found
