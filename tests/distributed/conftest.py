"""In-process clusters for the distributed tests: every server is stopped afterwards."""

import itertools

import pytest

import flowexec as tf

_ports = itertools.count(31000)


def make_cluster(**jobs):
    """A ClusterSpec {job: [n fresh localhost addresses]} for `job=n` keywords."""
    return tf.train.ClusterSpec({job: [f"localhost:{next(_ports)}" for _ in range(n)]
                                 for job, n in jobs.items()})


@pytest.fixture
def cluster_servers():
    """`start(cluster, config, only)` starts a Server for every task (or those in `only`) and
    returns {(job, i): Server}."""
    started = []

    def start(cluster, config=None, only=None):
        servers = {}
        for job, index, _ in cluster.tasks():
            if only is not None and (job, index) not in only:
                continue
            servers[(job, index)] = tf.train.Server(cluster, job_name=job, task_index=index,
                                                    config=config)
            started.append(servers[(job, index)])
        return servers

    yield start
    for server in started:
        server.stop()
