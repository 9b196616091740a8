"""Anomaly mode against PyTorch's API: the ``check_nan`` argument of ``detect_anomaly`` and
``set_detect_anomaly``, and that the mode checks what it promises whichever form turns it on."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


def test_detect_anomaly_takes_check_nan_true_as_in_pytorch():
    """``detect_anomaly(check_nan=True)`` is PyTorch's spelling of the default: it turns the
    mode on, checks, and restores the previous state on exit."""
    with cr.detect_anomaly(check_nan=True):
        assert cr.is_anomaly_enabled()
        x = cr.tensor(0.0, requires_grad=True, dtype="float64")
        with pytest.raises(cr.AnomalyError) as info:
            cr.log(x)
    assert info.value.op == "Log"
    assert info.value.phase == "forward"
    assert not cr.is_anomaly_enabled()


def test_detect_anomaly_with_check_nan_works_as_a_decorator():
    """``@cr.detect_anomaly(check_nan=True)`` decorates a function as ``@cr.detect_anomaly``."""

    @cr.detect_anomaly(check_nan=True)
    def inside() -> bool:
        """Whether anomaly mode is on while the function runs."""
        return cr.is_anomaly_enabled()

    assert inside()
    assert not cr.is_anomaly_enabled()


def test_set_detect_anomaly_takes_check_nan_true():
    """``set_detect_anomaly(True, check_nan=True)``, PyTorch's signature, turns the mode on."""
    try:
        cr.set_detect_anomaly(True, check_nan=True)
        assert cr.is_anomaly_enabled()
        x = cr.tensor(np.array([1.0, -1.0]), requires_grad=True)
        with pytest.raises(cr.AnomalyError):
            cr.sqrt(x)
    finally:
        cr.set_detect_anomaly(False)
    assert not cr.is_anomaly_enabled()


@pytest.mark.parametrize(
    "make",
    [
        lambda: cr.detect_anomaly(check_nan=False),
        lambda: cr.set_detect_anomaly(True, check_nan=False),
    ],
)
def test_check_nan_false_is_refused_not_ignored(make):
    """PyTorch's check_nan=False (record lines, do not raise on NaN) is not a mode chainrule
    has: it is refused, naming the argument, rather than silently checking anyway, and the
    mode is left off."""
    with pytest.raises(ValueError, match="check_nan=False"):
        make()
    assert not cr.is_anomaly_enabled()


NO_SOURCE = "<no-source-file>"  # a file name linecache cannot read, as for ``python -c``


def run_without_source(src: str, **names):
    """Run ``src`` as code compiled from no file, with ``cr`` and ``names`` as globals."""
    exec(compile(src, NO_SOURCE, "exec"), {"cr": cr, **names})


def test_a_node_created_by_code_without_source_ends_the_message_cleanly():
    """Code run by ``python -c`` or ``exec`` has no source text: the message names the file,
    line and function, and does not end in a dangling ``": "``."""
    x = cr.tensor(0.0, requires_grad=True, dtype="float64")
    with cr.detect_anomaly(), pytest.raises(cr.AnomalyError) as info:
        run_without_source("\n\ny = cr.log(x)\n", x=x)
    err = info.value
    assert (err.filename, err.lineno, err.line) == (NO_SOURCE, 3, "")
    assert str(err).endswith(f"the node was created at {NO_SOURCE}:3 (in <module>)")


def test_a_hook_defined_without_source_ends_the_message_cleanly():
    """A gradient hook defined in code without a source file is named by file and line, with
    no empty source text after them."""
    x = cr.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * 2.0
    run_without_source("y.register_hook(lambda g: g * float('nan'))\n", y=y)
    with cr.detect_anomaly(), pytest.raises(cr.AnomalyError) as info:
        y.sum().backward()
    assert info.value.phase == "backward"
    assert str(info.value).endswith(f"the hook is defined at {NO_SOURCE}:1")


def _half_graph():
    x = cr.tensor(np.array([1.0, 2.0], dtype=np.float16), requires_grad=True)
    return x, x * 2


def test_a_seed_beyond_the_outputs_dtype_becomes_inf_quietly():
    x, y = _half_graph()  # float16's largest value is 65504; pytest makes warnings errors
    y.backward(np.array([1e5, 1.0]))
    np.testing.assert_array_equal(x.grad, np.array([np.inf, 2.0], dtype=np.float16))


def test_a_finite_seed_that_overflows_the_outputs_dtype_is_an_anomaly():
    x, y = _half_graph()
    with cr.detect_anomaly(), pytest.raises(cr.AnomalyError, match=r"overflows .* float16"):
        y.backward(np.array([1e5, 1.0]))
    assert x.grad is None


def test_a_seed_that_is_inf_already_is_not_blamed():
    x, y = _half_graph()
    with cr.detect_anomaly():
        y.backward(np.array([np.inf, 1.0]))
    np.testing.assert_array_equal(x.grad, np.array([np.inf, 2.0], dtype=np.float16))
