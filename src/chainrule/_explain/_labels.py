"""Every word explain writes, in English and in the tutorials' Korean.

The Korean terms are the ones the tutorials use: 순전파 (forward), 역전파 (backward),
상류 기울기 (upstream gradient), 국소적 미분 (local gradient), 하류 기울기 (downstream
gradient), 연쇄 법칙 (chain rule). An op's rule is its own docstring sentence and is shown
as written, in either language.
"""

from __future__ import annotations

LANGS = ("en", "ko")

_EN = {
    "forward": "forward",
    "backward": "backward",
    "upstream": "upstream gradient",
    "local": "local gradient",
    "downstream": "downstream gradient",
    "chain_rule": "chain rule",
    "title": "Backward pass of {out} = {value}: {n} node{s} in backward order",
    "law": "downstream gradient = local gradient × upstream gradient",
    "checked": "✓ = checked exactly, ≈ = equal up to rounding, ✗ = mismatch",
    "summed": "Σ = summed over the broadcast axes",
    "col_step": "step",
    "col_op": "op",
    "col_tensor": "tensor",
    "col_forward": "forward value",
    "col_rule": "rule",
    "col_check": "check",
    "fanout_title": "Fan-out: a value used by several nodes receives the sum of its branches",
    "via": "via step {step} ({op})",
    "leaves_title": "Gradients of the leaves (added to .grad, as backward does)",
    "no_grad": "—",
    "shape": "shape",
    "mean": "mean",
    "std": "std",
    "min": "min",
    "max": "max",
    "norm": "norm",
    "tr_title": "Chain rule for ∂{out}/∂{leaf}",
    "tr_paths": "{n} paths from {leaf} to {out}, summed",
    "tr_path": "path {i}",
    "tr_routes": (
        "{n} routes from {leaf} to {out} through the tensors you named, summed (a factor "
        "between two of them sums every path between them that passes no other named tensor)"
    ),
    "tr_route": "route {i}",
    "tr_avoiding": "not through {names}",
    "tr_input": "as input {i}",
    "tr_engine": "engine",
    "tex_exact": "(exact)",
    "tex_mismatch": "(mismatch)",
    "tr_close": (
        "(equal up to rounding: the engine adds the paths where they meet, in its own order, "
        "and multiplies on from there)"
    ),
    "tr_close_one": (
        "(equal up to rounding: each node's backward rounds in its own order of operations, "
        "and the engine rounds each gradient to its tensor's dtype)"
    ),
    "tr_cancel": (
        "(the paths' products are infinite with opposite signs, so their sum is undefined; "
        "the engine adds the branches where they meet first, then multiplies, and takes "
        "0 × ∞ as 0)"
    ),
    "tr_update": "update with learning rate η = {lr}",
    "hooked": "after its hook: {value}",
    "tr_hooked": (
        "(a gradient hook on {names} changed what the engine passed on: the products of "
        "local gradients alone do not give it)"
    ),
    "tr_not_scalar": (
        "This graph is not scalar: its paths are listed, then each node on them once, in "
        "backward order. A node passes the whole {upstream} of its output through its rule "
        "(a vector–Jacobian product) to its inputs; a value used by several nodes sums its "
        "branches. Shapes are shown."
    ),
    "tr_walk": "node by node, from the output back",
    "tr_branch": "one branch into {name}",
    "tr_many": "(more than {n} paths: the first {n} are shown)",
    "dot_legend": (
        "green: {forward} values · red: {backward} gradients · "
        "double border: fan-out (gradients summed) · {law}"
    ),
    "example_forward": "Forward values",
    "example_updated": "Updated weights (η = {lr})",
    "example_after": "{out} after the update",
    "example_sigmoid": "The four nodes' {local}s, their product, and the sigmoid node's",
}

_KO = {
    "forward": "순전파",
    "backward": "역전파",
    "upstream": "상류 기울기",
    "local": "국소적 미분",
    "downstream": "하류 기울기",
    "chain_rule": "연쇄 법칙",
    "title": "{out} = {value}의 역전파: 역전파 순서로 노드 {n}개",
    "law": "하류 기울기 = 국소적 미분 × 상류 기울기",
    "checked": "✓ = 정확히 확인됨, ≈ = 반올림 오차 안에서 같음, ✗ = 다름",
    "summed": "Σ = 브로드캐스트된 축을 따라 더함",
    "col_step": "단계",
    "col_op": "연산",
    "col_tensor": "텐서",
    "col_forward": "순전파 값",
    "col_rule": "미분 규칙",
    "col_check": "확인",
    "fanout_title": "분기(fan-out): 여러 노드에 쓰인 값은 각 가지의 하류 기울기를 더해 받는다",
    "via": "{step}단계 ({op})에서",
    "leaves_title": "리프 텐서의 기울기 (역전파처럼 .grad에 더해진다)",
    "no_grad": "—",
    "shape": "형상",
    "mean": "평균",
    "std": "표준편차",
    "min": "최솟값",
    "max": "최댓값",
    "norm": "노름",
    "tr_title": "{chain_rule}으로 구한 ∂{out}/∂{leaf}",
    "tr_paths": "{leaf}에서 {out}까지 경로 {n}개의 합",
    "tr_path": "경로 {i}",
    "tr_routes": (
        "이름 붙인 텐서를 거쳐 {leaf}에서 {out}까지 가는 길 {n}개의 합 (두 이름 붙은 텐서 "
        "사이의 인자는 다른 이름 붙은 텐서를 거치지 않는 그 사이 모든 경로의 합)"
    ),
    "tr_route": "길 {i}",
    "tr_avoiding": "{names}을(를) 거치지 않음",
    "tr_input": "입력 {i}(으)로",
    "tr_engine": "엔진 값",
    "tex_exact": "(정확히 같음)",
    "tex_mismatch": "(다름)",
    "tr_close": (
        "(반올림 오차 안에서 같다: 엔진은 경로가 만나는 곳에서 자신의 순서로 먼저 더한 뒤 곱한다)"
    ),
    "tr_close_one": (
        "(반올림 오차 안에서 같다: 노드의 backward는 자신의 계산 순서로 반올림하고, "
        "엔진은 기울기를 각 텐서의 dtype으로 반올림한다)"
    ),
    "tr_cancel": (
        "(경로별 곱이 부호가 반대인 무한대라 합이 정의되지 않는다: 엔진은 가지가 만나는 곳에서 "
        "먼저 더한 뒤 곱하고, 0 × ∞를 0으로 본다)"
    ),
    "tr_update": "학습률 η = {lr}로 갱신",
    "hooked": "훅을 거친 뒤: {value}",
    "tr_hooked": (
        "({names}의 기울기 훅이 엔진이 넘긴 값을 바꿨다: 국소적 미분의 곱만으로는 나오지 않는다)"
    ),
    "tr_not_scalar": (
        "스칼라 그래프가 아니다: 경로를 먼저 보이고, 경로 위의 노드를 역전파 순서로 한 번씩 "
        "보인다. 각 노드는 출력의 {upstream} 전체를 규칙(벡터–야코비안 곱)에 통과시켜 입력으로 "
        "보낸다. 여러 노드에 쓰인 값은 각 가지를 더한다. 형상을 함께 보인다."
    ),
    "tr_walk": "출력에서 거꾸로, 노드마다",
    "tr_branch": "{name}로 가는 한 가지",
    "tr_many": "(경로가 {n}개보다 많다: 처음 {n}개만 보인다)",
    "dot_legend": (
        "초록: {forward} 값 · 빨강: {backward} 기울기 · 이중 테두리: 분기(기울기의 합) · {law}"
    ),
    "example_forward": "순전파 값",
    "example_updated": "갱신된 가중치 (η = {lr})",
    "example_after": "갱신 후의 {out}",
    "example_sigmoid": "네 노드의 {local}, 그 곱, 그리고 시그모이드 노드 하나의 {local}",
}

_TABLES = {"en": _EN, "ko": _KO}


def check_lang(lang: str) -> str:
    """``lang`` if it is supported, else a ValueError naming the choices."""
    if lang not in _TABLES:
        raise ValueError(f"explain: lang must be one of {LANGS}, got {lang!r}")
    return lang


def label(lang: str, key: str, **fields) -> str:
    """The text for ``key`` in ``lang``, with ``{fields}`` filled in.

    The six tutorial terms can be used as fields in any text ({upstream}, {law}, ...).
    """
    table = _TABLES[lang]
    terms = {k: table[k] for k in ("forward", "backward", "upstream", "local", "downstream")}
    terms.update(chain_rule=table["chain_rule"], law=table["law"])
    return table[key].format(**{**terms, **fields})
