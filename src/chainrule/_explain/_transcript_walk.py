"""The transcript of a graph whose tensors are not all single numbers (or with too many paths
to sum one by one): each path as a route, then every node on them once, in backward order,
with its rule, shapes and the gradient the engine sent along it."""

from __future__ import annotations

from . import _format
from ._chain_paths import MAX_PATHS, hooked_on, sgd_update, which_input
from ._format import fmt
from ._labels import label
from ._values import shape


def path_lines(trace, v, paths, scalar_complete: tuple[bool, bool], lr) -> dict:
    """The paths as routes, then every node on them once, in backward order; for graphs of
    tensors, or with too many paths to sum one by one.

    Each node sends on the whole gradient of its output (not one path's share of it), so
    a value that feeds several nodes is shown receiving each branch, then their sum."""
    out, lang = trace.output, trace.lang
    title = label(lang, "tr_title", out=out.name, leaf=v.name) + f" {shape(v.data.shape)}"
    scalar, complete = scalar_complete
    lines = [] if scalar else [label(lang, "tr_not_scalar")]
    if not complete:
        lines.append(label(lang, "tr_many", n=MAX_PATHS))
    for i, path in enumerate(paths, 1):
        lines.append(label(lang, "tr_path", i=i) + ": " + _route(trace, v, path))
    lines.append(label(lang, "tr_walk") + ":")
    lines += ["  " + line for line in _walk(trace, v)]
    lines.append(f"∂{out.name}/∂{v.name} = {fmt(trace, v, v.grad)}")
    hooked = hooked_on(trace, v, paths)
    if hooked:
        lines.append(label(lang, "tr_hooked", names=", ".join(hooked)))
    if lr is not None:
        u = sgd_update(trace, v, lr)
        lines.append(label(lang, "tr_update", lr=u["lr"]) + ":")
        lines.append(f"{v.name}⁺ = {v.name} − η·∂{out.name}/∂{v.name} = {u['new']}")
    return {"title": title, "lines": lines}


def _route(trace, v, path) -> str:
    parts = [v.name]
    for number, slot in path:
        s = trace.step(number)
        o = trace.values[s.output]
        which = which_input(trace, (number, slot))
        parts += [
            f"{s.op} (#{number}{', ' + which if which else ''})",
            f"{o.name} {shape(o.data.shape)}",
        ]
    return " → ".join(parts)


def _downstream_of(trace, v) -> set[int]:
    """``v`` and every value computed from it (all of them reach the output: the engine
    recorded only nodes on the way back from it)."""
    seen, stack = {v.index}, [v.index]
    while stack:
        for number, _ in trace.values[stack.pop()].consumers:
            o = trace.step(number).output
            if o not in seen:
                seen.add(o)
                stack.append(o)
    return seen


def _walk(trace, v) -> list[str]:
    """Each node between ``v`` and the output, nearest the output first: the gradient it
    sent to each input on the way to ``v``; after a fan-out value's last branch, the sum."""
    on_path = _downstream_of(trace, v)
    last_branch = {
        i: max(n for n, _ in trace.values[i].consumers)
        for i in on_path
        if trace.values[i].is_fanout
    }
    lines = []
    for s in trace.steps:
        if s.output not in on_path:
            continue
        for e in s.inputs:
            if e.value in on_path and e.downstream is not None:
                lines.append(_hop(trace, s, e))
        for i, number in sorted(last_branch.items()):
            if number == s.number:
                lines.append(_fanout_sum(trace, trace.values[i]))
    return lines


def _hop(trace, s, e) -> str:
    """One node on the way back: the gradient it sent to one input, and by which rule."""
    x, out, lang = trace.values[e.value], trace.output, trace.lang
    how = [e.rule] if e.rule is not None else []
    if e.local is not None:
        how.append(f"{label(lang, 'local')} {fmt(trace, x, e.local)}")
    if _format.summed(s, e):  # local × upstream has the broadcast shape: the table's Σ
        how.append(label(lang, "summed"))
    grad = fmt(trace, x, e.downstream)
    if x.is_fanout:  # one branch of a sum, shown after the last branch
        where = label(lang, "tr_branch", name=x.name) + f" {shape(x.data.shape)}"
        which = which_input(trace, (s.number, e.slot))
        where += f" ({which})" if which else ""
    else:
        where = f"∂{out.name}/∂{x.name} {shape(x.data.shape)}"
        if x.before_hooks is not None:
            grad += "; " + label(lang, "hooked", value=fmt(trace, x, x.grad))
    return f"#{s.number} {s.op}: {where} = {grad}   [{'; '.join(how)}]"


def _fanout_sum(trace, x) -> str:
    return f"∂{trace.output.name}/∂{x.name} = {_format.branch_sum(trace, x)}"
