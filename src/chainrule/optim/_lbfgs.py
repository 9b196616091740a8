"""`LBFGS`: limited-memory BFGS on all the parameters as one flat vector, with PyTorch's
iteration, stopping rules and optional strong Wolfe line search.

The vectors below (W, g, d, s, y) are the parameters or gradients flattened and joined in
parameter order; products of two vectors are dot products.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._arguments import count, is_count
from .._grad_mode import enable_grad
from .._quiet import silenced
from ._hyper import _non_negative
from ._lbfgs_state import parsed_entry, same_id
from ._line_search import strong_wolfe
from ._optimizer import Optimizer
from ._params import grad_array
from ._state import _top_level, parse_state_dict

#: yᵀs at or below which a curvature pair is dropped: it would not keep H positive definite
CURVATURE_MIN = 1e-10


def _at_least_one(name: str, value) -> int:
    """A count of iterations, evaluations or pairs: an int >= 1."""
    return count(name, value, 1)


def _line_search(name: str, value) -> str | None:
    """None (a fixed step) or "strong_wolfe", the one search PyTorch has."""
    if value not in (None, "strong_wolfe"):
        raise ValueError(f"{name} must be None or 'strong_wolfe', got {value!r}")
    return value


class LBFGS(Optimizer):
    r"""L-BFGS (Nocedal & Wright, Numerical Optimization, ch. 7), in PyTorch's form: each
    `step` runs up to ``max_iter`` quasi-Newton iterations on the full-batch loss, so it
    needs a closure that recomputes the loss and the gradients.

        d = −H·g  by the two-loop recursion (N&W alg. 7.4) over the last m pairs (s, y):
            q ← −g;  for i newest to oldest:  αᵢ = ρᵢ·sᵢq,  q ← q − αᵢ·yᵢ      (ρᵢ = 1/yᵢsᵢ)
            r ← γ·q,  γ = ys / yy of the newest pair (1 before any)
            for i oldest to newest:  βᵢ = ρᵢ·yᵢr,  r ← r + (αᵢ − βᵢ)·sᵢ;   d = r
        W ← W + t·d,   s = t·d,   y = g_new − g   (the pair kept only when ys > 1e-10)

    The first iteration ever takes d = −g and t = η·min(1, 1/‖g‖₁); later ones t = η.
    With ``line_search_fn="strong_wolfe"``, t is searched from there until
    f(W + t·d) ≤ f(W) + c₁·t·gd and |g(W + t·d)·d| ≤ c₂·|gd| (c₁ = 1e-4, c₂ = 0.9; N&W
    alg. 3.5–3.6, cubic interpolation), probing at most once more than the evaluations
    ``max_eval`` leaves, as PyTorch's does. A step stops after
    ``max_iter`` iterations or ``max_eval`` evaluations, or when ‖g‖∞ ≤ tolerance_grad,
    gd > −tolerance_change, t·‖d‖∞ ≤ tolerance_change or |Δloss| < tolerance_change.

    Args:
        params: Tensors to optimize, in one group (several are a ValueError, as in PyTorch:
            the rule treats all parameters as one vector).
        lr: the learning rate η >= 0.
        max_iter: the most iterations per step, >= 1.
        max_eval: the most closure evaluations per step (they may overshoot by a line
            search's); default ``max_iter * 5 // 4``.
        tolerance_grad, tolerance_change: the stopping thresholds above, >= 0.
        history_size: m >= 1, the pairs kept.
        line_search_fn: None (a fixed step t) or ``"strong_wolfe"``.

    State, in ``state[0]``: ``func_evals`` and ``n_iter`` (totals over all steps); after
    the first iteration also ``d``, ``t``, ``old_dirs`` (the y's), ``old_stps`` (the s's),
    ``ro``, ``H_diag`` (γ), ``prev_flat_grad``, ``prev_loss``. In `state_dict` the pairs are
    arrays of shape (m, n), n the parameters' total size. A gradient of None counts as
    zeros, as in PyTorch; `step` without a closure is a TypeError saying why.
    `chainrule.fit` gives it one (see `needs_closure`).
    """

    #: `step` must be given a closure; `chainrule.fit` reads this to build one per batch
    needs_closure = True

    _hyper_rules = (
        ("max_iter", _at_least_one),
        ("max_eval", _at_least_one),
        ("tolerance_grad", _non_negative),
        ("tolerance_change", _non_negative),
        ("history_size", _at_least_one),
        ("line_search_fn", _line_search),
    )

    def __init__(
        self,
        params,
        lr: float = 1.0,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
        **unsupported,
    ) -> None:
        if max_eval is None and is_count(max_iter):
            max_eval = max_iter * 5 // 4
        defaults = dict(
            lr=lr,
            max_iter=max_iter,
            max_eval=max_eval,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
            history_size=history_size,
            line_search_fn=line_search_fn,
        )
        super().__init__(params, defaults, unsupported)

    def _add_group(self, group: dict) -> None:
        if self.param_groups:
            raise ValueError(
                "takes one parameter group (no per-group options): it treats all the "
                "parameters as one vector, as PyTorch's LBFGS does"
            )
        super()._add_group(group)

    # ----- the step -----------------------------------------------------------------------
    def step(self, closure: Callable[[], object] | None = None):
        """Run up to ``max_iter`` iterations; return the closure's first loss (before any
        move), as PyTorch does."""
        if closure is None:
            raise TypeError(
                "LBFGS.step needs a closure: each step evaluates the loss and gradients "
                "several times (at every iteration and line-search probe); pass a function "
                "that zeroes the gradients, computes the loss, calls backward and returns it"
            )
        group = self.param_groups[0]
        state = self.state.setdefault(0, {"func_evals": 0, "n_iter": 0})
        out, loss, g = self._evaluate(closure)
        state["func_evals"] += 1
        if np.abs(g).max(initial=0) <= group["tolerance_grad"]:
            return out
        self._iterate(closure, state, group, loss, g)
        return out

    def _iterate(self, closure, state: dict, group: dict, loss: float, g: np.ndarray) -> None:
        evals = 1
        for n in range(1, group["max_iter"] + 1):
            state["n_iter"] += 1
            with silenced():  # IEEE results, no warning (the closure runs outside)
                d = state["d"] = self._direction_of(state, g, group)
                state["t"] = _first_t(g, group["lr"]) if state["n_iter"] == 1 else group["lr"]
            state["prev_flat_grad"], state["prev_loss"] = g, loss
            gd = float(g @ d)
            if gd > -group["tolerance_change"]:  # not a descent direction (any more)
                return
            last, left = n == group["max_iter"], group["max_eval"] - evals
            loss, g, used = self._move(closure, state, group, (0.0, loss, g, gd), last, left)
            evals += used
            state["func_evals"] += used
            if last or evals >= group["max_eval"] or _done(state, group, loss, g):
                return

    def _move(self, closure, state: dict, group: dict, start: tuple, last: bool, left: int):
        """W ← W + t·d; the loss and gradient there, and the evaluations made. ``start`` is
        (0, loss, g, gd) at W; the line search may probe ``left`` more times after its
        first (the evaluations ``max_eval`` leaves: PyTorch's budget)."""
        if group["line_search_fn"] is not None:
            return self._searched_step(closure, state, start, group, left)
        self._add_to_params(state["t"], state["d"])
        if last:  # the next step evaluates the loss and gradient first
            return start[1], start[2], 0
        _, loss, g = self._evaluate(closure)
        return loss, g, 1

    def _direction_of(self, state: dict, g: np.ndarray, group: dict) -> np.ndarray:
        """d = −H·g (−g at the first iteration ever), after storing the newest pair."""
        if state["n_iter"] == 1:
            state.update(old_dirs=[], old_stps=[], ro=[], H_diag=1.0)
            return -g
        y, s = g - state["prev_flat_grad"], state["d"] * state["t"]
        ys = float(y @ s)
        if ys > CURVATURE_MIN:
            pairs = state["old_dirs"], state["old_stps"], state["ro"]
            if len(pairs[0]) >= group["history_size"]:
                for kept in pairs:
                    kept.pop(0)
            for kept, new in zip(pairs, (y, s, 1.0 / ys)):
                kept.append(new)
            state["H_diag"] = ys / float(y @ y)
        return _two_loop(g, state["old_dirs"], state["old_stps"], state["ro"], state["H_diag"])

    def _searched_step(self, closure, state: dict, start: tuple, group: dict, left: int):
        """W ← W + t·d with t from the strong Wolfe search (state's t its first try)."""
        params, d = self.param_groups[0]["params"], state["d"]
        origin = [p.data.copy() for p in params]

        def probe(t: float) -> tuple:
            self._add_to_params(t, d)
            _, f, g = self._evaluate(closure)
            for p, w in zip(params, origin):
                np.copyto(p.data, w)
            return (t, f, g, float(g @ d))

        tol = group["tolerance_change"]
        (t, loss, g, _), used = strong_wolfe(probe, start, state["t"], np.abs(d).max(), tol, left)
        state["t"] = t
        self._add_to_params(t, d)
        return loss, g, used

    # ----- the flat vector ---------------------------------------------------------------
    def _evaluate(self, closure) -> tuple:
        """The closure's result, the loss as a float and the flat gradient (None as 0)."""
        with enable_grad():
            out = closure()
        params = self.param_groups[0]["params"]
        dtype = np.result_type(*(p.data.dtype for p in params))
        parts = [
            np.zeros(p.data.size, dtype) if p.grad is None else grad_array(p, i).ravel()
            for i, p in enumerate(params)
        ]
        return out, float(out), np.concatenate(parts).astype(dtype, copy=False)

    def _add_to_params(self, t: float, d: np.ndarray) -> None:
        """W ← W + t·d, in place, each parameter from its slice of the flat d."""
        offset = 0
        with silenced():
            for p in self.param_groups[0]["params"]:
                w = p.data
                w += t * d[offset : offset + w.size].reshape(w.shape)
                offset += w.size

    # ----- saving and restoring ----------------------------------------------------------
    def _saved_entry(self, entry: dict, p, group: dict) -> dict:
        """A copy of the state, its pairs stacked into (m, n) arrays and ``ro`` an array."""
        out = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in entry.items()}
        if "old_dirs" in entry:
            n, dtype = entry["d"].size, entry["d"].dtype
            for name in ("old_dirs", "old_stps"):
                out[name] = np.array(entry[name], dtype).reshape(len(entry[name]), n)
            out["ro"] = np.array(entry["ro"], np.float64)
        return out

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a `state_dict`, its history included, so that stepping on continues
        exactly; everything is checked before anything changes."""
        groups, entries = _top_level(state_dict)
        hypers, _ = parse_state_dict(self, {"param_groups": groups, "state": {}})
        ids = [k for k in entries if same_id(k, groups[0]["params"][0])]
        if len(ids) != len(entries):
            raise ValueError("load_state_dict: LBFGS keeps its state under its first parameter")
        params = self.param_groups[0]["params"]
        n, dtype = sum(p.data.size for p in params), np.result_type(*(p.data.dtype for p in params))
        state = {0: parsed_entry(entries[ids[0]], n, dtype, hypers[0])} if ids else {}
        self.param_groups[0].update(hypers[0])
        self.state = state


def _done(state: dict, group: dict, loss: float, g: np.ndarray) -> bool:
    """Whether the step stops early: a small gradient, move or change of the loss."""
    tol = group["tolerance_change"]
    if np.abs(g).max(initial=0) <= group["tolerance_grad"]:
        return True
    return (
        abs(state["t"]) * np.abs(state["d"]).max(initial=0) <= tol
        or abs(loss - state["prev_loss"]) < tol
    )


def _first_t(g: np.ndarray, lr: float) -> float:
    """The first step ever, η·min(1, 1/‖g‖₁): the first move, −t·g, is at most η long in
    the 1-norm, however large the gradient."""
    return float(min(1.0, 1.0 / np.abs(g).sum()) * lr)


def _two_loop(g, dirs: list, stps: list, ro: list, h_diag: float) -> np.ndarray:
    """−H·g for the L-BFGS inverse Hessian H of the pairs (N&W alg. 7.4)."""
    q, alpha = -g, [0.0] * len(dirs)
    for i in reversed(range(len(dirs))):
        alpha[i] = float(stps[i] @ q) * ro[i]
        q -= alpha[i] * dirs[i]
    r = q * h_diag
    for i in range(len(dirs)):
        beta = float(dirs[i] @ r) * ro[i]
        r += (alpha[i] - beta) * stps[i]
    return r
