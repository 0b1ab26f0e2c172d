"""tf.train.replica_device_setter and the ps strategies, as TF places ops."""

import pytest

import flowexec as tf

CLUSTER = {"ps": ["ps0:2222", "ps1:2222"], "worker": ["w0:2222", "w1:2222"]}


def test_variables_round_robin_over_ps_tasks_and_the_rest_on_the_worker():
    with tf.Graph().as_default():
        with tf.device(tf.train.replica_device_setter(cluster=CLUSTER)):
            v1 = tf.Variable(1.0, name="v1")
            v2 = tf.Variable(2.0, name="v2")
            v3 = tf.Variable(3.0, name="v3")
            y = v1 + v2
        assert [v.device for v in (v1, v2, v3)] == [
            "/job:ps/task:0", "/job:ps/task:1", "/job:ps/task:0"]
        assert v1.initializer.device == "/job:ps/task:0"   # colocated with its variable
        assert y.device == "/job:worker"


def test_worker_device_and_merging_with_the_ops_own_request():
    setter = tf.train.replica_device_setter(ps_tasks=2, worker_device="/job:worker/task:1")
    with tf.Graph().as_default():
        with tf.device(setter):
            with tf.device("/cpu:0"):
                v = tf.Variable(1.0)
                x = tf.constant(1.0)
            with tf.device("/job:other/task:3"):
                w = tf.Variable(1.0)       # its own job: the strategy is not asked
            u = tf.Variable(1.0)
        assert v.device == "/job:ps/task:0/device:CPU:0"
        assert x.device == "/job:worker/task:1/device:CPU:0"
        assert w.device == "/job:other/task:3"
        assert u.device == "/job:ps/task:1"


def test_no_ps_tasks_gives_none_and_errors():
    assert tf.train.replica_device_setter() is None
    assert tf.train.replica_device_setter(cluster={"worker": ["w:1"]}) is None
    with pytest.raises(TypeError, match="ps_strategy must be callable"):
        tf.train.replica_device_setter(ps_tasks=1, ps_strategy=3)


def test_merge_devices_false_keeps_an_ops_device():
    setter = tf.train.replica_device_setter(ps_tasks=1, merge_devices=False)
    with tf.Graph().as_default():
        with tf.device(setter):
            with tf.device("/cpu:0"):
                v = tf.Variable(1.0)
        assert v.device == "/device:CPU:0"


def test_ps_ops_choose_which_op_types_go_to_ps():
    setter = tf.train.replica_device_setter(ps_tasks=1, ps_ops=["Const"])
    with tf.Graph().as_default():
        with tf.device(setter):
            c = tf.constant(1.0)
            v = tf.Variable(1.0)
        assert c.device == "/job:ps/task:0"
        assert v.device == "/job:worker"


def test_greedy_load_balancing_by_byte_size():
    strategy = tf.contrib.training.GreedyLoadBalancingStrategy(
        2, tf.contrib.training.byte_size_load_fn)
    with tf.Graph().as_default():
        with tf.device(tf.train.replica_device_setter(ps_tasks=2, ps_strategy=strategy)):
            big = tf.Variable(tf.zeros([100]))       # 400 bytes -> ps 0
            small = tf.Variable(tf.zeros([10]))      # -> ps 1 (40)
            mid = tf.Variable(tf.zeros([50], tf.float64))   # 400 bytes -> ps 1 (40 < 400)
            last = tf.Variable(tf.zeros([1]))        # ps 0: 400 < 440
        assert [v.device for v in (big, small, mid, last)] == [
            "/job:ps/task:0", "/job:ps/task:1", "/job:ps/task:1", "/job:ps/task:0"]


def test_byte_size_load_fn_needs_one_output_of_known_shape():
    with tf.Graph().as_default():
        assert tf.contrib.training.byte_size_load_fn(
            tf.Variable(tf.zeros([3, 4], tf.float64)).op) == 96
        with pytest.raises(ValueError, match="must have a single output"):
            tf.contrib.training.byte_size_load_fn(tf.no_op())
        p = tf.placeholder(tf.float32, [None])
        with pytest.raises(ValueError):
            tf.contrib.training.byte_size_load_fn(tf.identity(p).op)
