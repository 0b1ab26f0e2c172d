"""ClusterSpec and ServerDef: TF's forms, accessors and errors."""

import pytest

import flowexec as tf
from flowexec.distributed.cluster import make_server_def


def test_cluster_spec_from_dict_lists_and_sparse_jobs():
    c = tf.train.ClusterSpec({"worker": {1: "w1:2222", 3: "w3:2222"},
                              "ps": ["ps0:2222", "ps1:2222"]})
    assert c.jobs == ["worker", "ps"]
    assert c.num_tasks("worker") == 2 and c.num_tasks("ps") == 2
    assert c.task_indices("worker") == [1, 3]
    assert c.task_address("worker", 3) == "w3:2222"
    assert c.job_tasks("worker") == [None, "w1:2222", None, "w3:2222"]
    assert c.as_dict() == {"worker": {1: "w1:2222", 3: "w3:2222"},
                           "ps": ["ps0:2222", "ps1:2222"]}
    assert repr(c) == ("ClusterSpec({'ps': ['ps0:2222', 'ps1:2222'], "
                       "'worker': {1: 'w1:2222', 3: 'w3:2222'}})")
    assert [j.name for j in c.as_cluster_def().job] == ["ps", "worker"]


def test_cluster_spec_round_trips_through_cluster_def_and_itself():
    c = tf.train.ClusterSpec({"ps": ["a:1"], "worker": ["b:1", "c:1"]})
    assert tf.train.ClusterSpec(c.as_cluster_def()) == c
    assert tf.train.ClusterSpec(c) == c
    assert c == {"ps": {0: "a:1"}, "worker": {0: "b:1", 1: "c:1"}}
    assert c != tf.train.ClusterSpec({"ps": ["a:1"]})
    assert bool(c) and not bool(tf.train.ClusterSpec({}))
    assert tf.train.ClusterSpec({"empty": []}).as_dict() == {"empty": {}}


def test_cluster_spec_errors_are_tfs():
    with pytest.raises(TypeError, match="must be a dictionary mapping one or more job"):
        tf.train.ClusterSpec(["a:1"])
    with pytest.raises(TypeError, match="The tasks for job 'ps' must be a list"):
        tf.train.ClusterSpec({"ps": "a:1"})
    with pytest.raises(TypeError, match="Task address 3 must be bytes or unicode"):
        tf.train.ClusterSpec({"ps": [3]})
    with pytest.raises(TypeError, match="Job name 1 must be bytes or unicode"):
        tf.train.ClusterSpec({1: ["a:1"]})
    c = tf.train.ClusterSpec({"ps": ["a:1"]})
    with pytest.raises(ValueError, match="No such job in cluster: 'worker'"):
        c.num_tasks("worker")
    with pytest.raises(ValueError, match="No task with index 2 in job 'ps'"):
        c.task_address("ps", 2)


def test_server_def_defaults_and_errors():
    sd = make_server_def({"local": ["localhost:1"]}, None, None, None, None)
    assert (sd.job_name, sd.task_index, sd.protocol) == ("local", 0, "grpc")
    two = {"ps": ["a:1"], "worker": ["b:1", "c:1"]}
    with pytest.raises(ValueError, match="Must specify an explicit `job_name`."):
        make_server_def(two, None, None, None, None)
    with pytest.raises(ValueError, match="Must specify an explicit `task_index`."):
        make_server_def(two, "worker", None, None, None)
    with pytest.raises(TypeError, match="Could not convert `server_or_cluster_def`"):
        make_server_def(42, None, None, None, None)
    with pytest.raises(ValueError, match="No task with index 5 in job 'worker'"):
        make_server_def(two, "worker", 5, None, None)
    again = make_server_def(sd, None, None, "grpc+verbs", None)
    assert (again.job_name, again.protocol) == ("local", "grpc+verbs")
