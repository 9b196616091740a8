"""nn.Embedding and F.embedding: the lookup, the scatter-added gradient, the padding row,
errors, from_pretrained, float32, state and checkpoints, training through ``fit``,
explain, and PyTorch where it is installed; then ModuleDict, ParameterList and
ParameterDict."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.nn import functional as F

try:
    import torch
except ImportError:  # pragma: no cover - PyTorch is optional
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")

INDICES = np.array([[0, 3, 3], [4, 0, 1]])


def test_weight_is_drawn_from_the_standard_normal_with_the_librarys_generator():
    cr.manual_seed(11)
    a = nn.Embedding(200, 50)
    assert a.weight.shape == (200, 50)
    assert a.weight.dtype == cr.get_default_dtype()
    assert isinstance(a.weight, nn.Parameter)
    assert abs(a.weight.data.mean()) < 0.02
    assert a.weight.data.std() == pytest.approx(1.0, abs=0.02)
    cr.manual_seed(11)
    np.testing.assert_array_equal(nn.Embedding(200, 50).weight.data, a.weight.data)
    rng = np.random.default_rng(3)
    expected = np.random.default_rng(3).standard_normal((4, 2), dtype=np.float32)
    np.testing.assert_array_equal(nn.Embedding(4, 2, generator=rng).weight.data, expected)
    assert nn.Embedding(4, 2, dtype="float64").weight.dtype == np.float64


@pytest.mark.parametrize("shape", [(), (5,), (2, 3), (2, 1, 4)])
def test_lookup_by_indices_of_any_shape(shape):
    layer = nn.Embedding(6, 3, dtype="float64")
    idx = np.random.default_rng(0).integers(0, 6, size=shape)
    out = layer(idx)
    assert out.shape == (*shape, 3)
    np.testing.assert_array_equal(out.data, layer.weight.data[idx])


def test_gradient_adds_each_rows_gradient_into_its_row():
    layer = nn.Embedding(5, 2, dtype="float64")
    upstream = np.arange(12.0).reshape(2, 3, 2)
    (layer(INDICES) * upstream).sum().backward()
    expected = np.zeros((5, 2))
    np.add.at(expected, INDICES, upstream)  # index 3 twice, 0 twice: summed
    np.testing.assert_array_equal(layer.weight.grad, expected)


def test_gradcheck_through_the_weight_and_twice():
    w = np.random.default_rng(1).standard_normal((5, 2))
    assert cr.gradcheck(lambda w: (F.embedding(INDICES, w) ** 2).sum(), [w])
    # not with padding_idx: the padding rows' values depend on the weight, their gradient
    # is 0 by design (PyTorch's), so finite differences disagree there
    assert cr.gradcheck(lambda w: F.embedding(INDICES, w) ** 3, [w], check_second_order=True)


def test_padding_row_starts_at_zero_and_gets_no_gradient():
    cr.manual_seed(0)
    layer = nn.Embedding(5, 2, padding_idx=3)
    assert layer.weight.data[3].tolist() == [0.0, 0.0]
    assert np.all(layer.weight.data[[0, 1, 2, 4]] != 0)
    (layer(INDICES) * 2.0).sum().backward()
    assert layer.weight.grad[3].tolist() == [0.0, 0.0]
    assert layer.weight.grad[0].tolist() == [4.0, 4.0]
    opt = cr.optim.SGD(layer.parameters(), lr=0.1, momentum=0.9, weight_decay=0.0)
    for _ in range(3):
        opt.zero_grad()
        layer(INDICES).sum().backward()
        opt.step()
    assert layer.weight.data[3].tolist() == [0.0, 0.0]


def test_the_padding_rows_value_is_the_weights_as_it_is():
    w = np.arange(10.0).reshape(5, 2)
    assert F.embedding(np.array([3]), w, padding_idx=3).data.tolist() == [[6.0, 7.0]]
    layer = nn.Embedding.from_pretrained(w, padding_idx=3)
    assert layer.weight.data[3].tolist() == [6.0, 7.0]  # not zeroed, as PyTorch


def test_negative_padding_idx_counts_from_the_end():
    layer = nn.Embedding(10, 3, padding_idx=-1)
    assert layer.padding_idx == 9
    assert repr(layer) == "Embedding(10, 3, padding_idx=9)"
    assert layer.weight.data[9].tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("bad", "error", "match"),
    [
        (np.array([5]), IndexError, r"Embedding: index 5 at position \(0,\) is out of range "
                                    r"for num_embeddings=5 \(the indices must be 0 to 4\)"),
        (np.array([[0, -1]]), IndexError, r"index -1 at position \(0, 1\).*num_embeddings=5"),
        (7, IndexError, "Embedding: index 7 is out of range for num_embeddings=5"),
        (np.array([1.0]), TypeError, "Embedding: the indices must be an integer tensor"),
        (cr.tensor([1]), TypeError, "dtype float32 \\(cr.tensor makes a list of ints float"),
        (np.array([True]), TypeError, "got dtype bool"),
        ([1, "a"], TypeError, "Embedding: the indices must be"),
    ],
)  # fmt: skip
def test_bad_indices_are_refused_naming_the_layer(bad, error, match):
    with pytest.raises(error, match=match):
        nn.Embedding(5, 2)(bad)


def test_the_function_names_itself():
    with pytest.raises(IndexError, match=r"embedding: index 9 .* num_embeddings=3"):
        F.embedding(np.array([9]), np.ones((3, 2)))
    with pytest.raises(ValueError, match="embedding: weight must have shape"):
        F.embedding(np.array([0]), np.ones(3))


def test_integer_tensors_and_lists_are_indices():
    layer = nn.Embedding(5, 2)
    np.testing.assert_array_equal(layer(cr.tensor([1, 4], dtype="int32")).data,
                                  layer.weight.data[[1, 4]])  # fmt: skip
    np.testing.assert_array_equal(layer([1, 4]).data, layer.weight.data[[1, 4]])
    assert layer(np.array([], dtype=np.int64)).shape == (0, 2)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: nn.Embedding(0, 3), ValueError, "num_embeddings must be a positive integer"),
        (lambda: nn.Embedding(3, 2.0), ValueError, "embedding_dim must be a positive integer"),
        (lambda: nn.Embedding(3, 2, padding_idx=3), ValueError, "padding_idx must be within"),
        (lambda: nn.Embedding(3, 2, padding_idx=-4), ValueError, "padding_idx must be within"),
        (lambda: nn.Embedding(3, 2, padding_idx=1.0), TypeError, "padding_idx must be an int"),
        (lambda: nn.Embedding(3, 2, dtype="int64"), TypeError, "floating dtype"),
        (lambda: nn.Embedding(3, 2, None, 1.0), TypeError, "positional"),  # max_norm
    ],
)
def test_bad_settings_are_refused(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_float32_stays_float32():
    layer = nn.Embedding(5, 2, padding_idx=0)
    out = layer(INDICES)
    out.sum().backward()
    assert out.dtype == np.float32
    assert layer.weight.grad.dtype == np.float32


def test_from_pretrained_copies_and_freezes():
    w = np.arange(6.0).reshape(3, 2)
    layer = nn.Embedding.from_pretrained(w)
    assert repr(layer) == "Embedding(3, 2)"
    assert layer.weight.dtype == np.float64
    assert layer.weight.requires_grad is False
    w[0, 0] = 99.0
    assert layer.weight.data[0, 0] == 0.0  # a copy
    assert list(layer.state_dict()) == ["weight"]
    trained = nn.Embedding.from_pretrained(cr.tensor(w), freeze=False)
    assert trained.weight.requires_grad is True
    trained(np.array([1])).sum().backward()
    assert trained.weight.grad.tolist() == [[0.0, 0.0], [1.0, 1.0], [0.0, 0.0]]


def test_from_pretrained_draws_no_random_number():
    cr.manual_seed(5)
    nn.Embedding.from_pretrained(np.ones((3, 2)))
    after = cr.default_generator().random()
    cr.manual_seed(5)
    assert cr.default_generator().random() == after


@pytest.mark.parametrize(
    ("embeddings", "freeze", "match"),
    [
        (np.ones(3), True, "must be 2-D"),
        (np.ones((3, 2), dtype=np.int64), True, "must be floating"),
        (np.ones((3, 2)), "no", "freeze must be True or False"),
    ],
)
def test_from_pretrained_refuses(embeddings, freeze, match):
    with pytest.raises((TypeError, ValueError), match=match):
        nn.Embedding.from_pretrained(embeddings, freeze=freeze)


def test_state_dict_and_checkpoint_round_trip(tmp_path):
    cr.manual_seed(1)
    model = nn.Sequential(nn.Embedding(7, 3, padding_idx=0), nn.Flatten(), nn.Linear(6, 2))
    assert set(model.state_dict()) == {"0.weight", "2.weight", "2.bias"}
    path = tmp_path / "emb.safetensors"
    cr.save(path, model)
    cr.manual_seed(2)
    again = nn.Sequential(nn.Embedding(7, 3, padding_idx=0), nn.Flatten(), nn.Linear(6, 2))
    cr.load(path, again)
    np.testing.assert_array_equal(again[0].weight.data, model[0].weight.data)
    idx = np.array([[1, 6], [0, 2]])
    np.testing.assert_array_equal(again(idx).data, model(idx).data)
    copied = copy.deepcopy(model)
    np.testing.assert_array_equal(copied(idx).data, model(idx).data)
    assert pickle.loads(pickle.dumps(model))[0].padding_idx == 0


class _Bag(nn.Module):
    """Mean of a sequence's embeddings, then a linear layer."""

    def __init__(self):
        self.emb = nn.Embedding(10, 4, padding_idx=0)
        self.out = nn.Linear(4, 2)

    def forward(self, idx):
        return self.out(self.emb(idx).mean(axis=1))


def test_a_tiny_model_trains_through_fit():
    rng = np.random.default_rng(2)
    X = rng.integers(1, 10, size=(64, 5))
    X[:, -1] = 0  # padding at the end of every sequence
    y = (X[:, :-1] >= 5).sum(axis=1) >= 2
    cr.manual_seed(0)
    model = _Bag()
    opt = cr.optim.Adam(model.parameters(), lr=0.05)
    history = cr.fit(model, nn.CrossEntropyLoss(), opt, (X, y.astype(np.int64)), 8,
                     batch_size=16, progress=False)  # fmt: skip
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
    assert model.emb.weight.data[0].tolist() == [0.0] * 4
    # fit, evaluate and predict keep a model's indices integers (no cast to float32)
    assert cr.predict(model, X).shape == (64, 2)
    assert set(cr.evaluate(model, nn.CrossEntropyLoss(), (X, y.astype(np.int64)))) >= {"loss"}


def test_fit_still_casts_the_inputs_of_a_model_whose_first_layer_is_not_an_embedding():
    from chainrule._fit_data import input_dtype

    assert input_dtype(nn.Sequential(nn.Linear(2, 2), nn.Embedding(3, 2))) == np.float32
    assert input_dtype(nn.Sequential(nn.ReLU(), nn.Embedding(3, 2), nn.Linear(2, 2))) is None
    assert input_dtype(_Bag()) is None


def test_summary_of_a_model_starting_with_an_embedding_looks_up_row_0():
    model = nn.Sequential(nn.Embedding(10, 4), nn.Flatten(), nn.Linear(12, 2))
    table = str(model.summary((2, 3)))
    assert "(2, 3, 4)" in table
    assert "(2, 2)" in table


def test_explain_of_a_graph_through_the_lookup():
    w = cr.tensor(np.arange(10.0).reshape(5, 2), requires_grad=True, name="w")
    table = cr.explain((F.embedding(INDICES, w, padding_idx=3) ** 2).sum()).table()
    assert "w" in table
    assert "where" in table  # the padding rows' cut


# ----- PyTorch ------------------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize("padding_idx", [None, 3, -2])
def test_values_and_gradients_as_pytorch(padding_idx):
    w = np.random.default_rng(4).standard_normal((5, 2))
    upstream = np.random.default_rng(5).standard_normal((2, 3, 2))
    wt = cr.tensor(w, requires_grad=True)
    out = F.embedding(INDICES, wt, padding_idx=padding_idx)
    (out * upstream).sum().backward()
    tw = torch.tensor(w, requires_grad=True)
    tout = torch.nn.functional.embedding(torch.tensor(INDICES), tw, padding_idx=padding_idx)
    (tout * torch.tensor(upstream)).sum().backward()
    np.testing.assert_array_equal(out.data, tout.detach().numpy())
    np.testing.assert_allclose(wt.grad, tw.grad.numpy(), rtol=1e-15)


@needs_torch
@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 0}, {"padding_idx": -1}])
def test_repr_and_padding_row_as_pytorch(kwargs):
    ours, theirs = nn.Embedding(10, 3, **kwargs), torch.nn.Embedding(10, 3, **kwargs)
    assert repr(ours) == repr(theirs)
    assert ours.padding_idx == theirs.padding_idx
    if ours.padding_idx is not None:
        assert not theirs.weight.detach().numpy()[theirs.padding_idx].any()
        assert not ours.weight.data[ours.padding_idx].any()


@needs_torch
def test_a_pytorch_state_loads_untransposed():
    theirs = torch.nn.Embedding(6, 4, padding_idx=2)
    ours = nn.Embedding(6, 4, padding_idx=2)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    idx = np.array([[0, 2, 5]])
    np.testing.assert_allclose(ours(idx).data, theirs(torch.tensor(idx)).detach().numpy())


@needs_torch
def test_from_pretrained_as_pytorch():
    w = np.arange(6.0).reshape(3, 2)
    ours = nn.Embedding.from_pretrained(w, padding_idx=1)
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(w), padding_idx=1)
    assert repr(ours) == repr(theirs)
    assert ours.weight.requires_grad == theirs.weight.requires_grad


# ----- ModuleDict, ParameterList, ParameterDict ---------------------------------------------
class _Heads(nn.Module):
    def __init__(self):
        self.body = nn.Linear(2, 4)
        self.heads = nn.ModuleDict({"cls": nn.Linear(4, 3), "reg": nn.Linear(4, 1)})
        self.scales = nn.ParameterList([np.ones(3, np.float32), cr.tensor([2.0])])
        self.offsets = nn.ParameterDict({"a": nn.Parameter(np.zeros(1, np.float32))})

    def forward(self, x):
        h = self.body(x)
        return self.heads["cls"](h) * self.scales[0] + self.heads.reg(h) + self.offsets["a"]


def test_containers_name_their_members_as_plain_dicts_and_lists_are_named():
    model = _Heads()
    names = ["body.weight", "body.bias", "heads.cls.weight", "heads.cls.bias",
             "heads.reg.weight", "heads.reg.bias", "scales.0", "scales.1", "offsets.a"]  # fmt: skip
    assert list(model.state_dict()) == names
    assert [n for n, _ in model.named_parameters()] == names
    assert [n for n, _ in model.named_parameters(recurse=False)] == []  # as PyTorch's
    assert [n for n, _ in model.named_modules()][:4] == ["", "body", "heads", "heads.cls"]
    assert all(isinstance(p, nn.Parameter) for p in model.scales)
    assert model.scales[1].data.tolist() == [2.0]


def test_module_dict_has_the_dict_methods():
    d = nn.ModuleDict({"a": nn.ReLU()})
    d["b"] = nn.Tanh()
    d.update([("c", nn.Sigmoid())])
    assert list(d) == ["a", "b", "c"]
    assert list(d.keys()) == ["a", "b", "c"]
    assert len(d) == 3
    assert "b" in d
    assert isinstance(d.b, nn.Tanh)
    assert isinstance(d.pop("a"), nn.ReLU)
    del d["b"]
    assert [type(m).__name__ for m in d.values()] == ["Sigmoid"]
    assert repr(d) == "ModuleDict(\n  (c): Sigmoid()\n)"
    d.clear()
    assert len(d) == 0


@pytest.mark.parametrize(
    ("edit", "error", "match"),
    [
        (lambda d: d.__setitem__("x", 3), TypeError, "ModuleDict: a int is not a Module"),
        (lambda d: d.__setitem__("a.b", nn.ReLU()), ValueError, "without '.'"),
        (lambda d: d.__setitem__("keys", nn.ReLU()), ValueError, "already an attribute"),
        (lambda d: d.__setitem__("training", nn.ReLU()), ValueError, "already an attribute"),
        (lambda d: d["nope"], KeyError, "no key 'nope'"),
        (lambda d: d.update({"ok": nn.ReLU(), "bad": 1}), TypeError, "not a Module"),
    ],
)
def test_module_dict_refuses(edit, error, match):
    d = nn.ModuleDict({"a": nn.ReLU()})
    with pytest.raises(error, match=match):
        edit(d)
    assert list(d) == ["a"]  # a refused update adds nothing


def test_parameter_containers_train_and_round_trip(tmp_path):
    cr.manual_seed(0)
    model = _Heads()
    x = np.random.default_rng(0).standard_normal((8, 2)).astype(np.float32)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    model(x).sum().backward()
    opt.step()
    assert model.scales[0].grad is not None
    assert model.offsets["a"].data[0] != 0.0
    path = tmp_path / "heads.safetensors"
    cr.save(path, model)
    again = _Heads()
    cr.load(path, again)
    np.testing.assert_array_equal(again(x).data, model(x).data)
    copied = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(copied(x).data, model(x).data)


def test_parameter_list_methods_and_refusals():
    p = nn.ParameterList()
    p.append(np.zeros(2))
    p += [cr.tensor([1.0])]
    shared = nn.Parameter(np.ones(1))
    p.extend([shared])
    assert len(p) == 3
    assert p[-1] is shared
    assert len(p[1:]) == 2
    p[0] = np.ones(2)
    assert p[0].data.tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match=r"ParameterList\.append: holds Parameters"):
        p.append("w")
    with pytest.raises(IndexError, match="index 5 is out of range for 3 parameters"):
        p[5]
    with pytest.raises(TypeError, match="ParameterDict: holds Parameters"):
        nn.ParameterDict({"a": [1.0]})
