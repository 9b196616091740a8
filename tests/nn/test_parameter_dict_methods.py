"""ParameterDict's dict methods beyond ModuleDict's: get, setdefault, popitem, copy and
fromkeys, with PyTorch's meaning (checked against torch.nn.ParameterDict when installed)."""

import numpy as np
import pytest

import chainrule as cr


def _dict():
    return cr.nn.ParameterDict({"a": np.ones(2), "b": np.zeros(3)})


def test_get_gives_the_member_or_the_default():
    d = _dict()
    assert d.get("a") is d["a"]
    assert d.get("missing") is None
    assert d.get("missing", 5) == 5
    assert list(d) == ["a", "b"]  # get never adds


def test_setdefault_adds_only_a_missing_key_and_returns_the_member():
    d = _dict()
    a = d["a"]
    assert d.setdefault("a", np.full(4, 9.0)) is a  # present: unchanged
    np.testing.assert_array_equal(a.data, [1.0, 1.0])
    c = d.setdefault("c", np.full(2, 7.0))
    assert isinstance(c, cr.nn.Parameter)
    assert d["c"] is c
    np.testing.assert_array_equal(c.data, [7.0, 7.0])
    assert list(d) == ["a", "b", "c"]
    assert [n for n, _ in d.named_parameters()] == ["a", "b", "c"]


def test_setdefault_with_none_is_refused_and_adds_nothing():
    d = _dict()
    with pytest.raises(TypeError, match=r"ParameterDict.*NoneType"):
        d.setdefault("c")
    assert list(d) == ["a", "b"]


def test_popitem_removes_the_last_put_in():
    d = _dict()
    b = d["b"]
    key, value = d.popitem()
    assert key == "b"
    assert value is b
    assert list(d) == ["a"]
    assert [n for n, _ in d.named_parameters()] == ["a"]
    d.popitem()
    with pytest.raises(KeyError, match=r"popitem.*empty"):
        d.popitem()


def test_copy_holds_the_same_parameters_in_a_new_dict():
    d = _dict()
    c = d.copy()
    assert type(c) is cr.nn.ParameterDict
    assert c is not d
    assert list(c) == list(d)
    assert all(c[k] is d[k] for k in d)
    del c["a"]
    assert list(d) == ["a", "b"]  # the copy's keys are its own


def test_fromkeys_shares_a_parameter_and_copies_an_array():
    d = _dict()
    p = cr.nn.Parameter(np.ones(2))
    shared = d.fromkeys(["x", "y"], p)
    assert shared["x"] is p
    assert shared["y"] is p
    arr = np.arange(3.0)
    own = d.fromkeys(["x", "y"], arr)
    assert own["x"] is not own["y"]
    np.testing.assert_array_equal(own["y"].data, arr)
    assert not np.shares_memory(own["x"].data, arr)
    assert list(d) == ["a", "b"]  # the dict it was called on is left alone
    assert len(d.fromkeys([], None)) == 0


def test_the_methods_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = _dict(), torch.nn.ParameterDict({"a": torch.ones(2), "b": torch.zeros(3)})
    for d in (ours, theirs):
        d.setdefault("c", d["a"])
        d.setdefault("a", d["b"])
    assert list(ours) == list(theirs) == ["a", "b", "c"]
    assert ours["c"] is ours["a"]
    assert theirs["c"] is theirs["a"]
    assert ours.popitem()[0] == theirs.popitem()[0] == "c"
    assert list(ours.copy()) == list(theirs.copy())
    assert list(ours.fromkeys("pq", ours["a"])) == list(theirs.fromkeys("pq", theirs["a"]))
    assert (ours.get("z", 1), theirs.get("z", 1)) == (1, 1)
