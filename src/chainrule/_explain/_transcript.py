"""The chain rule for one tensor, written out the way the tutorials write it by hand.

    ∂E/∂W5 = ∂E/∂o1 × ∂o1/∂z3 × ∂z3/∂W5 = a × b × c = d

Every path from the tensor to the output through the recorded nodes is one product of the
nodes' local gradients; the paths are summed. When the user named tensors between them, the
factors run between those instead: each factor ∂a/∂b sums every path from b to a that passes
no other named tensor (the whole derivative unless some path does: then the transcript
names the tensors it leaves out), and the terms are the routes through named tensors. The product
runs from the output down, as the engine multiplies, and the result is compared with the
gradient the engine formed. In a
graph whose tensors are not all single numbers, the factors are Jacobians: the transcript
then follows each path with the rule and shapes of every node and the gradient the engine
sent along it.
"""

from __future__ import annotations

import numpy as np

from .._quiet import silenced
from .._tensor import Tensor
from ..optim._hyper import RULES
from ._chain_paths import all_paths, hooked_on, is_scalar, multipliable, sgd_update, which_input
from ._format import CHECK, fmt
from ._labels import label
from ._latex import tex_name, tex_text
from ._transcript_text import render_nonscalar, render_scalar
from ._transcript_walk import path_lines
from ._values import rounding

FORMATS = ("text", "markdown", "latex")


def transcript(trace, of, lr, fmt_: str, expand: bool) -> str:
    """See `Trace.transcript`."""
    if fmt_ not in FORMATS:
        raise ValueError(f"transcript: fmt must be one of {FORMATS}, got {fmt_!r}")
    v = trace[of] if isinstance(of, (Tensor, str)) else None
    if v is None:
        raise TypeError(f"transcript: 'of' must be a Tensor or a name, got {type(of).__name__}")
    if v.grad is None:
        raise ValueError(f"transcript: {v.name} does not require grad, so it has no gradient")
    if v.index == trace.root:
        raise ValueError(f"transcript: {v.name} is the output; pass a tensor it was computed from")
    lr = None if lr is None else _learning_rate(v, lr)
    paths, complete = all_paths(trace, v.index)
    scalar = is_scalar(trace, paths)
    # no path: no gradient reached it (a backward's None); no local gradient: a user's
    # backward that could not run again shows its rule, so its paths cannot be multiplied
    if scalar and complete and paths and multipliable(trace, paths):
        return render_scalar(_scalar_transcript(trace, v, paths, lr, expand), fmt_, trace.lang)
    return render_nonscalar(path_lines(trace, v, paths, (scalar, complete), lr), fmt_)


def _learning_rate(v, lr) -> float:
    """``lr`` as the optimizers take it: a finite number >= 0, as a Python float (so a
    float32 tensor's update runs in float32, as SGD's does); only a leaf has an update."""
    if v.producer is not None:
        raise ValueError(
            f"transcript: {v.name} is computed in the graph, not a leaf: an optimizer "
            "updates only leaves, so there is no update to show; leave out lr"
        )
    try:
        return RULES["lr"]("lr", lr)
    except ValueError as e:
        raise ValueError(f"transcript: {e}") from None


# ----- scalar graphs: products of numbers -------------------------------------------------------
def _scalar_transcript(trace, v, paths, lr, expand: bool) -> dict:
    named = _by_named(trace, paths, expand)
    terms = _group_terms(trace, v, paths) if named else [_term(trace, v, p) for p in paths]
    routes = len(terms) < len(paths)  # a term sums several paths: it is a route, not a path
    total = terms[0]["value"]
    with silenced():  # inf + (−inf): NaN, as IEEE gives it
        for t in terms[1:]:
            total = total + t["value"]
    grad = v.grad.reshape(())
    hooked = hooked_on(trace, v, paths)
    dtypes = {trace.values[trace.step(n).output].data.dtype for path in paths for n, _ in path}
    check = _agreement(total, grad, [t["value"] for t in terms], trace.lang, dtypes)
    if hooked:
        check += " " + label(trace.lang, "tr_hooked", names=", ".join(hooked))
    return {
        "out": trace.output.name,
        "leaf": v.name,
        "terms": terms,
        "sum": fmt(trace, v, total),
        "engine": fmt(trace, v, grad),
        "check": check,
        "update": None if lr is None else sgd_update(trace, v, lr),
        "routes": routes,
    }


def _agreement(total, grad, terms, lang: str, dtypes=()) -> str:
    """The path sum against the engine's gradient: equal, equal within rounding (the
    table's tolerance for the least precise dtype on the paths -- a cast to float32 on the
    way rounds there -- relative to the largest term, and never finer than that dtype's
    smallest normal number, below which it keeps fewer digits), or not. Rounding comes
    from where the engine adds paths, or, on one path, from a node's own arithmetic. NaN
    on both sides is equal, as in the table's check."""
    if total == grad or (np.isnan(total) and np.isnan(grad)):
        return CHECK["exact"]
    coarsest = max({np.dtype(grad.dtype), *dtypes}, key=rounding)
    tol = rounding(coarsest)
    scale = max(abs(float(t)) for t in terms)
    floor = float(np.finfo(coarsest).smallest_normal) if coarsest.kind == "f" else 0.0
    if abs(float(total) - float(grad)) <= max(tol * max(scale, abs(float(grad))), floor):
        why = "tr_close" if len(terms) > 1 else "tr_close_one"
        return CHECK["close"] + " " + label(lang, why)
    if np.isnan(total) and np.isfinite(grad) and any(np.isinf(t) for t in terms):
        return CHECK["mismatch"] + " " + label(lang, "tr_cancel")
    return CHECK["mismatch"]


def _product(first, edges):
    """``first × local[-1] × … × local[0]`` over the edges, from the output end, as
    backward runs, each product formed as its node forms it (``Edge.times``)."""
    out = first
    with silenced():  # 0·∞ and the like: IEEE results, as the engine's pass gives them
        for e in reversed(edges):
            out = e.times(out, e.local.reshape(()))
    return out


def _term(trace, v, path) -> dict:
    """One path node by node: a factor ∂a/∂b (its local gradient) for each edge, and their
    product, formed as backward forms it."""
    chain = [v.index] + [trace.step(n).output for n, _ in path]  # leaf … output
    edges = [trace.step(n).edge(slot) for n, slot in path]
    one = np.ones((), dtype=v.grad.dtype)
    factors = [
        (
            trace.values[chain[k + 1]].name,
            trace.values[chain[k]].name,
            _product(one, [e]),
            _plain_note(which_input(trace, path[k])),
        )
        for k, e in enumerate(edges)
    ][::-1]  # written from the output down: ∂E/∂o1 × ∂o1/∂z3 × ∂z3/∂W5
    seed = trace.output.grad.reshape(())  # 1 unless backward was given another upstream
    return _as_term(trace, v, factors, seed, _product(seed, edges))


def _as_term(trace, v, factors: list, seed, value) -> dict:
    """A term's factors (from the output down) and value, formatted; an upstream gradient
    other than 1 is shown as the first factor, so that the factors multiply to the value.
    Each factor is (numerator, denominator, value, note): the note, None or (text, LaTeX),
    says which input the path takes or which paths the factor leaves out."""
    if seed != 1:
        factors.insert(0, (trace.output.name, trace.output.name, seed, None))
    return {
        "factors": [(num, den, fmt(trace, v, f), note) for num, den, f, note in factors],
        "value": value,
        "text": fmt(trace, v, value),
    }


def _by_named(trace, paths, expand: bool) -> bool:
    """Whether the factors run between tensors the user named (the default when the paths
    pass any) rather than node by node. A tensor named elsewhere in the graph does not
    count: on paths that pass none, the only factor would be the whole derivative itself."""
    if expand:
        return False
    on_paths = {trace.step(n).output for path in paths for n, _ in path}
    return any(trace.values[i].named and trace.values[i].kind == "intermediate" for i in on_paths)


def _group_terms(trace, v, paths) -> list[dict]:
    """One term per sequence of named values the paths pass (a route), whose factor
    ∂a/∂b sums every path from b to a that passes no other named value
    (the paths of a route are all the combinations of those, so the sum of their products
    is the product of the factors' sums)."""
    groups: dict[tuple, list] = {}
    chains = []
    for path in paths:
        chain = [v.index] + [trace.step(n).output for n, _ in path]
        stops = _stops(trace, chain)
        groups.setdefault(tuple(chain[i] for i in stops), []).append((path, stops))
        chains.append((chain, stops))
    return [_group_term(trace, v, key, members, chains) for key, members in groups.items()]


def _group_term(trace, v, key: tuple, members: list, chains: list) -> dict:
    """The term of one route, the sequence of named values ``key`` (leaf … output). Its
    value is formed as the engine forms it: from the output down, the gradient that
    reached a named value is passed along each path to the next and the results added,
    each product by its node's rule (so 0 × ∞ is 0 where the engine takes it so)."""
    one = np.ones((), dtype=v.grad.dtype)
    seed = value = trace.output.grad.reshape(())  # 1 unless backward was given another
    factors = []
    for j in reversed(range(len(key) - 1)):  # from the output down
        between = {}  # each path from key[j] to key[j + 1] once, however many routes use it
        for path, stops in members:
            part = tuple(path[stops[j] : stops[j + 1]])
            between[part] = [trace.step(n).edge(slot) for n, slot in part]
        shares = [(_product(one, edges), _product(value, edges)) for edges in between.values()]
        with silenced():
            factor, value = shares[0]
            for f, passed in shares[1:]:
                factor, value = factor + f, value + passed
        avoided = _avoided(trace, chains, key[j], key[j + 1])
        factors.append((trace.values[key[j + 1]].name, trace.values[key[j]].name, factor, avoided))
    return _as_term(trace, v, factors, seed, value)


def _plain_note(text: str) -> tuple[str, str] | None:
    """A note of words alone, in text and in LaTeX (None for no note)."""
    return (text, f"\\text{{{tex_text(text)}}}") if text else None


def _avoided(trace, chains: list, low: int, high: int) -> tuple[str, str] | None:
    """The named values that other paths from ``low`` to ``high`` pass, as a note: the
    factor ∂high/∂low of a route sums only the paths that pass none, so where there are
    such values it is not the whole derivative, and the transcript says which it leaves
    out (None where there are none). In LaTeX the names are written as the fractions
    write them (a_2 as a_{2})."""
    found = []
    for chain, stops in chains:
        named = [chain[i] for i in stops]
        if low in named and high in named[named.index(low) + 1 :]:
            between = named[named.index(low) + 1 : named.index(high, named.index(low) + 1)]
            found += [i for i in between if i not in found]
    if not found:
        return None
    names = [trace.values[i].name for i in sorted(found)]
    text = label(trace.lang, "tr_avoiding", names=", ".join(names))
    before, after = label(trace.lang, "tr_avoiding", names="\0").split("\0")
    words = [f"\\text{{{tex_text(w)}}}" if w else "" for w in (before, after)]
    return text, words[0] + ", ".join(tex_name(n) for n in names) + words[1]


def _stops(trace, chain: list[int]) -> list[int]:
    """Positions in ``chain`` where a factor starts or ends: the ends and the named values."""
    last = len(chain) - 1
    named = [i for i in range(1, last) if trace.values[chain[i]].named]
    return [0, *named, last]


# ----- other graphs: rules with shapes ----------------------------------------------------------
