"""An op's derivative as explain writes it: in words and symbols, in the trace's language.

English shows the op's own docstring sentence (its first paragraph), the one written next
to its code; a `Function` without a docstring shows its ``derivative`` attribute, else its
name. Korean shows the formula: ``name: derivative`` for ops that give one, the Korean
sentence below for the built-in ops whose formula is itself written in English words, and
otherwise the docstring sentence up to its English prose (" — …", "; …").
"""

from __future__ import annotations

from ._naming import op_name

#: the built-in ops whose rule is (partly) English words, in the tutorials' Korean
_KO = {
    "Pow": "pow: ∂(xʸ)/∂x = y·xʸ⁻¹ (y = 0이면 0), ∂(xʸ)/∂y = xʸ·ln x (x = 0에서 ln x는 0)",
    "Maximum": "maximum: x > y이거나 x가 NaN이면 ∂/∂x = 1, x < y이면 0, 같으면 ½씩",
    "Minimum": "minimum: x < y이거나 x가 NaN이면 ∂/∂x = 1, x > y이면 0, 같으면 ½씩",
    "Where": "where: ∂/∂x = cond, ∂/∂y = not cond (고르지 않은 쪽은 NaN이어도 0)",
    "Sqrt": "sqrt: d/dx √x = 1/(2√x) = 0.5/out (x = 0에서 +inf)",
    "Abs": "abs: d/dx |x| = sign(x), abs'(0) = 0",
    "ReLU": "relu: d/dx max(x, 0) = x > 0이면 1, 아니면 0 (relu'(0) = 0)",
    "LeakyReLU": "leaky_relu: d/dx = x > 0이면 1, 아니면 negative_slope",
    "ELU": "elu: d/dx = x > 0이면 1, 아니면 α·eˣ (elu'(0) = α)",
    "SiLU": "silu: d/dx xσ(x) = σ(x)(1 + x(1 − σ(x))), +∞에서 1, −∞에서 0 (극한값)",
    "GELU": "gelu: d/dx x·Φ(x) = Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π); "
    "tanh 근사이면 σ(t) + x·t′·σ(t)·σ(−t), t = 2√(2/π)(x + 0.044715x³)",
    "NormalPDF": "normal_pdf: d/dx φ(x) = −x·φ(x) (±inf에서 0)",  # in GELU's second derivative
    "Softplus": "softplus: d/dx (1/β)·ln(1 + e^(βx)) = σ(βx), βx > threshold이면 1",
    # more unary math
    "Log1p": "log1p: d/dx ln(1 + x) = 1/(1 + x) (x = −1에서 +inf)",
    "Expm1": "expm1: d/dx (eˣ − 1) = eˣ (exp x로 계산: out + 1은 x < −37에서 0이 된다)",
    "Log2": "log2: d/dx log₂ x = 1/(x ln 2)",
    "Log10": "log10: d/dx log₁₀ x = 1/(x ln 10)",
    "Reciprocal": "reciprocal: d/dx 1/x = −1/x² = −out² (x = ±0에서 −inf)",
    "Rsqrt": "rsqrt: d/dx 1/√x = −½·x^(−3/2) = −½·out³ (x = 0에서 −inf)",
    "Tan": "tan: d/dx tan x = 1 + tan²x = 1 + out²",
    "Sinh": "sinh: d/dx sinh x = cosh x",
    "Cosh": "cosh: d/dx cosh x = sinh x",
    "Arcsin": "arcsin: d/dx arcsin x = 1/√(1 − x²) (x = ±1에서 +inf, [−1, 1] 밖에서 NaN)",
    "Arccos": "arccos: d/dx arccos x = −1/√(1 − x²) (x = ±1에서 −inf, [−1, 1] 밖에서 NaN)",
    "Arctan": "arctan: d/dx arctan x = 1/(1 + x²) (±inf에서 0)",
    "Arctan2": "arctan2: ∂/∂y = x/(x² + y²), ∂/∂x = −y/(x² + y²) (원점에서 0)",
    "Erf": "erf: d/dx erf x = 2/√π·e^(−x²)",
    "Erfc": "erfc: d/dx erfc x = −2/√π·e^(−x²)",
    "Sign": "sign: d/dx sign x = 0 (어디서나, x = 0에서도)",
    "Floor": "floor: d/dx ⌊x⌋ = 0 (어디서나, 불연속인 정수에서도)",
    "Ceil": "ceil: d/dx ⌈x⌉ = 0 (어디서나, 불연속인 정수에서도)",
    "Round": "round: d/dx round x = 0 (어디서나, 불연속인 점에서도)",
    "Trunc": "trunc: d/dx trunc x = 0 (어디서나, 불연속인 정수에서도)",
    "Clip": "clip: d/dx clip(x, lo, hi) = lo ≤ x ≤ hi이면 1, 아니면 0",
    "Mean": "mean: ∂(mean x)/∂xᵢ = 1/n (n은 평균한 원소의 수)",
    "Prod": "prod: ∂(Π x)/∂xᵢ = Π_{j≠i} xⱼ, 다른 인수들의 곱 (0인 인수가 있어도)",
    "Max": "max: 최댓값인 원소에서 ∂(max x)/∂xᵢ = 1 (최댓값이 k개면 각각 1/k)",
    "Min": "min: 최솟값인 원소에서 ∂(min x)/∂xᵢ = 1 (최솟값이 k개면 각각 1/k)",
    "Norm": "norm: ∂‖x‖/∂xᵢ = xᵢ/‖x‖ (‖x‖ = 0이면 0)",
    "Reshape": "reshape: 상류 기울기를 입력의 형상으로 되돌린다",
    "Transpose": "transpose: 상류 기울기의 축을 원래 순서로 되돌린다",
    "BroadcastTo": "broadcast_to: 상류 기울기를 브로드캐스트된 축을 따라 더한다",
    "Index": "x[idx]: 상류 기울기를 고른 위치로 되돌린다 (같은 원소를 여러 번 고르면 더한다)",
    "Scatter": "scatter: 기울기는 같은 위치를 다시 인덱싱한 것",
    "Concatenate": "concatenate: 각 입력은 상류 기울기에서 자기 조각을 받는다",
    "Stack": "stack: 각 입력은 상류 기울기에서 자기 몫을 받는다",
    # array ops
    "Cumsum": "cumsum: i ≤ j이면 ∂yⱼ/∂xᵢ = 1, 기울기는 상류 기울기를 끝에서부터 누적한 합",
    "Cumprod": "cumprod: i ≤ j이면 ∂yⱼ/∂xᵢ = Π_{k≤j, k≠i} xₖ, 기울기는 Σ_{j≥i} gⱼ·∂yⱼ/∂xᵢ "
    "(0인 인수가 있어도 나누지 않고 계산)",
    "LogCumSumExp": "logcumsumexp: i ≤ j이면 ∂yⱼ/∂xᵢ = exp(xᵢ − yⱼ) (앞부분의 softmax 가중치), "
    "기울기는 Σ_{j≥i} gⱼ·exp(xᵢ − yⱼ)",
    "Flip": "flip: 상류 기울기를 다시 뒤집는다",
    "Roll": "roll: 상류 기울기를 −s만큼 되돌려 민다",
    "Diag": "diag: 벡터와 대각선은 서로의 수반: 기울기는 상류 기울기의 diag",
    "Einsum": "einsum: ∂y/∂A = 상류 기울기와 다른 피연산자들의 einsum (A의 첨자로)",
    # layers with a fused node
    "Convolution": "conv2d: dX = col2im(Wᵀ·dY) (각 창의 기울기를 입력 위치로 되돌려 더한다), "
    "dW = Σ dY·colsᵀ, db = Σ dY",
    "MaxPool": "max_pool2d: 각 창의 최댓값 위치(같으면 첫 번째)가 상류 기울기를 받고, 나머지는 0",
}


def _paragraph(doc: str | None) -> str:
    """The first paragraph of a docstring on one line."""
    first = (doc or "").strip().split("\n\n")[0]
    return " ".join(line.strip() for line in first.splitlines())


def sentence(node) -> str:
    """The op's derivative in words and symbols (English): see the module docstring."""
    cls = type(node)
    return _paragraph(cls.__doc__) or getattr(cls, "derivative", None) or node.name


def formula(node, lang: str) -> str:
    """The op's derivative in symbols, with the op's name; Korean words where it needs any."""
    cls = type(node)
    if lang == "ko" and cls.__module__.startswith("chainrule.") and cls.__name__ in _KO:
        return _KO[cls.__name__]
    derivative = getattr(cls, "derivative", None)
    if derivative:
        return f"{op_name(node.name)}: {derivative}"
    return sentence(node).split(" — ")[0].split("; ")[0].rstrip(".")


def shown(node, lang: str) -> str:
    """What the table shows in the rule column: the sentence in English, else the formula."""
    return sentence(node) if lang == "en" else formula(node, lang)


def input_rules(node, lang: str) -> tuple[str, ...]:
    """The rule for each input ("dX = dY·Wᵀ", "dW = Xᵀ·dY") when ``derivative`` names each
    input; otherwise the whole formula for every input."""
    n = len(node.inputs)
    derivative = getattr(type(node), "derivative", None)
    if derivative:
        parts = tuple(p.strip() for p in derivative.split(", "))
        return parts[:n] if len(parts) >= n else (derivative,) * n
    return (formula(node, lang),) * n
