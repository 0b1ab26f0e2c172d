"""tf.data.experimental's dense_to_sparse_batch, assert_cardinality, rejection_resample,
snapshot, pad_to_cardinality, get_structure and make_saveable_from_iterator (iterator
state save/restore).

TensorFlow's results are in tests/data/tf1/data_experimental2/cases.json, written by
scripts/make_tf_data_experimental2_fixtures.py; each case expression is built here with
flowexec.
"""

import json
import os

import numpy as np
import pytest

import flowexec as tf
from tests.data.helpers import values

E = tf.data.experimental
_PATH = os.path.join(os.path.dirname(__file__), "tf1", "data_experimental2", "cases.json")
with open(_PATH) as _f:
    FIXTURE = json.load(_f)


def _plain(value):
    if isinstance(value, tf.SparseTensorValue):
        return {"indices": value.indices.tolist(), "values": _plain(value.values),
                "dense_shape": value.dense_shape.tolist()}
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value] if value.dtype == object else value.tolist()
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.generic):
        return value.item()
    return value


def _message(e):
    return e.message.split("\n\t [[")[0]


def _run(expr, steps):
    with tf.Graph().as_default():
        try:
            ds = eval(expr)  # noqa: S307 - the fixture's own expressions
            it = ds.make_initializable_iterator()
            nxt = it.get_next()
        except (TypeError, ValueError) as e:
            return {"build_error": [type(e).__name__, str(e)]}
        out = []
        with tf.Session() as sess:
            try:
                sess.run(it.initializer)
            except tf.errors.OpError as e:
                return {"init_error": [type(e).__name__, _message(e)]}
            for _ in range(steps):
                try:
                    out.append(["value", _plain(sess.run(nxt))])
                except tf.errors.OutOfRangeError:
                    out.append(["end"])
                except tf.errors.OpError as e:
                    out.append(["error", type(e).__name__, _message(e)])
        return {"steps": out}


@pytest.mark.parametrize("name", sorted(FIXTURE["cases"]))
def test_matches_tensorflow(name):
    case = dict(FIXTURE["cases"][name])
    expr = case.pop("expr")
    got = _run(expr, FIXTURE["steps"])
    if "build_error" in case:  # the type is TF's; the message is TensorShape's own
        assert got["build_error"][0] == case["build_error"][0]
        return
    assert got == case


def test_dense_to_sparse_batch_spec_and_classes():
    ds = tf.data.Dataset.range(5).map(lambda x: tf.fill([x], x)).apply(
        E.dense_to_sparse_batch(2, [None]))
    assert ds.element_spec == tf.SparseTensorSpec([None, None], tf.int64)
    assert tf.data.get_output_classes(ds) is tf.SparseTensor
    assert E.get_structure(ds) == ds.element_spec
    x = ds.make_one_shot_iterator().get_next()
    assert isinstance(x, tf.SparseTensor)
    assert x.shape.as_list() == [None, None]
    with tf.Session() as sess:
        first = sess.run(tf.sparse.to_dense(x))
    np.testing.assert_array_equal(first, [[0], [1]])


def test_dense_to_sparse_batch_needs_one_component():
    ds = tf.data.Dataset.zip((tf.data.Dataset.range(2), tf.data.Dataset.range(2)))
    with pytest.raises(TypeError, match="single component"):
        ds.apply(E.dense_to_sparse_batch(2, []))


def test_sparse_batches_pass_through_take_and_prefetch():
    ds = tf.data.Dataset.range(6).apply(E.dense_to_sparse_batch(2, [])).skip(1).take(
        1).prefetch(2)
    x = ds.make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        assert _plain(sess.run(x)) == {"indices": [[0], [1]], "values": [2, 3],
                                       "dense_shape": [2]}
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(x)


def test_error_leaves_session_usable():
    ds = tf.data.Dataset.range(4).apply(E.assert_cardinality(2))
    it = ds.make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(it.initializer)
        assert [sess.run(nxt), sess.run(nxt)] == [0, 1]
        with pytest.raises(tf.errors.FailedPreconditionError, match="at least 3 elements"):
            sess.run(nxt)
        assert sess.run(tf.constant(3) + 4) == 7
        sess.run(it.initializer)
        assert sess.run(nxt) == 0


def test_assert_cardinality_sets_cardinality():
    ds = tf.data.Dataset.range(10).filter(lambda x: x < 4)
    with tf.Session() as sess:
        assert sess.run(E.cardinality(ds)) == E.UNKNOWN_CARDINALITY
        assert sess.run(E.cardinality(ds.apply(E.assert_cardinality(4)))) == 4


# ----- rejection_resample --------------------------------------------------------------------
def _resample_proportions(target, initial, seed, read, labels, repeat):
    data = np.repeat(np.arange(len(labels)), labels).astype(np.int32)
    ds = tf.data.Dataset.from_tensor_slices(
        np.random.RandomState(seed).permutation(np.tile(data, repeat)))
    ds = ds.apply(E.rejection_resample(lambda x: x, target, initial, seed=seed))
    nxt = ds.batch(read).make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        classes, elements = sess.run(nxt)
    np.testing.assert_array_equal(classes, elements)  # (class, element) pairs
    counts = np.bincount(classes, minlength=len(target))
    return counts / counts.sum(), counts.sum()


@pytest.mark.parametrize("name", sorted(FIXTURE["resample"]))
def test_rejection_resample_converges_like_tensorflow(name):
    case = FIXTURE["resample"][name]
    got, n = _resample_proportions(case["target"], case["initial"], case["seed"],
                                   case["read"], case["labels"], case["repeat"])
    target = np.asarray(case["target"])
    sigma = np.sqrt(target * (1 - target) / n)
    # both converge to the target within sampling noise (and the online estimate's bias,
    # which TF shows too); TF's own run lands as close
    assert np.all(np.abs(got - target) < 5 * sigma + 0.015), (got, target)
    assert np.all(np.abs(got - np.asarray(case["proportions"])) < 7 * sigma + 0.02)


def test_rejection_resample_without_it_is_skewed():
    # the control: the same data read plainly is far from the target (the test above would
    # fail with an identity transformation)
    case = FIXTURE["resample"]["resample_given_initial"]
    props = np.asarray(case["labels"]) / np.sum(case["labels"])
    assert np.max(np.abs(props - np.asarray(case["target"]))) > 0.3


def test_rejection_resample_identity_when_initial_is_target():
    ds = tf.data.Dataset.range(6).apply(E.rejection_resample(
        lambda x: tf.cast(x % 2, tf.int32), [0.5, 0.5], [0.5, 0.5], seed=1))
    assert values(ds) == [(i % 2, i) for i in range(6)]


def test_rejection_resample_is_reproducible_with_seed():
    def run():
        ds = tf.data.Dataset.range(200).apply(E.rejection_resample(
            lambda x: tf.cast(x % 3 > 0, tf.int32), [0.5, 0.5], seed=5))
        return values(ds)
    assert run() == run()


# ----- snapshot ------------------------------------------------------------------------------
def test_snapshot_writes_then_reads(tmp_path):
    calls = []

    def gen():
        calls.append(1)
        yield from range(4)

    def build():
        ds = tf.data.Dataset.from_generator(gen, tf.int64, [])
        return ds.apply(E.snapshot(str(tmp_path)))
    with tf.Graph().as_default():
        assert values(build()) == [0, 1, 2, 3]
    assert len(calls) == 1 and os.listdir(tmp_path)
    with tf.Graph().as_default():  # a rebuilt pipeline finds its snapshot
        assert values(build()) == [0, 1, 2, 3]
    assert len(calls) == 1
    with tf.Graph().as_default():  # another pipeline has its own
        other = tf.data.Dataset.from_generator(gen, tf.int64, []).map(lambda x: x * 2)
        assert values(other.apply(E.snapshot(str(tmp_path)))) == [0, 2, 4, 6]
    assert len(calls) == 2


def test_snapshot_rejects_reader_func(tmp_path):
    with pytest.raises(ValueError, match="reader_func"):
        E.snapshot(str(tmp_path), reader_func=lambda ds: ds)


# ----- pad_to_cardinality, legacy map_and_batch, get_structure --------------------------------
def test_pad_to_cardinality():
    ds = tf.data.Dataset.from_tensor_slices({"a": [1, 2]}).apply(E.pad_to_cardinality(4))
    assert values(ds) == [{"a": 1, "valid": True}, {"a": 2, "valid": True},
                          {"a": 0, "valid": False}, {"a": 0, "valid": False}]
    with pytest.raises(ValueError, match="dictionary"):
        tf.data.Dataset.range(2).apply(E.pad_to_cardinality(4))


def test_map_and_batch_with_legacy_function():
    ds = tf.data.Dataset.range(5).apply(E.map_and_batch_with_legacy_function(
        lambda x: x * 10, 2))
    assert values(ds) == [[0, 10], [20, 30], [40]]


def test_get_structure():
    it = tf.data.Dataset.range(3).map(lambda x: (x, {"y": tf.cast(x, tf.float32)})) \
        .make_initializable_iterator()
    assert E.get_structure(it) == (tf.TensorSpec([], tf.int64),
                                   {"y": tf.TensorSpec([], tf.float32)})
    with pytest.raises(TypeError, match="must be a `tf.data.Dataset` or tf.data.Iterator"):
        E.get_structure(tf.constant(1))


# ----- iterator state ------------------------------------------------------------------------
def _pipeline():
    return tf.data.Dataset.range(20).shuffle(20, seed=3).map(lambda x: x * 2).batch(
        3).prefetch(2)


def test_serialize_restore_mid_epoch_in_new_session():
    ds = _pipeline()
    it = ds.make_initializable_iterator()
    nxt = it.get_next()
    saveable = E.make_saveable_from_iterator(it)
    state_t = saveable.specs[0].tensor
    assert saveable.specs[0].name == it._iterator_resource.op.name + "_STATE"
    state_in = tf.placeholder(tf.string, [])
    restore = saveable.restore([state_in], None)
    with tf.Session() as sess:
        sess.run(it.initializer)
        expected = [sess.run(nxt).tolist() for _ in range(7)]
    with tf.Session() as sess:
        sess.run(it.initializer)
        head = [sess.run(nxt).tolist() for _ in range(3)]
        state = sess.run(state_t)
        sess.run(nxt)  # moves on after the save
    assert head == expected[:3]
    with tf.Session() as sess:  # restores without running the initializer, as TF does
        sess.run(restore, {state_in: state})
        rest = [sess.run(nxt).tolist() for _ in range(4)]
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(nxt)
    assert rest == expected[3:]


def test_restore_at_end_stays_at_end():
    it = tf.data.Dataset.range(2).make_one_shot_iterator()
    nxt = it.get_next()
    saveable = E.make_saveable_from_iterator(it)
    state_in = tf.placeholder(tf.string, [])
    restore = saveable.restore([state_in], None)
    with tf.Session() as sess:
        sess.run(nxt), sess.run(nxt)
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(nxt)
        state = sess.run(saveable.specs[0].tensor)
    with tf.Session() as sess:
        sess.run(restore, {state_in: state})
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(nxt)


def test_restore_rejects_foreign_state_and_session_survives():
    it = tf.data.Dataset.range(3).make_initializable_iterator()
    nxt = it.get_next()
    restore = E.make_saveable_from_iterator(it).restore([tf.constant("not a state")], None)
    with tf.Session() as sess:
        sess.run(it.initializer)
        with pytest.raises(tf.errors.DataLossError, match="not a flowexec iterator state"):
            sess.run(restore)
        assert sess.run(nxt) == 0


def test_make_saveable_argument_errors():
    it = tf.data.Dataset.range(3).make_initializable_iterator()
    with pytest.raises(ValueError, match="ExternalStatePolicy"):
        E.make_saveable_from_iterator(it, external_state_policy="sometimes")
    with pytest.raises(TypeError, match="tf.data.Iterator"):
        E.make_saveable_from_iterator(tf.data.Dataset.range(3))


def test_saver_saves_and_restores_iterator(tmp_path):
    v = tf.Variable(1.0, name="v")
    it = _pipeline().make_initializable_iterator()
    nxt = it.get_next()
    tf.add_to_collection(tf.GraphKeys.SAVEABLE_OBJECTS, E.make_saveable_from_iterator(it))
    saver = tf.train.Saver()
    prefix = str(tmp_path / "model.ckpt")
    with tf.Session() as sess:
        sess.run([v.initializer, it.initializer])
        head = [sess.run(nxt).tolist() for _ in range(3)]
        saver.save(sess, prefix)
        expected = [sess.run(nxt).tolist() for _ in range(4)]
    with tf.Session() as sess:
        saver.restore(sess, prefix)
        assert [sess.run(nxt).tolist() for _ in range(4)] == expected
        assert sess.run(v) == 1.0
    assert len(head) == 3
