"""flowexec.distributed: clusters of tasks, `tf.train.Server`, sessions on a cluster.

    cluster.py      ClusterSpec, ClusterDef, JobDef, ServerDef (plain data, TF's errors)
    server.py       tf.train.Server: one task (devices + state) of a cluster
    task.py         the TaskServer interface every backend implements, and TaskRuntime,
                    the work inside a task (register a plan part once, run it per step)
    local.py        the in-process backend (threads; always available)
    ray_backend.py  the Ray backend (`flowexec[ray]`): one Ray actor per task, named after
                    its address; parts, devices and errors cross processes as plain data
    rendezvous.py   TF-keyed, exactly-once delivery of cross-task tensors within a step
    channel.py      how a task's `_Send`s and `_Recv`s reach the other tasks of a step
    collective.py   device links: GPU arrays from GPU to GPU across tasks (NCCL groups
                    of `ray.util.collective`)
    split_conds.py  a tf.cond changing the state of several tasks, split into one If
                    per task slice
    remote_reads.py functions reading another task's variables read them by value
    split.py        partition a placed plan by task (`_Send`/`_Recv` pairs)
    wire.py         a task part as plain data, for a task in another process
    master.py       what `tf.Session("grpc://host:port")` does: place over the cluster,
                    register parts, one call per task per step, failures and deadlines
    session.py      TaskSession: the session a task's kernels see

Importing this package makes `tf.Session` accept "grpc://" targets.
"""

from flowexec.distributed.cluster import ClusterDef, ClusterSpec, JobDef, ServerDef
from flowexec.distributed.master import connect as _connect
from flowexec.distributed.master import reset as _reset
from flowexec.distributed.server import Server
from flowexec.runtime.session import register_target_handler

register_target_handler("grpc://", _connect, _reset)

__all__ = ["ClusterDef", "ClusterSpec", "JobDef", "Server", "ServerDef"]
