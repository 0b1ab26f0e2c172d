"""Per-step cost of MonitoredSession hooks and of queue pipelines (measured, not asserted).

Rows (each the median of --repeats timings of --steps steps, with the interquartile range):
    plain      Session.run(train) on a tiny regression model
    monitored  the same in a MonitoredTrainingSession with StopAtStep, NanTensor and
               LoggingTensor (every 100) hooks: the cost of the hooks' fetches and calls
    queue      one dequeue_many(32) per step from a FIFOQueue fed by a QueueRunner thread
               (enqueue_many of 32 rows): producer/consumer hand-off through the queue

Usage: PYTHONPATH=$PWD python scripts/bench_monitored.py [--steps 500] [--repeats 7]
"""

import argparse
import time

import numpy as np

import flowexec as tf


def _model():
    tf.reset_default_graph()
    x = tf.constant(np.random.RandomState(0).rand(32, 4).astype(np.float32))
    w = tf.Variable(tf.zeros([4, 1]))
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - 1.0))
    step = tf.train.get_or_create_global_step()
    return loss, tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)


def plain(steps):
    loss, train = _model()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        t0 = time.perf_counter()
        for _ in range(steps):
            sess.run(train)
        return time.perf_counter() - t0


def monitored(steps):
    loss, train = _model()
    hooks = [tf.train.StopAtStepHook(last_step=steps + 1), tf.train.NanTensorHook(loss),
             tf.train.LoggingTensorHook({"loss": loss}, every_n_iter=100)]
    with tf.train.MonitoredTrainingSession(hooks=hooks) as sess:
        sess.run(train)
        t0 = time.perf_counter()
        while not sess.should_stop():
            sess.run(train)
        return time.perf_counter() - t0


def queue(steps):
    tf.reset_default_graph()
    q = tf.FIFOQueue(256, tf.float32, shapes=[[4]])
    enq = q.enqueue_many([tf.random_uniform([32, 4])])
    tf.train.add_queue_runner(tf.train.QueueRunner(q, [enq]))
    batch = tf.reduce_sum(q.dequeue_many(32))
    with tf.Session() as sess:
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord=coord)
        sess.run(batch)
        t0 = time.perf_counter()
        for _ in range(steps):
            sess.run(batch)
        took = time.perf_counter() - t0
        coord.request_stop()
        coord.join(threads)
        return took


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print(f"{'row':<10} {'us/step median':>15} {'IQR':>12}")
    for fn in (plain, monitored, queue):
        times = [fn(args.steps) / args.steps * 1e6 for _ in range(args.repeats)]
        q1, med, q3 = np.percentile(times, [25, 50, 75])
        print(f"{fn.__name__:<10} {med:>15.1f} {q3 - q1:>12.1f}")


if __name__ == "__main__":
    main()
