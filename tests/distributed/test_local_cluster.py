"""tf.test.create_local_cluster: an in-process cluster on free localhost addresses, with
TF's return value (workers, ps_servers) and the configs handed to each job's servers."""

import numpy as np
import pytest

import flowexec as tf


@pytest.fixture
def local_cluster():
    made = []

    def create(*args, **kwargs):
        workers, ps = tf.test.create_local_cluster(*args, **kwargs)
        made.extend(workers + ps)
        return workers, ps

    yield create
    for server in made:
        server.stop()


def test_workers_share_the_ps_state(local_cluster):
    workers, ps = local_cluster(2, 1)
    assert len(workers) == 2 and len(ps) == 1
    spec = tf.train.ClusterSpec(workers[0].server_def.cluster).as_dict()
    assert sorted(spec) == ["ps", "worker"] and len(set(spec["worker"] + spec["ps"])) == 3
    assert all(a.startswith("localhost:") for a in spec["worker"] + spec["ps"])
    assert workers[1].target != workers[0].target
    g = tf.Graph()
    with g.as_default():
        with tf.device("/job:ps/task:0"):
            v = tf.Variable(1.0, name="v")
        with tf.device("/job:worker/task:1"):
            bump = tf.assign_add(v, 2.0)
        init = tf.global_variables_initializer()
    with tf.Session(workers[0].target, graph=g) as sess:
        sess.run(init)
        sess.run(bump)
    with tf.Session(workers[1].target, graph=g) as sess:
        np.testing.assert_allclose(sess.run(v), 3.0)
        devices = {d.name for d in sess.list_devices()}
    assert "/job:ps/replica:0/task:0/device:CPU:0" in devices
    assert "/job:worker/replica:0/task:1/device:CPU:0" in devices


def test_no_ps_and_per_job_configs(local_cluster):
    config = tf.ConfigProto(device_count={"CPU": 2})
    workers, ps = local_cluster(1, 0, worker_config=config)
    assert ps == []
    assert sorted(tf.train.ClusterSpec(workers[0].server_def.cluster).as_dict()) == ["worker"]
    with tf.Graph().as_default():
        with tf.Session(workers[0].target) as sess:
            names = {d.name for d in sess.list_devices()}
    assert "/job:worker/replica:0/task:0/device:CPU:1" in names


def test_two_clusters_get_distinct_addresses(local_cluster):
    first, _ = local_cluster(1, 1)
    second, _ = local_cluster(1, 1)
    assert first[0].target != second[0].target
