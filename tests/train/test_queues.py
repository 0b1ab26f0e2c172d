"""Queues, QueueRunner and the queue-based input pipelines: FIFO/shuffle/padding order,
blocking with producer and consumer threads, closing (TF's OutOfRange and Cancelled
messages), deadlines and session close while blocked, batch/shuffle_batch, the input
producers with num_epochs, and MonitoredSession ending on the exhausted input. Every wait
is bounded."""

import threading
import time

import numpy as np
import pytest

import flowexec as tf
from flowexec import errors


def _in_thread(fn):
    """Runs `fn()` in a thread; returns (thread, result dict with 'value' or 'error')."""
    out = {}

    def body():
        try:
            out["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - handed to the test
            out["error"] = e

    t = threading.Thread(target=body, daemon=True)
    t.start()
    return t, out


def test_fifo_order_shapes_size_and_dequeue_many():
    q = tf.FIFOQueue(10, [tf.float32, tf.int32], shapes=[[2], []])
    enq = q.enqueue_many(([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [1, 2, 3]))
    x, y = q.dequeue()
    xs, ys = q.dequeue_many(2)
    assert x.shape.as_list() == [2] and xs.shape.as_list() == [2, 2] and ys.dtype == tf.int32
    with tf.Session() as sess:
        sess.run(enq)
        assert sess.run(q.size()) == 3
        got = sess.run([x, y])
        np.testing.assert_array_equal(got[0], [1.0, 2.0])
        assert got[1] == 1
        got = sess.run([xs, ys])
        np.testing.assert_array_equal(got[0], [[3.0, 4.0], [5.0, 6.0]])
        np.testing.assert_array_equal(got[1], [2, 3])
        assert sess.run(q.size()) == 0
    with tf.Session() as other:  # state is per session
        assert other.run(q.size()) == 0


def test_close_gives_tf_out_of_range_and_cancelled_messages():
    q = tf.FIFOQueue(5, tf.float32, name="fifo_queue")
    enq = q.enqueue_many([[1.0, 2.0, 3.0]])
    one = q.dequeue()
    up_to = q.dequeue_up_to(5)
    many = q.dequeue_many(3)
    with tf.Session() as sess:
        sess.run(enq)
        assert not sess.run(q.is_closed())
        sess.run(q.close())
        assert sess.run(q.is_closed())
        assert sess.run(one) == 1.0
        with pytest.raises(errors.OutOfRangeError, match=r"FIFOQueue '_\d+_fifo_queue' is closed "
                           r"and has insufficient elements \(requested 3, current size 2\)"):
            sess.run(many)
        np.testing.assert_array_equal(sess.run(up_to), [2.0, 3.0])  # what is left
        with pytest.raises(errors.OutOfRangeError, match=r"\(requested 1, current size 0\)"):
            sess.run(one)
        with pytest.raises(errors.CancelledError, match=r"FIFOQueue '_\d+_fifo_queue' is "
                                                        r"closed\."):
            sess.run(enq)


def test_producer_and_consumer_threads_block_and_wake():
    q = tf.FIFOQueue(2, tf.int32, shapes=[[]])
    v = tf.placeholder(tf.int32, [])
    enq = q.enqueue(v)
    deq = q.dequeue()
    with tf.Session() as sess:
        consumer, got = _in_thread(lambda: [sess.run(deq) for _ in range(20)])
        for i in range(20):  # the queue holds 2: the producer blocks until the consumer takes
            sess.run(enq, {v: i})
        consumer.join(10)
        assert not consumer.is_alive()
        assert got["value"] == list(range(20))
        # a full queue blocks an enqueue until a dequeue makes room
        sess.run(enq, {v: 100})
        sess.run(enq, {v: 101})
        producer, out = _in_thread(lambda: sess.run(enq, {v: 102}))
        producer.join(0.2)
        assert producer.is_alive()
        assert sess.run(deq) == 100
        producer.join(10)
        assert "error" not in out and sess.run(q.size()) == 2


def test_close_wakes_blocked_dequeue_and_cancels_pending_enqueues():
    q = tf.FIFOQueue(1, tf.float32, shapes=[[]])
    enq = q.enqueue(1.0)
    deq = q.dequeue()
    with tf.Session() as sess:
        waiter, out = _in_thread(lambda: sess.run(deq))
        time.sleep(0.1)
        sess.run(q.close())
        waiter.join(10)
        assert isinstance(out["error"], errors.OutOfRangeError)
    q2 = tf.FIFOQueue(1, tf.float32, shapes=[[]])
    enq2 = q2.enqueue(1.0)
    with tf.Session() as sess:
        sess.run(enq2)
        blocked, out = _in_thread(lambda: sess.run(enq2))
        time.sleep(0.1)
        sess.run(q2.close(cancel_pending_enqueues=True))
        blocked.join(10)
        assert isinstance(out["error"], errors.CancelledError)
        assert "Enqueue operation was cancelled" in str(out["error"])
    del enq


def test_blocked_dequeue_honours_the_deadline_without_losing_an_element():
    q = tf.FIFOQueue(4, tf.float32, shapes=[[]])
    deq = q.dequeue()
    enq = q.enqueue(7.0)
    with tf.Session() as sess:
        t0 = time.perf_counter()
        with pytest.raises(errors.DeadlineExceededError):
            sess.run(deq, options=tf.RunOptions(timeout_in_ms=100))
        assert time.perf_counter() - t0 < 5
        time.sleep(0.1)  # the abandoned dequeue has given up
        sess.run(enq)
        assert sess.run(q.size()) == 1  # nobody took it
        assert sess.run(deq) == 7.0


def test_closing_the_session_cancels_a_blocked_dequeue():
    q = tf.FIFOQueue(4, tf.float32, shapes=[[]])
    deq = q.dequeue()
    sess = tf.Session()
    waiter, out = _in_thread(lambda: sess.run(deq))
    time.sleep(0.1)
    sess.close()
    waiter.join(10)
    assert not waiter.is_alive()
    assert isinstance(out["error"], errors.CancelledError)


def test_random_shuffle_queue_is_seeded_and_keeps_min_after_dequeue():
    def order(seed):
        tf.reset_default_graph()
        q = tf.RandomShuffleQueue(20, 0, tf.int32, shapes=[[]], seed=seed)
        enq = q.enqueue_many([list(range(10))])
        with tf.Session() as sess:
            sess.run(enq)
            return list(sess.run(q.dequeue_many(10)))

    first = order(3)
    assert sorted(first) == list(range(10)) and first != list(range(10))
    assert order(3) == first
    tf.reset_default_graph()
    q = tf.RandomShuffleQueue(10, 3, tf.int32, shapes=[[]], seed=1)
    enq = q.enqueue_many([[1, 2, 3, 4]])
    deq = q.dequeue()
    with tf.Session() as sess:
        sess.run(enq)
        sess.run(deq)  # 4 > 3 kept: one may go
        with pytest.raises(errors.DeadlineExceededError):  # 3 left: blocks while open
            sess.run(deq, options=tf.RunOptions(timeout_in_ms=100))
        sess.run(q.close())
        assert sorted(sess.run(q.dequeue_many(3))) != []  # closed: the rest comes out


def test_padding_fifo_queue_pads_to_the_largest():
    q = tf.PaddingFIFOQueue(5, [tf.int32], shapes=[[None]])
    v = tf.placeholder(tf.int32, [None])
    enq = q.enqueue([v])
    batch = q.dequeue_many(2)
    with tf.Session() as sess:
        sess.run(enq, {v: [1]})
        sess.run(enq, {v: [2, 3, 4]})
        np.testing.assert_array_equal(sess.run(batch), [[1, 0, 0], [2, 3, 4]])
    with pytest.raises(ValueError, match="a list of shapes must be provided"):
        tf.PaddingFIFOQueue(5, [tf.int32], shapes=None)


def test_build_time_errors():
    q = tf.FIFOQueue(5, [tf.float32, tf.int32], shapes=[[2], []])
    with pytest.raises(ValueError, match="Expected 2 components but got 1"):
        q.enqueue([1.0])
    with pytest.raises(ValueError, match="incompatible"):
        q.enqueue(([1.0, 2.0, 3.0], 1))
    named = tf.FIFOQueue(5, [tf.float32], names=["x"])
    out = named.dequeue()
    assert set(out) == {"x"}
    with pytest.raises(ValueError, match="do not match names"):
        named.enqueue({"y": 1.0})


def test_queue_runner_and_coordinator_feed_a_consumer():
    q = tf.FIFOQueue(4, tf.int64, shapes=[[]])
    counter = tf.Variable(0, dtype=tf.int64)
    enq = q.enqueue(tf.assign_add(counter, 1))
    qr = tf.train.QueueRunner(q, [enq] * 2)
    tf.train.add_queue_runner(qr)
    deq = q.dequeue()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord=coord)
        assert len(threads) == 3  # two enqueue threads and the one that cancels on stop
        got = [sess.run(deq) for _ in range(10)]
        coord.request_stop()
        coord.join(threads, stop_grace_period_secs=10)
    assert len(set(got)) == 10 and all(g >= 1 for g in got)
    with pytest.raises(ValueError, match="Must provide enqueue_ops"):
        tf.train.QueueRunner(q, [])


def test_batch_with_string_producer_and_epochs_ends_with_out_of_range():
    names = tf.train.string_input_producer(["a", "b", "c"], num_epochs=2, shuffle=False)
    name = names.dequeue()
    batch = tf.train.batch([name], batch_size=2, allow_smaller_final_batch=True)
    got = []
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord=coord)
        try:
            while True:
                got.extend(sess.run(batch)[0])
        except errors.OutOfRangeError as e:
            assert "is closed and has insufficient elements" in str(e)
        finally:
            coord.request_stop()
            coord.join(threads, stop_grace_period_secs=10)
    assert got == [b"a", b"b", b"c", b"a", b"b", b"c"]


def test_slice_input_producer_and_shuffle_batch_in_a_monitored_session():
    xs = np.arange(12, dtype=np.float32).reshape(6, 2)
    ys = np.arange(6, dtype=np.int32)
    x, y = tf.train.slice_input_producer([xs, ys], num_epochs=3, shuffle=True, seed=5)
    bx, by = tf.train.shuffle_batch([x, y], batch_size=4, capacity=20, min_after_dequeue=2,
                                    seed=7, allow_smaller_final_batch=True)
    assert bx.shape.as_list() == [None, 2]
    seen = []
    with tf.train.MonitoredSession() as sess:
        while not sess.should_stop():
            vx, vy = sess.run([bx, by])
            np.testing.assert_array_equal(vx, xs[vy])  # rows stay paired
            seen.extend(vy.tolist())
    assert sorted(seen) == sorted(list(range(6)) * 3)  # every row of every epoch, once


def test_limit_epochs_and_range_producer():
    with pytest.raises(ValueError, match="num_epochs must be > 0 not 0."):
        tf.train.limit_epochs(tf.constant(1), 0)
    limited = tf.train.limit_epochs(tf.constant(5), 2)
    q = tf.train.range_input_producer(3, shuffle=False, num_epochs=1)
    deq = q.dequeue()
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        assert [sess.run(limited), sess.run(limited)] == [5, 5]
        with pytest.raises(errors.OutOfRangeError):
            sess.run(limited)
        threads = tf.train.start_queue_runners(sess)
        assert [sess.run(deq) for _ in range(3)] == [0, 1, 2]
        with pytest.raises(errors.OutOfRangeError):
            sess.run(deq)
        for t in threads:
            t.join(10)
