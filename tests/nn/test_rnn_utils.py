"""nn.utils.rnn (padding and packing sequences) and the recurrent layers on packed batches:
values worked by hand and in NumPy here, gradients against finite differences, a packed
batch against each sequence run alone, and everything against PyTorch when installed."""

import numpy as np
import pytest
from _shared import seeded, torch_or_skip

import chainrule as cr
from chainrule.nn.utils.rnn import (
    PackedSequence,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
    unpack_sequence,
    unpad_sequence,
)

RNG = seeded(7)


def _column(*values):
    """A sequence of one feature: (L, 1)."""
    return cr.tensor(np.array(values, dtype=np.float64)[:, None])


def _seqs(lengths, features=2, rng=RNG):
    return [rng.normal(size=(n, features)) for n in lengths]


# ----- worked by hand ----------------------------------------------------------------------------
def test_pad_sequence_by_hand_right_left_and_batch_first():
    seqs = [_column(1, 2), _column(3), _column(4, 5, 6)]
    right = pad_sequence(seqs, padding_value=-1.0).numpy()[..., 0]
    np.testing.assert_array_equal(right, [[1, 3, 4], [2, -1, 5], [-1, -1, 6]])
    left = pad_sequence(seqs, batch_first=True, padding_side="left").numpy()[..., 0]
    np.testing.assert_array_equal(left, [[0, 1, 2], [0, 0, 3], [4, 5, 6]])


def test_pack_sequence_by_hand_sorted_and_unsorted():
    packed = pack_sequence([_column(1, 2, 3), _column(4, 5), _column(6)])
    data, sizes, order, inverse = packed  # a named tuple of four fields
    np.testing.assert_array_equal(data.numpy()[:, 0], [1, 4, 6, 2, 5, 3])
    np.testing.assert_array_equal(sizes.numpy(), [3, 2, 1])
    assert sizes.dtype == np.int64
    assert order is None
    assert inverse is None
    packed = pack_sequence([_column(6), _column(1, 2, 3), _column(4, 5)], enforce_sorted=False)
    np.testing.assert_array_equal(packed.data.numpy()[:, 0], [1, 4, 6, 2, 5, 3])
    np.testing.assert_array_equal(packed.sorted_indices.numpy(), [1, 2, 0])
    np.testing.assert_array_equal(packed.unsorted_indices.numpy(), [2, 0, 1])


def test_equal_lengths_keep_their_order_when_sorted():
    packed = pack_sequence([_column(1), _column(2, 3), _column(4), _column(5, 6)], False)
    np.testing.assert_array_equal(packed.sorted_indices.numpy(), [1, 3, 0, 2])
    np.testing.assert_array_equal(packed.data.numpy()[:, 0], [2, 5, 1, 4, 3, 6])


def test_pad_packed_sequence_by_hand_with_total_length():
    packed = PackedSequence(_column(1, 4, 6, 2, 5, 3), [3, 2, 1], [2, 0, 1])
    assert packed.unsorted_indices.numpy().tolist() == [1, 2, 0]  # computed: the inverse
    padded, lengths = pad_packed_sequence(packed, batch_first=True, padding_value=9, total_length=4)
    want = [[4, 5, 9, 9], [6, 9, 9, 9], [1, 2, 3, 9]]
    np.testing.assert_array_equal(padded.numpy()[..., 0], want)
    np.testing.assert_array_equal(lengths.numpy(), [2, 1, 3])
    assert lengths.dtype == np.int64


# ----- round trips, against NumPy indexing -------------------------------------------------------
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [False, True])
def test_round_trips(batch_first, enforce_sorted):
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 3]
    seqs = _seqs(lengths, 3)
    padded = pad_sequence(seqs, batch_first=batch_first)
    for i, (s, n) in enumerate(zip(seqs, lengths)):
        got = padded.numpy()[i] if batch_first else padded.numpy()[:, i]
        np.testing.assert_array_equal(got[:n], s)
        assert not got[n:].any()
    packed = pack_padded_sequence(padded, lengths, batch_first, enforce_sorted)
    np.testing.assert_array_equal(
        packed.data.numpy(), pack_sequence(seqs, enforce_sorted).data.numpy()
    )
    again, got_lengths = pad_packed_sequence(packed, batch_first)
    np.testing.assert_array_equal(again.numpy(), padded.numpy())
    np.testing.assert_array_equal(got_lengths.numpy(), lengths)
    for parts in (unpack_sequence(packed), unpad_sequence(padded, lengths, batch_first)):
        for got, s in zip(parts, seqs):
            np.testing.assert_array_equal(got.numpy(), s)


def test_integer_sequences_stay_integers():
    padded = pad_sequence([np.array([1, 2]), np.array([3])], padding_value=-1)
    assert padded.dtype == np.int64
    np.testing.assert_array_equal(padded.numpy(), [[1, 3], [2, -1]])


# ----- gradients ---------------------------------------------------------------------------------
W = RNG.normal(size=(4, 3, 2))  # weights on a padded (4, 3, 2) result, so that each element counts


@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_gradients_by_gradcheck(side):
    def f(a, b, c):
        return (pad_sequence([a, b, c], padding_side=side, padding_value=0.5) * W).sum()

    assert cr.gradcheck(f, _seqs([2, 4, 1]))


def test_packing_gradients_by_gradcheck():
    def f(x):
        packed = pack_padded_sequence(x, [2, 4, 3], enforce_sorted=False)
        padded, _ = pad_packed_sequence(packed, total_length=4)
        parts = unpack_sequence(packed)
        return (padded * padded * W).sum() + sum((p * p * p).sum() for p in parts)

    assert cr.gradcheck(f, [RNG.normal(size=(4, 3, 2))])


def test_padding_gets_no_gradient():
    x = cr.tensor(RNG.normal(size=(3, 2, 2)), requires_grad=True)
    (pack_padded_sequence(x, [3, 1]).data * 2).sum().backward()
    np.testing.assert_array_equal(x.grad[:, 1, 0], [2, 0, 0])
    np.testing.assert_array_equal(x.grad[:, 0, 1], [2, 2, 2])


def test_pack_sequence_gradients_reach_each_sequence():
    def f(a, b, c):
        return (pack_sequence([a, b, c], enforce_sorted=False).data ** 3).sum()

    assert cr.gradcheck(f, _seqs([2, 3, 1]))


# ----- the recurrent layers on packed batches ----------------------------------------------------
def test_packed_elman_rnn_against_numpy():
    layer = cr.nn.RNN(2, 3, dtype="float64")
    w_ih, w_hh, b_ih, b_hh = (p.numpy() for p in layer.parameters())
    seqs = _seqs([2, 4, 1])
    out, h_n = layer(pack_sequence(seqs, enforce_sorted=False))
    padded, _ = pad_packed_sequence(out)
    for i, s in enumerate(seqs):
        h = np.zeros(3)
        for t, x in enumerate(s):
            h = np.tanh(w_ih @ x + b_ih + w_hh @ h + b_hh)
            np.testing.assert_allclose(padded.numpy()[t, i], h, rtol=1e-12)
        np.testing.assert_allclose(h_n.numpy()[0, i], h, rtol=1e-12)  # its own last step


LAYERS = [
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("GRU", {"bidirectional": True}),
    ("RNN", {"num_layers": 2, "nonlinearity": "relu"}),
]


def _states(name, kw, batch, rng=RNG):
    n = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    hx = tuple(rng.normal(size=(n, batch, 4)) for _ in range(2 if name == "LSTM" else 1))
    return hx if name == "LSTM" else hx[0]


def _tuple(s):
    return s if isinstance(s, tuple) else (s,)


@pytest.mark.parametrize(("name", "kw"), LAYERS)
def test_packed_batch_equals_each_sequence_alone(name, kw):
    layer = getattr(cr.nn, name)(2, 4, dtype="float64", **kw)
    seqs, hx = _seqs([3, 5, 1, 3]), _states(name, kw, 4)
    out, last = layer(pack_sequence(seqs, enforce_sorted=False), hx)
    assert isinstance(out, PackedSequence)
    for i, (got, s) in enumerate(zip(unpack_sequence(out), seqs)):
        alone, alone_last = layer(
            s, tuple(h[:, i] for h in _tuple(hx)) if name == "LSTM" else hx[:, i]
        )
        np.testing.assert_allclose(got.numpy(), alone.numpy(), rtol=1e-12, atol=1e-14)
        for a, b in zip(_tuple(last), _tuple(alone_last)):
            np.testing.assert_allclose(a.numpy()[:, i], b.numpy(), rtol=1e-12, atol=1e-14)


def test_padding_never_changes_the_final_state():
    layer = cr.nn.GRU(2, 4, bidirectional=True, dtype="float64")
    x = RNG.normal(size=(4, 3, 2))
    noisy = x.copy()
    noisy[3:, 1], noisy[1:, 2] = 1e3, -1e3
    runs = [layer(pack_padded_sequence(v, [4, 3, 1], enforce_sorted=True)) for v in (x, noisy)]
    np.testing.assert_array_equal(runs[0][1].numpy(), runs[1][1].numpy())
    np.testing.assert_array_equal(runs[0][0].data.numpy(), runs[1][0].data.numpy())


def test_packed_lstm_gradients_by_gradcheck():
    layer = cr.nn.LSTM(2, 2, bidirectional=True, dtype="float64")
    names = [n for n, _ in layer.named_parameters()]

    def f(x, h, c, *params):
        for name, p in zip(names, params):
            setattr(layer, name, p)
        out, (h_n, c_n) = layer(pack_padded_sequence(x, [2, 3, 1], enforce_sorted=False), (h, c))
        return (out.data * out.data).sum() + (h_n * c_n * c_n).sum()

    hx = [RNG.normal(size=(2, 3, 2)) for _ in range(2)]
    params = [p.numpy().copy() for p in layer.parameters()]
    assert cr.gradcheck(f, [RNG.normal(size=(3, 3, 2)), *hx, *params])


def test_unpacked_input_still_returns_tensors():
    out, h = cr.nn.GRU(2, 3, batch_first=True)(np.zeros((4, 5, 2), np.float32))
    assert isinstance(out, cr.Tensor)
    assert (out.shape, h.shape) == ((4, 5, 3), (1, 4, 3))


# ----- against PyTorch ---------------------------------------------------------------------------
@pytest.mark.parametrize("enforce_sorted", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_packing_matches_pytorch(enforce_sorted, batch_first):
    torch = torch_or_skip()
    rnn = torch.nn.utils.rnn
    lengths = [4, 3, 3, 1] if enforce_sorted else [3, 1, 4, 3]
    seqs = _seqs(lengths, 3)
    ts = [torch.tensor(s) for s in seqs]
    for side in ("left", "right"):
        want = rnn.pad_sequence(ts, batch_first, 0.5, side).numpy()
        np.testing.assert_array_equal(pad_sequence(seqs, batch_first, 0.5, side).numpy(), want)
    padded = rnn.pad_sequence(ts, batch_first)
    theirs = rnn.pack_padded_sequence(padded, lengths, batch_first, enforce_sorted)
    ours = pack_padded_sequence(padded.numpy(), lengths, batch_first, enforce_sorted)
    for a, b in zip(ours, theirs):
        assert (a is None) == (b is None)
        np.testing.assert_array_equal(
            a.numpy() if a is not None else 0, b.numpy() if b is not None else 0
        )
    for a, b in zip(ours, rnn.pack_sequence(ts, enforce_sorted)):
        np.testing.assert_array_equal(
            a.numpy() if a is not None else 0, b.numpy() if b is not None else 0
        )
    want, want_lengths = rnn.pad_packed_sequence(theirs, batch_first, -2.0, 6)
    got, got_lengths = pad_packed_sequence(ours, batch_first, -2.0, 6)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    np.testing.assert_array_equal(got_lengths.numpy(), want_lengths.numpy())


@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("LSTM", {"num_layers": 2, "bidirectional": True}),
        ("GRU", {"bidirectional": True}),
        ("GRU", {}),
    ],
)
def test_packed_layers_match_pytorch(name, kw):
    torch = torch_or_skip()
    rnn = torch.nn.utils.rnn
    theirs = getattr(torch.nn, name)(3, 4, **kw).double()
    ours = getattr(cr.nn, name)(3, 4, dtype="float64", **kw)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    seqs, hx = _seqs([3, 5, 1, 3], 3), _tuple(_states(name, kw, 4))
    t_seqs = [torch.tensor(s, requires_grad=True) for s in seqs]
    c_seqs = [cr.tensor(s, requires_grad=True) for s in seqs]
    t_hx = [torch.tensor(h, requires_grad=True) for h in hx]
    c_hx = [cr.tensor(h, requires_grad=True) for h in hx]

    def run(layer, utils, inputs, states):
        out, last = layer(
            utils.pack_sequence(inputs, False), states[0] if len(states) == 1 else tuple(states)
        )
        padded, _ = utils.pad_packed_sequence(out, batch_first=True)
        (padded * padded).sum().backward(retain_graph=True)
        sum((s * s * s).sum() for s in _tuple(last)).backward()
        return out, _tuple(last)

    t_out, t_last = run(theirs, rnn, t_seqs, t_hx)
    c_out, c_last = run(ours, cr.nn.utils.rnn, c_seqs, c_hx)
    close = {"rtol": 1e-10, "atol": 1e-12}
    np.testing.assert_allclose(c_out.data.numpy(), t_out.data.detach().numpy(), **close)
    np.testing.assert_array_equal(c_out.batch_sizes.numpy(), t_out.batch_sizes.numpy())
    for c, t in zip(c_last, t_last):
        np.testing.assert_allclose(c.numpy(), t.detach().numpy(), **close)
    for c, t in [*zip(c_seqs, t_seqs), *zip(c_hx, t_hx)]:
        np.testing.assert_allclose(c.grad, t.grad.numpy(), **close)
    t_grads = dict(theirs.named_parameters())
    for n, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, t_grads[n].grad.numpy(), err_msg=n, **close)


# ----- bad input ---------------------------------------------------------------------------------
X = np.zeros((4, 3, 2))


SORTED = "must be sorted in decreasing order when enforce_sorted=True"
BAD = [
    (lambda: pack_padded_sequence(X, [2, 4, 1]),
     rf"pack_padded_sequence: lengths \[2, 4, 1\] {SORTED}"),
    (lambda: pack_sequence([np.zeros((1, 2)), np.zeros((2, 2))]),
     rf"pack_sequence: lengths \[1, 2\] {SORTED}"),
    (lambda: pack_padded_sequence(X, [4, 0, 0], enforce_sorted=False),
     r"pack_padded_sequence: every length must be at least 1, got lengths \[4, 0, 0\]"),
    (lambda: pack_sequence([np.zeros((2, 2)), np.zeros((0, 2))]), "pack_sequence: every length"),
    (lambda: pack_padded_sequence(X, [5, 2, 1]),
     r"pack_padded_sequence: lengths \[5, 2, 1\] has a length above the input's 4 time steps"),
    (lambda: pack_padded_sequence(X, [3, 2, 1], batch_first=True),
     r"pack_padded_sequence: 3 lengths \[3, 2, 1\] for a batch of 4"),
    (lambda: pack_padded_sequence(X, [3.5, 2, 1]),
     r"pack_padded_sequence: lengths must be .*integers, got \[3.5, 2.0, 1.0\]"),
    (lambda: pad_sequence([np.zeros((2, 3)), np.zeros((3, 2))]),
     r"pad_sequence: sequence 1 has shape \(3, 2\), sequence 0 \(2, 3\)"),
    (lambda: pack_sequence([np.zeros((2, 3)), np.zeros((1, 2))]),
     r"pack_sequence: sequence 1 has shape \(1, 2\)"),
    (lambda: pad_sequence([]), "pad_sequence: received an empty list"),
    (lambda: pad_sequence([np.zeros(2)], padding_side="middle"),
     "pad_sequence: padding_side must be 'left' or 'right', got 'middle'"),
    (lambda: pad_packed_sequence(pack_sequence([np.zeros((3, 1))]), total_length=2),
     "pad_packed_sequence: total_length=2 must be an integer at least the longest .*, 3"),
    (lambda: unpad_sequence(X, [5, 1, 1]), r"unpad_sequence: lengths \[5, 1, 1\] has a length"),
    (lambda: PackedSequence(np.zeros((4, 2)), [2, 1]),
     r"PackedSequence: batch_sizes \[2, 1\] must .* add up to the rows of data, of shape \(4, 2\)"),
    (lambda: PackedSequence(np.zeros((3, 2)), [2, 1], [0, 0]),
     r"PackedSequence: \[0, 0\] is not a permutation"),
    (lambda: cr.nn.LSTM(3, 4)(pack_sequence([np.zeros((2, 2))])),
     r"LSTM\(3, 4\): expects an input of shape \(rows, 3\), got \(2, 2\)"),
    (lambda: cr.nn.GRU(2, 4)(pack_sequence([np.zeros((2, 2))] * 2), np.zeros((1, 3, 4))),
     r"GRU\(2, 4\): the state h must have shape \(1, 2, 4\)"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "match"), BAD)
def test_bad_input_is_a_value_error_naming_the_function(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_pad_packed_sequence_wants_a_packed_sequence():
    with pytest.raises(
        TypeError, match="pad_packed_sequence: expects a PackedSequence, got ndarray"
    ):
        pad_packed_sequence(X)
    with pytest.raises(TypeError, match="unpack_sequence: expects a PackedSequence, got list"):
        unpack_sequence([X])


def test_the_module_paths_are_pytorchs():
    import chainrule.nn.utils.rnn as rnn

    assert cr.nn.utils.rnn is rnn
    assert rnn.pad_sequence is pad_sequence
    assert set(rnn.__all__) == {
        "PackedSequence", "pack_padded_sequence", "pack_sequence", "pad_packed_sequence",
        "pad_sequence", "unpack_sequence", "unpad_sequence",
    }  # fmt: skip
