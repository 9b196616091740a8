"""Anomaly mode, fuzzed: random small graphs (chains and DAGs with fan-out) over the ops,
float32 and float64, scalars and small arrays, with at most one fault injected at a random
node. A fault must be reported by the op that makes it, in the right pass, at the line of
this file that created the node; a graph without a fault must raise nothing and give the
same values and gradients, bit for bit, as with anomaly mode off.

Every op is applied by one of the one-line lambdas below, so the line that creates a node
is the first line of the lambda that applied it (``fn.__code__.co_firstlineno``). The safe
ops keep values bounded (a graph of 30 of them stays finite in float32); each fault's
lambda ends with the op that makes the NaN or inf from finite values.
"""

from __future__ import annotations

import threading

import numpy as np

import chainrule as cr
import chainrule.nn.functional as F


class Halve(cr.Function):
    """A correct user-defined op: d/dx (x / 2) = 1/2."""

    def forward(self, x):
        return x * 0.5

    def backward(self, grad_out):
        return grad_out * 0.5


class NanForward(cr.Function):
    """A user-defined op whose forward makes NaN from finite inputs."""

    def forward(self, x):
        return x * np.nan

    def backward(self, grad_out):
        return grad_out


class NanBackward(cr.Function):
    """A user-defined op whose forward is right and whose backward makes NaN."""

    def forward(self, x):
        return x * 1.0

    def backward(self, grad_out):
        return grad_out * np.nan


class InfBackward(cr.Function):
    """A user-defined op whose backward makes inf (and NaN where the upstream is 0)."""

    def forward(self, x):
        return x * 1.0

    def backward(self, grad_out):
        return grad_out / np.zeros_like(grad_out)


def _vec(t):
    return t.ndim >= 1


def _mat(t):
    return t.ndim == 2


def _many(t):
    return t.size >= 2


def _wide(t):
    return t.ndim >= 1 and t.shape[-1] >= 2


def _big(x):
    """x · 0 + the largest finite number of x's dtype: finite, and overflows when added up."""
    return x * 0.0 + np.finfo(x.dtype).max


def _linear(x):
    """A Linear layer of 3 features, the same weights every time (seeded), applied to x."""
    return cr.nn.Linear(3, 3, dtype=x.dtype, generator=np.random.default_rng(0))(x)


# (name, arity, applies to a tensor of this shape, the op): bounded values out of bounded in
SAFE = [
    ("add", 2, None, lambda x, y: (x + y) * 0.5),
    ("sub", 2, None, lambda x, y: (x - y) * 0.5),
    ("mul", 2, None, lambda x, y: cr.tanh(x) * y),
    ("div", 2, None, lambda x, y: x / (y * y + 1.0)),
    ("pow", 2, None, lambda x, y: (cr.sigmoid(x) + 0.5) ** cr.tanh(y)),
    ("pow-const", 1, None, lambda x: (x * x + 1.0) ** 0.5),
    ("rpow", 1, None, lambda x: 2.0 ** cr.tanh(x)),
    ("maximum", 2, None, lambda x, y: cr.maximum(x, y)),
    ("where", 2, None, lambda x, y: cr.where(x > y, x, y * 0.5)),
    ("neg", 1, None, lambda x: -x),
    ("exp", 1, None, lambda x: cr.exp(cr.tanh(x))),
    ("log", 1, None, lambda x: cr.log(x * x + 1.0)),
    ("sqrt", 1, None, lambda x: cr.sqrt(x * x + 0.5)),
    ("abs", 1, None, lambda x: x.abs()),
    ("tanh", 1, None, lambda x: x.tanh() * 2.0),
    ("sigmoid", 1, None, lambda x: x.sigmoid()),
    ("relu", 1, None, lambda x: cr.relu(x) - 0.5),
    ("leaky", 1, None, lambda x: F.leaky_relu(x, 0.1)),
    ("elu", 1, None, lambda x: F.elu(x, 0.5)),
    ("silu", 1, None, lambda x: x.silu()),
    ("softplus", 1, None, lambda x: F.softplus(x, 2.0, 3.0)),
    ("gelu", 1, None, lambda x: F.gelu(x)),
    ("gelu_tanh", 1, None, lambda x: x.gelu(approximate="tanh")),
    ("log1p", 1, None, lambda x: cr.log1p(x * x)),
    ("expm1", 1, None, lambda x: x.tanh().expm1()),
    ("log2", 1, None, lambda x: cr.log2(x * x + 1.0) - 0.5),
    ("reciprocal", 1, None, lambda x: cr.reciprocal(x * x + 1.0)),
    ("rsqrt", 1, None, lambda x: (x * x + 1.0).rsqrt()),
    ("tan", 1, None, lambda x: cr.tan(x.tanh())),
    ("sinh", 1, None, lambda x: cr.sinh(x.tanh())),
    ("cosh", 1, None, lambda x: x.tanh().cosh() - 1.0),
    ("asin", 1, None, lambda x: cr.asin(x.tanh() * 0.9)),
    ("acos", 1, None, lambda x: x.tanh().acos() - 1.5),
    ("atan", 1, None, lambda x: cr.arctan(x)),
    ("atan2", 2, None, lambda x, y: cr.atan2(x, y * y + 1.0)),
    ("erf", 1, None, lambda x: cr.erf(x)),
    ("erfc", 1, None, lambda x: x.erfc() - 1.0),
    ("steps", 1, None, lambda x: x.floor() * 0.25 + cr.sign(x) + x.round() * 0.25),
    ("clip", 1, None, lambda x: x.clip(-1.0, 1.0)),
    ("rsub", 1, None, lambda x: 1.0 - x / 2.0),
    ("halve", 1, None, lambda x: Halve()(x)),
    ("sum", 1, None, lambda x: x - cr.tanh(x.sum())),
    ("mean", 1, _vec, lambda x: x - x.mean(axis=-1, keepdims=True)),
    ("max", 1, _vec, lambda x: x - x.max(axis=-1, keepdims=True)),
    ("min", 1, None, lambda x: x - x.min()),
    ("softmax", 1, _vec, lambda x: F.softmax(x) * 2.0),
    ("log_softmax", 1, _vec, lambda x: F.log_softmax(x) * 0.25),
    ("logsumexp", 1, _vec, lambda x: x - F.logsumexp(x, axis=-1, keepdims=True)),
    ("norm", 1, _many, lambda x: x / (F.norm(x) + 1.0)),
    ("reshape", 1, None, lambda x: x.reshape(-1).reshape(x.shape)),
    ("transpose", 1, _mat, lambda x: x.T.T),
    ("index", 1, _vec, lambda x: x[..., ::-1]),
    ("gather", 1, _vec, lambda x: x[..., [0] * x.shape[-1]] * 0.5 + x * 0.5),
    ("concat", 2, _vec, lambda x, y: cr.concatenate([x, y], axis=-1)[..., : x.shape[-1]]),
    ("stack", 2, None, lambda x, y: cr.stack([x, y]).mean(axis=0)),
    ("matmul", 1, _vec, lambda x: cr.tanh(x @ np.full((x.shape[-1],) * 2, 0.3, x.dtype))),
    ("broadcast", 2, _mat, lambda x, y: x * 0.5 + y[0] * 0.5),
    ("linear", 1, _mat, lambda x: _linear(x).tanh()),
    ("batchnorm", 1, _mat, lambda x: cr.nn.BatchNorm1d(3, dtype=x.dtype)(x) * 0.5),
]
# (name, the op that must be blamed, the pass, applies to, the op): each makes a fault
FORWARD_FAULTS = [
    ("log 0", "Log", None, lambda x: cr.log(cr.relu(x) * 0.0)),
    ("log of a negative", "Log", None, lambda x: cr.log(-(x * x) - 1.0)),
    ("sqrt of a negative", "Sqrt", None, lambda x: cr.sqrt(-(x * x) - 1.0)),
    ("0/0", "Div", None, lambda x: (x * 0.0) / (x * 0.0)),
    ("exp overflow", "Exp", None, lambda x: cr.exp(x * 0.0 + 1000.0)),
    ("pow overflow", "Pow", None, lambda x: (x * 0.0 + 10.0) ** 400.0),
    ("sum overflow", "Sum", _many, lambda x: _big(x).sum()),
    ("matmul overflow", "MatMul", _wide, lambda x: _big(x) @ np.ones((x.shape[-1],) * 2, x.dtype)),
    ("linear overflow", "Affine", _mat, lambda x: F.linear(_big(x), np.ones((3, 3), x.dtype))),
    ("mse overflow", "Mul", None, lambda x: F.mse_loss(_big(x), np.zeros(x.shape, x.dtype))),
    ("user forward", "NanForward", None, lambda x: NanForward()(x)),
]
# backward faults: (name, op, the upstream must be non-zero somewhere, applies to, the op)
BACKWARD_FAULTS = [
    ("sqrt at 0", "Sqrt", True, None, lambda x: cr.sqrt(cr.relu(x) * 0.0)),
    ("pow at 0", "Pow", True, None, lambda x: (cr.relu(x) * 0.0) ** 0.5),
    ("user backward nan", "NanBackward", False, None, lambda x: NanBackward()(x)),
    ("user backward inf", "InfBackward", False, None, lambda x: InfBackward()(x)),
]
# in place: (the op that saved the array, the op making (its output, the array changed
# through .data)); the array is saved by that op only (Add saves nothing)
IN_PLACE = [
    ("Mul", lambda x: (lambda t: (t * t, t))(x + 0.0)),  # its input
    ("Exp", lambda x: (lambda t: (t + 0.0, t))(cr.exp(cr.tanh(x)))),  # its output
]
# the terminal: the graph's output reduced to a scalar (all of them finite and bounded)
TERMINALS = [
    ("sum", None, lambda x: x.sum()),
    ("mean", None, lambda x: x.mean()),
    ("mse", None, lambda x: F.mse_loss(x, np.zeros(x.shape, x.dtype))),
    ("bce", None, lambda x: F.binary_cross_entropy_with_logits(x, np.ones(x.shape, x.dtype))),
    ("cross-entropy", _mat, lambda x: F.cross_entropy(x, np.arange(x.shape[0]) % x.shape[1])),
]
SHAPES = [(), (1,), (3,), (2, 3), (4, 3)]
# how the graph is differentiated, and what runs around it
FLAVOURS = ["backward", "retain", "create_graph", "grad", "hooks", "no_grad", "nested"]


def _fits(pred, t) -> bool:
    return pred is None or pred(t)


class Case:
    """One random graph: its seed, dtype, shape, ops and the fault (or none)."""

    def __init__(self, seed: int):
        rng = np.random.default_rng(seed)
        self.seed = seed
        self.dtype = np.dtype(rng.choice(["float32", "float64"]))
        self.shape = SHAPES[rng.integers(len(SHAPES))]
        self.n_leaves = int(rng.integers(1, 4))
        self.n_ops = int(rng.integers(3, 31))
        self.fault = rng.choice(
            ["none", "forward", "backward", "in-place"], p=[0.4, 0.25, 0.2, 0.15]
        )
        self.at = int(rng.integers(self.n_ops))  # the op replaced by the fault
        self.data = [
            rng.uniform(-2, 2, self.shape).astype(self.dtype) for _ in range(self.n_leaves)
        ]
        self.choices = rng.integers(0, 2**31, size=(self.n_ops + 1, 4))
        self.flavour = rng.choice(FLAVOURS)


class Outcome:
    """What a run of a case gave: the error (or None), and the values and gradients."""

    def __init__(self):
        self.error = None
        self.values, self.grads = [], []
        self.expected = None  # (op, phase, kind, line) of the injected fault
        self.needs_upstream = False  # the fault occurs only if its upstream is not all 0
        self.upstream = None  # the upstream gradient the faulty node received (anomaly off)


def _pick(pool, c):
    """A tensor of the pool: recent ones more often (chains), any of them (fan-out)."""
    k = int(c % (len(pool) * 2))
    return pool[-1 - k] if k < len(pool) else pool[int(c) % len(pool)]


def run_case(case: Case, anomaly: bool) -> Outcome:
    """Build and differentiate the case's graph, with anomaly mode on or off."""
    out = Outcome()
    leaves = [cr.tensor(d.copy(), requires_grad=True) for d in case.data]
    flavour = case.flavour
    if flavour == "grad" and case.fault == "in-place":
        flavour = "backward"  # cr.grad runs forward and backward in one call
    try:
        with cr.detect_anomaly() if anomaly else _nothing():
            if flavour == "grad":
                f = cr.grad(
                    lambda *xs: _build(case, xs, out, anomaly)[0], tuple(range(len(leaves)))
                )
                out.grads.extend(np.array(g.data) for g in f(*leaves))
                return out
            if flavour == "nested":  # an inner block for the forward pass only
                with cr.detect_anomaly() if anomaly else _nothing():
                    loss, victim = _build(case, leaves, out, anomaly)
            else:
                loss, victim = _build(case, leaves, out, anomaly)
            if victim is not None:
                victim.data += 1.0  # after the node saved it
            _differentiate(flavour, loss, leaves, out)
    except cr.AnomalyError as e:
        out.error = e
    return out


def _build(case, leaves, out, anomaly):
    """The forward pass: the loss, and the tensor to change in place (or None)."""
    pool = list(leaves)
    victim = None
    for i in range(case.n_ops):
        c = case.choices[i]
        x = _pick(pool, c[0])
        if i == case.at and case.fault != "none":
            node, victim, fault_node = _inject(case, x, int(c[3]), out)
            if fault_node is not None and not anomaly:
                fault_node.register_hook(lambda g: setattr(out, "upstream", np.array(g)))
            pool.append(node)
        elif case.flavour == "no_grad" and i % 3 == 1:  # a constant made inside no_grad
            with cr.no_grad():
                constant = _apply_safe(pool, x, c)
            pool.append(x * 0.5 + constant * 0.5)
        else:
            pool.append(_apply_safe(pool, x, c))
    loss = _terminal(case, pool)
    for t in pool[len(leaves) : -1]:
        loss = loss + t.sum() * 0.125
    out.values.append(loss.data.copy())
    return loss, victim


class _nothing:  # noqa: N801
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _apply_safe(pool, x, c):
    fits = [op for op in SAFE if _fits(op[2], x)]
    _, arity, _, fn = fits[int(c[1]) % len(fits)]
    if arity == 1:
        return fn(x)
    y = _pick(pool, c[2])
    if y.shape != x.shape:
        y = x
    return fn(x, y)


def _inject(case, x, c, out):
    """The faulty node made from ``x``, the array to change in place (or None), and the
    node whose upstream gradient decides whether a backward fault occurs (or None)."""
    if case.fault == "forward":
        fits = [f for f in FORWARD_FAULTS if _fits(f[2], x)]
        _, op, _, fn = fits[c % len(fits)]
        out.expected = (op, "forward", "non-finite", fn.__code__.co_firstlineno)
        if case.flavour == "no_grad":  # a forward fault is found without a graph too
            with cr.no_grad():
                bad = fn(x)
            return x + bad, None, None
        return fn(x), None, None
    if case.fault == "backward":
        fits = [f for f in BACKWARD_FAULTS if _fits(f[3], x)]
        _, op, out.needs_upstream, _, fn = fits[c % len(fits)]
        out.expected = (op, "backward", "non-finite", fn.__code__.co_firstlineno)
        node = fn(x)
        return node, None, node
    op, fn = IN_PLACE[c % len(IN_PLACE)]
    node, victim = fn(x)
    out.expected = (op, "backward", "in-place", fn.__code__.co_firstlineno)
    return node, victim, None


def _terminal(case, pool):
    last = pool[-1]
    fits = [t for t in TERMINALS if _fits(t[1], last)]
    return fits[int(case.choices[-1][0]) % len(fits)][2](last)


def _differentiate(flavour, loss, leaves, out):
    if flavour == "hooks":
        for t in leaves:
            t.register_hook(lambda g: g * 1.0)
    create = flavour == "create_graph"
    retain = flavour == "retain"
    loss.backward(retain_graph=retain, create_graph=create)
    if retain:
        loss.backward()
    out.grads.extend(_array(t.grad) for t in leaves)


def _array(g):
    """A gradient as an array to compare (None, for a leaf the graph did not use: empty)."""
    return np.zeros(0) if g is None else np.array(g.data if isinstance(g, cr.Tensor) else g)


def verdict(case: Case) -> str:
    """Run ``case`` with anomaly mode off, then on: "located", "masked" (a backward fault
    whose upstream gradient was 0, so that no NaN or inf was made), "clean", or what went
    wrong."""
    with np.errstate(all="ignore"):  # off, the faults warn
        off = run_case(case, anomaly=False)
    on = run_case(case, anomaly=True)
    occurs = off.expected is not None
    if occurs and off.needs_upstream:
        occurs = off.upstream is not None and bool(np.any(off.upstream != 0))
    err = on.error
    if not occurs:
        if err is not None:
            return f"false alarm: {err}"
        if not _identical(off.values + off.grads, on.values + on.grads):
            return "values or gradients differ with anomaly mode on"
        return "masked" if off.expected is not None else "clean"
    if err is None:
        return f"missed: {off.expected}"
    got = (err.op, err.phase, err.kind, err.lineno)
    if got != off.expected or err.filename != __file__ or f":{err.lineno} " not in str(err):
        return f"mislocated: expected {off.expected}, got {got}: {err}"
    return "located"


def _identical(xs, ys) -> bool:
    return len(xs) == len(ys) and all(
        x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True) for x, y in zip(xs, ys)
    )


# ----- the tests -----------------------------------------------------------------------------
SEEDS = range(200)  # about 3 s; every fault kind and every flavour is drawn (checked below)


def test_fuzz_every_fault_is_located_and_every_clean_graph_is_unchanged():
    verdicts = {}
    for seed in SEEDS:
        verdicts[seed] = verdict(Case(seed))
        assert not cr.is_anomaly_enabled(), seed  # restored, after an AnomalyError too
    wrong = {seed: v for seed, v in verdicts.items() if v not in ("located", "masked", "clean")}
    assert not wrong, wrong
    counts = {v: list(verdicts.values()).count(v) for v in ("located", "masked", "clean")}
    assert counts["located"] >= 80, counts
    assert counts["clean"] >= 60, counts


def test_the_fuzz_draws_every_fault_and_flavour():
    cases = [Case(seed) for seed in SEEDS]
    assert {c.fault for c in cases} == {"none", "forward", "backward", "in-place"}
    assert {c.flavour for c in cases} == set(FLAVOURS)
    assert {c.shape for c in cases} == set(SHAPES)
    assert {c.dtype for c in cases} == {np.dtype("float32"), np.dtype("float64")}
    assert min(c.n_ops for c in cases) == 3
    assert max(c.n_ops for c in cases) == 30


def test_fuzz_cases_in_two_threads_at_once():
    # the flag is one per process, on while either thread's block is open; a backward in
    # one thread does not switch off the forward checks of the other
    seeds = [s for s in SEEDS if Case(s).fault in ("none", "forward")][:24]
    results = {}

    def work(part):
        for seed in part:
            results[seed] = verdict(Case(seed))

    threads = [threading.Thread(target=work, args=(seeds[i::2],)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(results) == set(seeds)
    assert all(v in ("located", "clean") for v in results.values()), results
