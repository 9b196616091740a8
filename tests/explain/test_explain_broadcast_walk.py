"""The transcript's walk marks a gradient summed over broadcast axes, and a
tensor named elsewhere in the graph does not collapse another leaf's chain rule.

Every expected number below is worked out by hand (NumPy on the inputs), not read from
the trace.
"""

import numpy as np

import chainrule as cr


def _broadcast_trace(lang="en"):
    b = cr.tensor([1.0, 2.0, 3.0], dtype="float64", requires_grad=True, name="b")
    x = cr.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype="float64", requires_grad=True)
    x.name = "X"
    return cr.explain(((x + b) * x).sum(), lang=lang)


def test_the_walk_says_when_a_gradient_was_summed_over_broadcast_axes():
    # L = Σ (X + b)·X: the add receives X = [[1, 2, 3], [4, 5, 6]] from the mul; its local
    # gradient is 1, so b of shape (3,) gets the column sums [5, 7, 9] -- not 1 × upstream
    lines = _broadcast_trace().transcript(of="b").splitlines()
    (hop,) = [line for line in lines if "∂L/∂b (3) = [5, 7, 9]" in line]
    assert "local gradient 1" in hop
    assert "Σ = summed over the broadcast axes" in hop
    # the hop into add1 (2, 3) is local × upstream as it stands: no Σ
    (into_add,) = [line for line in lines if "∂L/∂add1 (2, 3)" in line]
    assert "summed" not in into_add
    # X has the add's shape: its branch through the add is the upstream itself, no Σ
    lines = _broadcast_trace().transcript(of="X").splitlines()
    (branch,) = [line for line in lines if "#3 Add: one branch into X" in line]
    assert "summed" not in branch


def test_the_summed_mark_is_in_korean_and_ascii_in_latex():
    trace = _broadcast_trace("ko")
    (hop,) = [line for line in trace.transcript(of="b").splitlines() if "∂L/∂b (3) = " in line]
    assert "Σ = 브로드캐스트된 축을 따라 더함" in hop
    latex = _broadcast_trace().transcript(of="b", fmt="latex")
    assert "dL/db (3) = [5, 7, 9]   [local gradient 1; Sigma = summed over" in latex


def _side_graph():
    w = cr.tensor(0.4, dtype="float64", requires_grad=True, name="w")
    v = cr.tensor(0.3, dtype="float64", requires_grad=True, name="v")
    h = cr.tanh(w)
    h.name = "h"  # named, but on w's side only
    return cr.explain(cr.exp(cr.sin(v)) * 2.0 + h)


def test_a_name_off_the_paths_does_not_collapse_the_chain_rule():
    # ∂L/∂v = 1 × 2 × e^{sin 0.3} × cos 0.3: one factor per node, as when nothing is named
    e, c = np.exp(np.sin(0.3)), np.cos(0.3)
    lines = _side_graph().transcript(of="v").splitlines()
    assert lines[1].strip() == "∂L/∂v = ∂L/∂mul1 × ∂mul1/∂exp1 × ∂exp1/∂sin1 × ∂sin1/∂v"
    assert lines[2].strip() == f"= 1 × 2 × {e:.8f} × {c:.8f}"
    assert lines[3].strip() == f"= {2 * e * c:.8f}"
    # w's only path passes h: the factors still run between named tensors, ∂L/∂h × ∂h/∂w
    lines = _side_graph().transcript(of="w").splitlines()
    assert lines[1].strip() == "∂L/∂w = ∂L/∂h × ∂h/∂w"
    assert lines[2].strip() == f"= 1 × {1 - np.tanh(0.4) ** 2:.8f}"


def test_a_named_intermediate_s_own_transcript_shows_its_paths():
    # L = h·h·h + h·w·2 with h = tanh w named: from h itself no named tensor lies between,
    # so the chain rule is its four paths, 3 × h² and 2w, not the one line ∂L/∂h = …
    w = cr.tensor(0.4, dtype="float64", requires_grad=True, name="w")
    h = cr.tanh(w)
    h.name = "h"
    trace = cr.explain(h * h * h + h * w * 2.0)
    text = trace.transcript(of="h")
    t = np.tanh(0.4)
    assert text.splitlines()[0] == "Chain rule for ∂L/∂h: 4 paths from h to L, summed"
    assert text.count(f"        = {t * t:.8f}\n") == 3  # h·h·h's paths: each h × h
    assert "        = 1 × 2 × 0.4\n        = 0.8\n" in text  # h·w·2's path: w × 2
    assert f"engine: ∂L/∂h = {3 * t * t + 0.8:.8f}" in text


def test_a_route_factor_that_leaves_out_paths_through_a_named_tensor_says_so():
    # h = tanh(w) named, L = h³ + h·w at w = 0.5: dL/dw = (3h² + w)(1 − h²) + h. The factor
    # of the direct route is h alone (the part of ∂L/∂w not through h), never the whole
    w = cr.tensor(0.5, dtype="float64", requires_grad=True, name="w")
    h = cr.tanh(w)
    h.name = "h"
    out = h * h * h + h * w
    out.name = "L"
    trace = cr.explain(out)
    th = np.tanh(0.5)
    text = trace.transcript(of="w")
    assert f"route 2: ∂L/∂w (not through h) = {th:.8f}" in text
    assert f"route 1: ∂L/∂h × ∂h/∂w\n         = {3 * th**2 + 0.5:.8f} × {1 - th**2:.8f}" in text
    latex = trace.transcript(of="w", fmt="latex")
    assert r"\left.\frac{\partial L}{\partial w}\right|_{\text{not through }h}" in latex


def test_the_latex_note_writes_names_as_the_fractions_do():
    w = cr.tensor(0.5, dtype="float64", requires_grad=True, name="w")
    h = cr.tanh(w)
    h.name = "a_2"
    latex = cr.explain(h * h * h + h * w).transcript(of="w", fmt="latex")
    assert r"\frac{\partial L}{\partial a_{2}}" in latex
    assert r"\right|_{\text{not through }a_{2}}" in latex  # not \text{not through a\_2}


def test_the_two_paths_through_x_times_x_say_which_input_each_takes():
    # d(x·x + sin x)/dx = 2x + cos x: x reaches mul1 as both inputs, two paths of x each
    x = cr.tensor(0.3, dtype="float64", requires_grad=True, name="x")
    out = x * x + cr.sin(x)
    out.name = "L"
    text = cr.explain(out).transcript(of="x")
    assert "path 1: ∂L/∂mul1 × ∂mul1/∂x (as input 1)\n        = 1 × 0.3" in text
    assert "path 2: ∂L/∂mul1 × ∂mul1/∂x (as input 2)\n        = 1 × 0.3" in text
    assert f"path 3: ∂L/∂sin1 × ∂sin1/∂x\n        = 1 × {np.cos(0.3):.8f}" in text


def test_a_non_scalar_walk_says_which_input_each_path_of_a_repeated_value_takes():
    # stack([y, y, x]).sum(): y reaches the stack twice, ∂L/∂y = 1 + 1 per element
    x = cr.tensor([1.0, 2.0], requires_grad=True, name="x")
    y = cr.tensor([3.0, 4.0], requires_grad=True, name="y")
    out = cr.stack([y, y, x]).sum()
    out.name = "L"
    text = cr.explain(out).transcript(of="y")
    assert "path 1: y → Stack (#2, as input 1) → stack1 (3, 2)" in text
    assert "path 2: y → Stack (#2, as input 2) → stack1 (3, 2)" in text
    assert "one branch into y (2) (as input 2) = [1, 1]" in text
    assert "∂L/∂y = [2, 2]" in text
