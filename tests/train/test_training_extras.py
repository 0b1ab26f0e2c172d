"""tf.train extras: joined/conditional batching, match_filenames_once, checkpoint helpers and
summary_iterator."""

import os

import numpy as np
import pytest

import flowexec as tf


def _drain(fetch, sess):
    out = []
    try:
        while True:
            out.append(sess.run(fetch))
    except tf.errors.OutOfRangeError:
        return out


def _run_queues(build):
    with tf.Graph().as_default():
        fetch = build()
        with tf.Session() as sess:
            sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord)
            out = _drain(fetch, sess)
            coord.request_stop()
            coord.join(threads)
    return out


def _producer(values):
    return tf.train.slice_input_producer([tf.constant(values)], num_epochs=1, shuffle=False)[0]


def test_batch_join_reads_every_list():
    out = _run_queues(lambda: tf.train.batch_join(
        [[_producer([1, 2, 3])], [_producer([10, 20, 30])]], batch_size=2,
        allow_smaller_final_batch=True))
    got = sorted(v for b in out for v in b[0].tolist())
    assert got == [1, 2, 3, 10, 20, 30]


def test_maybe_batch_keeps_only_selected_examples():
    def build():
        x = _producer([1, 2, 3, 4, 5, 6])
        return tf.train.maybe_batch([x], keep_input=tf.equal(x % 2, 0), batch_size=2,
                                    allow_smaller_final_batch=True)
    out = _run_queues(build)
    assert sorted(v for b in out for v in b[0].tolist()) == [2, 4, 6]

    def build_many():
        x = tf.constant([1, 2, 3, 4])
        return tf.train.maybe_batch([x], keep_input=tf.constant([True, False, True, False]),
                                    batch_size=2, enqueue_many=True)
    with tf.Graph().as_default():
        b = build_many()
        with tf.Session() as sess:
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord)
            assert sess.run(b)[0].tolist() == [1, 3]
            coord.request_stop()
            coord.join(threads, stop_grace_period_secs=1)


def test_shuffle_batch_join_and_maybe_shuffle_batch():
    out = _run_queues(lambda: tf.train.shuffle_batch_join(
        [[_producer([1, 2, 3, 4])], [_producer([5, 6, 7, 8])]], batch_size=4, capacity=8,
        min_after_dequeue=0, seed=1, allow_smaller_final_batch=True))
    assert sorted(v for b in out for v in b[0].tolist()) == list(range(1, 9))

    def build():
        x = _producer([1, 2, 3, 4, 5])
        return tf.train.maybe_shuffle_batch([x], 2, 10, 0, keep_input=x > 2,
                                            allow_smaller_final_batch=True)
    assert sorted(v for b in _run_queues(build) for v in b[0].tolist()) == [3, 4, 5]
    with pytest.raises(ValueError):
        tf.train.batch_join([], 2)


def test_match_filenames_once(tmp_path):
    for n in ("a.txt", "b.txt", "c.csv"):
        (tmp_path / n).write_text("x")
    with tf.Graph().as_default():
        files = tf.train.match_filenames_once(str(tmp_path / "*.txt"))
        assert files in tf.local_variables()
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            got = sorted(os.path.basename(f.decode()) for f in sess.run(files))
    assert got == ["a.txt", "b.txt"]


def test_checkpoint_helpers(tmp_path):
    ckpt_dir = str(tmp_path)
    with tf.Graph().as_default():
        v = tf.Variable([1.0, 2.0], name="v")
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(v.initializer)
            path = saver.save(sess, os.path.join(ckpt_dir, "model"), global_step=3)
    np.testing.assert_array_equal(tf.train.load_variable(ckpt_dir, "v"), [1.0, 2.0])
    np.testing.assert_array_equal(tf.train.load_variable(path, "v:0"), [1.0, 2.0])
    it = tf.train.checkpoints_iterator(ckpt_dir, timeout=2)
    assert next(it) == path
    assert list(it) == []  # no newer checkpoint within the timeout
    state = tf.train.generate_checkpoint_state_proto("rel", "rel/m-2", ["rel/m-1"])
    assert state.model_checkpoint_path == "m-2"
    assert state.all_model_checkpoint_paths == ["m-1", "m-2"]
    with pytest.raises(ValueError, match="timestamps"):
        tf.train.generate_checkpoint_state_proto("/a", "/a/m", ["/a/m"], [1.0, 2.0])
    assert tf.train.piecewise_constant_decay is tf.train.piecewise_constant


def test_summary_iterator_reads_events(tmp_path):
    with tf.Graph().as_default():
        s = tf.summary.scalar("loss", tf.constant(0.5))
        writer = tf.summary.FileWriter(str(tmp_path))
        with tf.Session() as sess:
            writer.add_summary(sess.run(s), global_step=7)
        writer.close()
    files = [f for f in os.listdir(tmp_path) if "tfevents" in f]
    events = list(tf.train.summary_iterator(str(tmp_path / files[0])))
    assert events[0].file_version.startswith("brain.Event")
    values = [(e.step, v.tag, v.simple_value) for e in events for v in e.summary.value]
    assert values == [(7, "loss", 0.5)]


def test_orthogonal_and_uniform_unit_scaling_initializers():
    with tf.Graph().as_default():
        tf.set_random_seed(1)
        w = tf.get_variable("w", [6, 4], initializer=tf.orthogonal_initializer(gain=2.0))
        wide = tf.get_variable("wide", [2, 5], initializer=tf.initializers.orthogonal())
        conv = tf.get_variable("conv", [3, 3, 2, 4], initializer=tf.orthogonal_initializer())
        u = tf.get_variable("u", [50, 40], initializer=tf.uniform_unit_scaling_initializer(1.5))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            w, wide, conv, u = sess.run([w, wide, conv, u])
    np.testing.assert_allclose(w.T @ w, 4 * np.eye(4), atol=1e-5)
    np.testing.assert_allclose(wide @ wide.T, np.eye(2), atol=1e-5)
    flat = conv.reshape(-1, 4)
    np.testing.assert_allclose(flat.T @ flat, np.eye(4), atol=1e-5)
    bound = 1.5 * np.sqrt(3 / 50)
    assert np.abs(u).max() <= bound and np.abs(u).max() > 0.9 * bound
    with pytest.raises(ValueError, match="two-dimensional"):
        tf.orthogonal_initializer()([3])
    assert tf.initializers.uniform_unit_scaling is tf.uniform_unit_scaling_initializer


def test_mean_per_class_accuracy_streams_per_class():
    with tf.Graph().as_default():
        labels = tf.placeholder(tf.int32, [None])
        preds = tf.placeholder(tf.int32, [None])
        w = tf.placeholder(tf.float32, [None])
        acc, update = tf.metrics.mean_per_class_accuracy(labels, preds, 3, weights=w)
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            per = sess.run(update, {labels: [0, 0, 1, 1], preds: [0, 1, 1, 1],
                                    w: [1, 1, 1, 0]})
            np.testing.assert_allclose(per, [0.5, 1.0, 0.0])
            sess.run(update, {labels: [2, 2], preds: [2, 0], w: [1, 1]})
            assert sess.run(acc) == pytest.approx((0.5 + 1.0 + 0.5) / 3)


def _np_ap(labels, scores, k):
    order = np.argsort(-scores, kind="stable")[:k]
    hits, total = 0, 0.0
    for i, c in enumerate(order, 1):
        if c in set(labels):
            hits += 1
            total += hits / i
    return total / min(len(labels), k)


def test_average_precision_at_k_against_numpy():
    rng = np.random.default_rng(0)
    scores = rng.random((5, 6))
    labels = rng.integers(0, 6, (5, 2))
    with tf.Graph().as_default():
        ap, update = tf.metrics.average_precision_at_k(tf.constant(labels),
                                                       tf.constant(scores), 3)
        sap, supdate = tf.metrics.sparse_average_precision_at_k(labels, scores, 3)
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            assert sess.run(ap) == 0.0
            got = sess.run(update)
            sess.run(supdate)
            assert sess.run(sap) == pytest.approx(got)
    want = np.mean([_np_ap(list(l), s, 3) for l, s in zip(labels, scores)])
    assert got == pytest.approx(want)
    assert tf.metrics.sparse_precision_at_k.__doc__.startswith("TF 1.x's deprecated")
