"""CTC losses, decoders, label helpers and edit distance against brute-force numpy oracles
(every alignment of a short sequence enumerated), CTC gradients against finite differences,
and the build-time errors and API details TF has (checked against TF 2.21)."""

import functools
import itertools

import numpy as np
import pytest

import flowexec as tf
from tests.ops.harness import OpCase, check_forward, check_gradient, ids


def _log_softmax(x):
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def _labelling(path, blank, merge=True):
    out, prev = [], None
    for p in path:
        if p != blank and not (merge and p == prev):
            out.append(p)
        prev = p
    return tuple(out)


def _labelling_log_probs(logits, blank, merge=True):
    """{labelling: log p(labelling | logits)} over every alignment of logits [T, C]."""
    lp = _log_softmax(logits.astype(np.float64))
    probs = {}
    for path in itertools.product(range(lp.shape[1]), repeat=lp.shape[0]):
        key = _labelling(path, blank, merge)
        probs[key] = np.logaddexp(probs.get(key, -np.inf), lp[np.arange(len(path)), path].sum())
    return probs


def brute_ctc_loss(logits, labels, seq, blank, merge=True):
    """-log p(labels[b]) for each b of time-major logits [T, B, C], by enumeration."""
    return np.array([-_labelling_log_probs(logits[:seq[b], b], blank, merge).get(
        tuple(labels[b]), -np.inf) for b in range(logits.shape[1])], logits.dtype)


LABELS = [[0, 1], [1, 1], [0]]
SEQ = np.array([5, 4, 3], np.int32)


def _sparse(rows):
    idx = [[b, t] for b, r in enumerate(rows) for t in range(len(r))]
    return (np.array(idx, np.int64).reshape(-1, 2),
            np.array([v for r in rows for v in r], np.int32),
            np.array([len(rows), max(map(len, rows))], np.int64))


def _ctc_build(rows, **kw):
    i, v, shape = _sparse(rows)
    return lambda x: tf.nn.ctc_loss(tf.SparseTensor(i, v, shape), x, SEQ, **kw)


def _dense_labels(rows, width=3):
    out = np.zeros((len(rows), width), np.int32)
    for b, r in enumerate(rows):
        out[b, :len(r)] = r
    return out


def _greedy_ref(logits, seq, merge, blank):
    best = logits.argmax(-1)
    rows = [_labelling(best[:seq[b], b], blank, merge) for b in range(logits.shape[1])]
    i, v, shape = _sparse(rows)
    neg_sum = -np.array([logits[np.arange(seq[b]), b, best[:seq[b], b]].sum()
                         for b in range(logits.shape[1])], logits.dtype)
    return [i, v.astype(np.int64), shape.astype(np.int64), neg_sum[:, None]]


def _top_labellings(logits, seq, k, merge):
    """The k most probable labellings of each sequence (exact: enumeration)."""
    out = []
    for b in range(logits.shape[1]):
        probs = _labelling_log_probs(logits[:seq[b], b], logits.shape[2] - 1)
        best = sorted(probs.items(), key=lambda kv: -kv[1])[:k]
        out.append([(_labelling(lab, -1, merge), p) for lab, p in best])
    return out


def _beam_ref(logits, seq, k, merge):
    top = _top_labellings(logits, seq, k, merge)
    arrays = []
    for p in range(k):
        rows = [list(top[b][p][0]) for b in range(len(top))]
        idx = [[b, t] for b, r in enumerate(rows) for t in range(len(r))]
        arrays.append((np.array(idx, np.int64).reshape(-1, 2),
                       np.array([v for r in rows for v in r], np.int64),
                       np.array([len(rows), max(map(len, rows))], np.int64)))
    log_probs = np.array([[lp for _, lp in t] for t in top], logits.dtype)
    return ([a[0] for a in arrays] + [a[1] for a in arrays] + [a[2] for a in arrays]
            + [log_probs])


def _beam_build(k, merge, width=64):
    def build(x):
        decoded, log_probs = tf.nn.ctc_beam_search_decoder(x, [4, 3, 4], beam_width=width,
                                                           top_paths=k, merge_repeated=merge)
        return ([d.indices for d in decoded] + [d.values for d in decoded]
                + [d.dense_shape for d in decoded] + [log_probs])
    return build


@functools.lru_cache(None)
def _lev(a, b):
    if not a or not b:
        return len(a) + len(b)
    return min(_lev(a[1:], b) + 1, _lev(a, b[1:]) + 1, _lev(a[1:], b[1:]) + (a[0] != b[0]))


def _edit_ref(hyp_rows, truth_rows, normalize):
    out = []
    for h, t in zip(hyp_rows, truth_rows):
        d = float(_lev(tuple(h), tuple(t)))
        if normalize:
            d = d / len(t) if t else (np.inf if h else 0.0)
        out.append(d)
    return np.array(out, np.float32)


HYP = [[1, 2, 3], [], [4, 4], [5]]
TRUTH = [[1, 3], [2], [], [5]]


def _edit_build(normalize):
    hi, hv, hs = _sparse(HYP)
    ti, tv, ts = _sparse(TRUTH)
    return lambda: tf.edit_distance(tf.SparseTensor(hi, hv.astype(np.int64), hs),
                                    tf.SparseTensor(ti, tv.astype(np.int64), ts),
                                    normalize=normalize)


CASES = [
    OpCase("ctc_loss", _ctc_build(LABELS),
           lambda x: brute_ctc_loss(x, LABELS, SEQ, 2), lambda r: [r.normal(size=(5, 3, 3))],
           atol=1e-5, rtol=1e-5),
    OpCase("ctc_loss_no_merge", _ctc_build(LABELS, ctc_merge_repeated=False),
           lambda x: brute_ctc_loss(x, LABELS, SEQ, 2, merge=False),
           lambda r: [r.normal(size=(5, 3, 3))], atol=1e-5, rtol=1e-5),
    OpCase("ctc_loss_collapse", _ctc_build([[0, 0, 1], [1, 1], [0, 0]],
                                           preprocess_collapse_repeated=True),
           lambda x: brute_ctc_loss(x, [[0, 1], [1], [0]], SEQ, 2),
           lambda r: [r.normal(size=(5, 3, 3))], atol=1e-5, rtol=1e-5),
    OpCase("ctc_loss_batch_major", _ctc_build(LABELS, time_major=False),
        lambda x: brute_ctc_loss(x.transpose(1, 0, 2), LABELS, SEQ, 2),
        lambda r: [r.normal(size=(3, 5, 3))], atol=1e-5, rtol=1e-5),
    OpCase("ctc_loss_v2_dense",
           lambda x: tf.nn.ctc_loss_v2(_dense_labels([[1, 2], [2, 2], [1]]), x, [2, 2, 1], SEQ),
           lambda x: brute_ctc_loss(x, [[1, 2], [2, 2], [1]], SEQ, 0),
           lambda r: [r.normal(size=(5, 3, 3)).astype(np.float32)], grad=False,
           atol=1e-5, rtol=1e-5),
    OpCase("ctc_loss_v2_dense_blank_last",
           lambda x: tf.nn.ctc_loss_v2(_dense_labels(LABELS), x, [2, 2, 1], SEQ, blank_index=-1),
           lambda x: brute_ctc_loss(x, LABELS, SEQ, 2),
           lambda r: [r.normal(size=(5, 3, 3)).astype(np.float32)], grad=False,
           atol=1e-5, rtol=1e-5),
    OpCase("greedy", lambda x: _flat_greedy(x, True, None),
           lambda x: _greedy_ref(x, [6, 4, 0], True, 3), lambda r: [r.normal(size=(6, 3, 4))],
           grad=False),
    OpCase("greedy_no_merge_blank_1", lambda x: _flat_greedy(x, False, 1),
           lambda x: _greedy_ref(x, [6, 4, 0], False, 1),
           lambda r: [r.normal(size=(6, 3, 4))], grad=False),
    OpCase("beam_top_3", _beam_build(3, False), lambda x: _beam_ref(x, [4, 3, 4], 3, False),
           lambda r: [r.normal(size=(4, 3, 3))], grad=False, atol=1e-5, rtol=1e-5),
    OpCase("beam_top_2_merge", _beam_build(2, True), lambda x: _beam_ref(x, [4, 3, 4], 2, True),
           lambda r: [r.normal(size=(4, 3, 3))], grad=False, atol=1e-5, rtol=1e-5),
    OpCase("edit_distance", lambda: _edit_build(True)(),
           lambda: _edit_ref(HYP, TRUTH, True), [], grad=False),
    OpCase("edit_distance_unnormalized", lambda: _edit_build(False)(),
           lambda: _edit_ref(HYP, TRUTH, False), [], grad=False),
]


def _flat_greedy(x, merge, blank):
    decoded, neg_sum = tf.nn.ctc_greedy_decoder(x, [6, 4, 0], merge_repeated=merge,
                                                blank_index=blank)
    return [decoded[0].indices, decoded[0].values, decoded[0].dense_shape, neg_sum]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward_matches_numpy(case):
    check_forward(case)


@pytest.mark.parametrize("case", [c for c in CASES if c.grad], ids=ids([c for c in CASES
                                                                         if c.grad]))
def test_gradient_matches_finite_differences(case):
    check_gradient(case)


def test_dense_gradient_equals_the_ctc_loss_op_gradient():
    x = np.random.default_rng(3).normal(size=(6, 3, 4))
    rows = [[1, 2, 2], [3], [1, 3]]
    with tf.Graph().as_default():
        xd = tf.constant(x.astype(np.float32))
        dense = tf.nn.ctc_loss_v2(_dense_labels(rows), xd, [3, 1, 2], [6, 5, 6])
        # the same loss with blank 0 moved last and labels shifted down: CTCLoss in float64
        xs = tf.constant(np.concatenate([x[:, :, 1:], x[:, :, :1]], axis=2))
        sparse = tf.nn.ctc_loss(tf.SparseTensor(*_sparse([[v - 1 for v in r] for r in rows])),
                                xs, [6, 5, 6])
        gd, gs = tf.gradients(dense, xd)[0], tf.gradients(sparse, xs)[0]
        with tf.Session() as sess:
            ld, ls, gd, gs = sess.run([dense, sparse, gd, gs])
    np.testing.assert_allclose(ld, ls, rtol=1e-5)
    np.testing.assert_allclose(gd, np.concatenate([gs[:, :, -1:], gs[:, :, :-1]], 2),
                               atol=1e-5)


def test_second_derivative_is_refused_as_tf():
    with tf.Graph().as_default():
        x = tf.constant(np.zeros((3, 1, 3)))
        loss = tf.nn.ctc_loss(tf.SparseTensor([[0, 0]], [1], [1, 1]), x, [3])
        g = tf.gradients(loss, x)[0]
        with pytest.raises(LookupError, match="Gradient explicitly disabled. Reason: Currently "
                                              "there is no way to take the second"):
            tf.gradients(g, x)


def test_labels_must_be_sparse_and_sparse_v2_needs_blank_index():
    with tf.Graph().as_default():
        x = tf.constant(np.zeros((3, 1, 3), np.float32))
        with pytest.raises(TypeError, match="Expected argument `labels` to be a SparseTensor"):
            tf.nn.ctc_loss(tf.constant([[1]]), x, [3])
        with pytest.raises(ValueError, match="Argument `blank_index` must be provided"):
            tf.nn.ctc_loss_v2(tf.SparseTensor([[0, 0]], [1], [1, 1]), x, None, [3])
        with pytest.raises(TypeError, match="has DataType int32 not in list of allowed values: "
                                            "float32, float64"):
            tf.nn.ctc_loss(tf.SparseTensor([[0, 0]], [1], [1, 1]),
                           tf.constant(np.zeros((3, 1, 3), np.int32)), [3])
        with pytest.raises(ValueError, match="Shape must be rank 3 but is rank 2"):
            tf.nn.ctc_loss(tf.SparseTensor([[0, 0]], [1], [1, 1]), x[0], [3])
        with pytest.raises(ValueError, match="Dimensions must be equal, but are 1 and 2"):
            tf.nn.ctc_loss(tf.SparseTensor([[0, 0]], [1], [1, 1]), x, [3, 3])
        with pytest.raises(TypeError, match="Hypothesis must be a SparseTensor."):
            tf.edit_distance(tf.constant([1]), tf.SparseTensor([[0, 0]], [1], [1, 1]))
        with pytest.raises(ValueError, match="Attr 'beam_width' of 'CTCBeamSearchDecoder' Op "
                                             "passed 0 less than minimum 1."):
            tf.nn.ctc_beam_search_decoder(x, [3], beam_width=0)


def test_inferred_shapes_as_tf():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 4, 5])
        loss = tf.nn.ctc_loss(tf.SparseTensor([[0, 0]], [1], [4, 1]), x,
                              tf.placeholder(tf.int32, [None]))
        assert loss.shape.as_list() == [4]
        decoded, log_probs = tf.nn.ctc_beam_search_decoder(x, tf.placeholder(tf.int32, [4]),
                                                           top_paths=3)
        assert len(decoded) == 3 and log_probs.shape.as_list() == [4, 3]
        assert decoded[0].indices.shape.as_list() == [None, 2]
        assert decoded[0].values.dtype == tf.int64
        (greedy,), neg = tf.nn.ctc_greedy_decoder(x, tf.placeholder(tf.int32, [4]))
        assert neg.shape.as_list() == [4, 1] and greedy.dense_shape.shape.as_list() == [2]
        d = tf.edit_distance(tf.SparseTensor([[0, 0, 0]], ["a"], [2, 3, 1]),
                             tf.SparseTensor([[0, 0, 0]], ["b"], [1, 4, 1]))
        assert d.shape.as_list() == [2, 4] and d.dtype == tf.float32


def test_decoders_fetch_sparse_tensor_values_and_feed_sparse_labels():
    logits = np.random.default_rng(0).normal(size=(5, 2, 4)).astype(np.float32)
    with tf.Graph().as_default():
        x = tf.constant(logits)
        (decoded,), _ = tf.nn.ctc_greedy_decoder(x, [5, 5])
        labels = tf.sparse_placeholder(tf.int32)
        loss = tf.nn.ctc_loss(labels, x, [5, 5])
        with tf.Session() as sess:
            value = sess.run(decoded)
            assert isinstance(value, tf.SparseTensorValue)
            got = sess.run(loss, {labels: tf.SparseTensorValue([[0, 0], [1, 0]], [1, 2],
                                                               [2, 1])})
    np.testing.assert_allclose(got, brute_ctc_loss(logits, [[1], [2]], [5, 5], 3), rtol=1e-5)
    best = logits.argmax(-1)
    rows = [list(_labelling(best[:, b], 3)) for b in range(2)]
    np.testing.assert_array_equal(value.values, [v for r in rows for v in r])
    np.testing.assert_array_equal(value.dense_shape, [2, max(map(len, rows))])


def test_collapse_repeated_and_unique_labels():
    with tf.Graph().as_default():
        labels, lengths = tf.nn.collapse_repeated([[1, 1, 2, 2, 1], [1, 2, 3, 4, 5]], [5, 3])
        y, idx = tf.nn.ctc_unique_labels([[3, 4, 4, 3], [5, 5, 6, 0]])
        with tf.Session() as sess:
            got = sess.run([labels, lengths, y, idx])
    np.testing.assert_array_equal(got[0], [[1, 2, 1], [1, 2, 3]])
    np.testing.assert_array_equal(got[1], [3, 3])
    np.testing.assert_array_equal(got[2], [[3, 4, 0, 0], [5, 6, 0, 0]])
    np.testing.assert_array_equal(got[3], [[0, 1, 1, 0], [0, 0, 1, 2]])
    assert got[2].dtype == np.int64 and got[3].dtype == np.int32


def _plain_tf_beam_search(frames, beam_width, blank):
    """TF's CTCBeamSearchDecoder::Step transcribed as written (a list for the beam, linear
    scans for its weakest entry, every child tried): the kernel's pruned, heap-based search
    must make exactly the same decisions. Returns [(labels, log probability)], best first."""
    class Entry:
        def __init__(self, parent, label):
            self.parent, self.label, self.children = parent, label, {}
            self.new = [-np.inf] * 3   # total, blank, label
            self.old = [-np.inf] * 3

    def lse(a, b):
        return b if a == -np.inf else a if b == -np.inf else np.logaddexp(a, b)

    def bottom(leaves):
        worst = leaves[0]
        for e in leaves[1:]:
            if e.new[0] < worst.new[0]:
                worst = e
        return worst

    def candidate(total, leaves):
        return total > -np.inf and (len(leaves) < beam_width or total > bottom(leaves).new[0])

    root = Entry(None, -1)
    root.new = [0.0, 0.0, -np.inf]
    leaves = [root]
    for lp in frames:
        branches = sorted(leaves, key=lambda e: -e.new[0])
        for b in branches:
            b.old = list(b.new)
        leaves = []
        for b in branches:
            if b.parent is not None:
                if b.parent.new[0] != -np.inf:
                    prev = b.parent.old[1] if b.label == b.parent.label else b.parent.old[0]
                    b.new[2] = lse(b.new[2], prev)
                b.new[2] += lp[b.label]
            b.new[1] = b.old[0] + lp[blank]
            b.new[0] = lse(b.new[1], b.new[2])
            leaves.append(b)
        for b in branches:
            if not candidate(b.old[0], leaves):
                continue
            for label in range(len(lp)):
                if label == blank:
                    continue
                c = b.children.setdefault(label, Entry(b, label))
                if c.new[0] != -np.inf:
                    continue
                prev = b.old[1] if label == b.label else b.old[0]
                c.new = [lp[label] + prev, -np.inf, lp[label] + prev]
                if candidate(c.new[0], leaves):
                    if len(leaves) == beam_width:
                        worst = bottom(leaves)
                        worst.new = [-np.inf] * 3
                        leaves.remove(worst)
                    leaves.append(c)
                else:
                    c.old = [-np.inf] * 3
                    c.new = [-np.inf] * 3

    def labels(e):
        out = []
        while e.parent is not None:
            out.append(e.label)
            e = e.parent
        return out[::-1]
    return [(labels(e), e.new[0]) for e in sorted(leaves, key=lambda e: -e.new[0])]


@pytest.mark.parametrize("seed", range(12))
def test_beam_search_makes_tf_algorithms_decisions(seed):
    rng = np.random.default_rng(seed)
    t, c = int(rng.integers(5, 25)), int(rng.integers(3, 9))
    width = int(rng.integers(1, 12))
    x = rng.normal(size=(t, 1, c)) * rng.uniform(0.5, 4.0)
    with tf.Graph().as_default():
        decoded, log_probs = tf.nn.ctc_beam_search_decoder_v2(x, [t], beam_width=width,
                                                              top_paths=width)
        with tf.Session() as sess:
            paths, got = sess.run([[d.values for d in decoded], log_probs])
    lp = _log_softmax(x[:, 0])
    want = _plain_tf_beam_search(lp.tolist(), width, c - 1)
    assert len(want) == width
    assert [list(p) for p in paths] == [w[0] for w in want]
    np.testing.assert_allclose(got[0], [w[1] for w in want], rtol=1e-12)


def test_graph_def_round_trip_runs_the_same():
    # The exported GraphDef also runs in TF 1.x/2.x with the same results (checked by hand
    # with TF 2.21); here it is imported back into flowexec.
    xv = np.random.default_rng(0).normal(size=(5, 2, 4)).astype(np.float32)
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [5, 2, 4], name="x")
        loss = tf.nn.ctc_loss(tf.SparseTensor([[0, 0], [1, 0]], [1, 2], [2, 1]), x, [5, 5])
        grad = tf.gradients(tf.reduce_sum(loss), x)[0]
        (beam,), log_probs = tf.nn.ctc_beam_search_decoder(x, [5, 5], beam_width=4)
        (greedy,), _ = tf.nn.ctc_greedy_decoder(x, [5, 4])
        dist = tf.edit_distance(beam, greedy)
        names = [t.name for t in (loss, grad, log_probs, dist)]
        with tf.Session() as sess:
            want = sess.run(names, {x: xv})
    gd = g.as_graph_def()
    assert {"CTCLoss", "PreventGradient", "CTCBeamSearchDecoder", "CTCGreedyDecoder",
            "EditDistance"} <= {n.op for n in gd.node}
    with tf.Graph().as_default():
        tf.import_graph_def(gd, name="")
        with tf.Session() as sess:
            got = sess.run(names, {"x:0": xv})
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
