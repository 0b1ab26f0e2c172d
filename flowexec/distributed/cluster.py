"""ClusterSpec, ClusterDef, JobDef and ServerDef: what a distributed cluster is made of.

A cluster is a set of *tasks* grouped into named *jobs* ("ps", "worker"); each task has a
network address ("host:port"). `ClusterSpec` is TF's Python view of it and `ClusterDef`
(with one `JobDef` per job) the protocol-buffer form, here plain dataclasses with TF's field
names. A `ServerDef` names one task of a cluster: the one a `tf.train.Server` runs.

Everything here is plain, immutable-in-spirit data; nothing connects to anything.
"""

import dataclasses
from typing import Any, Dict, List


@dataclasses.dataclass
class JobDef:
    """`tf.train.JobDef`: one job: `name` and `tasks`, {task index: address}."""

    name: str = ""
    tasks: Dict[int, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class ClusterDef:
    """`tf.train.ClusterDef`: `job`, a list of JobDef (sorted by name when made from a
    ClusterSpec)."""

    job: List[JobDef] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class ServerDef:
    """`tf.train.ServerDef`: the cluster, this server's job and task, its protocol and the
    default ConfigProto of the sessions it serves."""

    cluster: ClusterDef = dataclasses.field(default_factory=ClusterDef)
    job_name: str = ""
    task_index: int = 0
    protocol: str = ""
    default_session_config: Any = None


def _as_text(value, what):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8")
    if isinstance(value, str):
        return value
    raise TypeError(f"{what} {value!r} must be bytes or unicode")


class ClusterSpec:
    """`tf.train.ClusterSpec`: a cluster as a set of tasks organized into jobs.

    Args:
        cluster: a dict {job name: list of addresses, or {task index: address}} (a sparse
            job), a `ClusterDef`, or another ClusterSpec.

    Raises:
        TypeError: `cluster` is none of those, a job's tasks are neither a list nor a dict,
            or a job name or address is not a string.

    Example:
        >>> cluster = tf.train.ClusterSpec({"ps": ["localhost:2222"],
        ...                                 "worker": {1: "localhost:2224"}})
        >>> cluster.jobs, cluster.num_tasks("worker"), cluster.task_address("worker", 1)
        (['ps', 'worker'], 1, 'localhost:2224')
    """

    def __init__(self, cluster):
        if isinstance(cluster, dict):
            spec = {}
            for job_name, tasks in cluster.items():
                if isinstance(tasks, (list, tuple)):
                    spec[job_name] = dict(enumerate(tasks))
                elif isinstance(tasks, dict):
                    spec[job_name] = {int(i): t for i, t in tasks.items()}
                else:
                    raise TypeError(f"The tasks for job {job_name!r} must be a list or a "
                                    f"dictionary from integers to strings.")
            self._cluster_spec = spec
            self._cluster_def = self._make_cluster_def()
        elif isinstance(cluster, (ClusterDef, ClusterSpec)):
            cluster_def = cluster if isinstance(cluster, ClusterDef) else \
                cluster.as_cluster_def()
            self._cluster_spec = {job.name: dict(job.tasks) for job in cluster_def.job}
            self._cluster_def = self._make_cluster_def()
        else:
            raise TypeError("`cluster` must be a dictionary mapping one or more job names to "
                            "lists of network addresses, or a `ClusterDef` protocol buffer")

    def _make_cluster_def(self):
        jobs = []
        for job_name, tasks in sorted(self._cluster_spec.items()):
            name = _as_text(job_name, "Job name")
            addresses = {}
            for i, address in sorted(tasks.items()):
                addresses[i] = _as_text(address, "Task address")
            jobs.append(JobDef(name, addresses))
        return ClusterDef(jobs)

    def __bool__(self):
        return bool(self._cluster_spec)

    def __eq__(self, other):
        if isinstance(other, ClusterSpec):
            other = other._cluster_spec
        return self._cluster_spec == other

    def __ne__(self, other):
        return not self == other

    __hash__ = None

    def __repr__(self):
        d = self.as_dict()
        return "ClusterSpec({" + ", ".join(f"{k!r}: {d[k]!r}" for k in sorted(d)) + "})"

    @property
    def jobs(self):
        """The job names, in the order they were given."""
        return list(self._cluster_spec)

    def _job(self, job_name):
        try:
            return self._cluster_spec[job_name]
        except KeyError:
            raise ValueError(f"No such job in cluster: {job_name!r}") from None

    def num_tasks(self, job_name):
        """How many tasks job `job_name` defines (ValueError: no such job)."""
        return len(self._job(job_name))

    def task_indices(self, job_name):
        """The sorted task indices of job `job_name` (ValueError: no such job)."""
        return sorted(self._job(job_name))

    def task_address(self, job_name, task_index):
        """The address of task `task_index` of job `job_name`.

        Raises:
            ValueError: no such job, or no task with that index in it.
        """
        job = self._job(job_name)
        try:
            return job[task_index]
        except KeyError:
            raise ValueError(f"No task with index {task_index!r} in job "
                             f"{job_name!r}") from None

    def job_tasks(self, job_name):
        """The job's addresses as a list indexed by task (None where a sparse job has no
        task)."""
        job = self._job(job_name)
        tasks = [None] * (max(job) + 1 if job else 0)
        for i, address in job.items():
            tasks[i] = address
        return tasks

    def as_dict(self):
        """{job: list of addresses} for dense jobs, {job: {index: address}} for sparse ones,
        {} for a job without tasks."""
        out = {}
        for job in self.jobs:
            indices = self.task_indices(job)
            if not indices:
                out[job] = {}
            elif max(indices) + 1 == len(indices):
                out[job] = self.job_tasks(job)
            else:
                out[job] = {i: self.task_address(job, i) for i in indices}
        return out

    def as_cluster_def(self):
        """The `ClusterDef` of this cluster (jobs sorted by name)."""
        return self._cluster_def

    def tasks(self):
        """[(job name, task index, address)] of every task, sorted (flowexec)."""
        return [(job.name, i, address) for job in self._cluster_def.job
                for i, address in sorted(job.tasks.items())]


def make_server_def(server_or_cluster_def, job_name, task_index, protocol, config):
    """The ServerDef a `tf.train.Server(...)` call describes, with TF's defaults and errors.

    A job name may be left out when the cluster has one job, a task index when the job has
    one task; the protocol defaults to "grpc".

    Raises:
        TypeError: the first argument is no ServerDef, ClusterDef, ClusterSpec or dict.
        ValueError: job name or task index left out and not implied; the job or task is
            not in the cluster.
    """
    if isinstance(server_or_cluster_def, ServerDef):
        base = server_or_cluster_def
        server_def = ServerDef(
            base.cluster,
            base.job_name if job_name is None else job_name,
            base.task_index if task_index is None else task_index,
            base.protocol if protocol is None else protocol,
            base.default_session_config if config is None else config)
    else:
        try:
            cluster = ClusterSpec(server_or_cluster_def)
        except TypeError:
            raise TypeError("Could not convert `server_or_cluster_def` to a "
                            "`tf.train.ServerDef` or `tf.train.ClusterSpec`.") from None
        if job_name is None:
            if len(cluster.jobs) != 1:
                raise ValueError("Must specify an explicit `job_name`.")
            job_name = cluster.jobs[0]
        if task_index is None:
            indices = cluster.task_indices(job_name)
            if len(indices) != 1:
                raise ValueError("Must specify an explicit `task_index`.")
            task_index = indices[0]
        server_def = ServerDef(cluster.as_cluster_def(), job_name, task_index,
                               protocol or "grpc", config)
    ClusterSpec(server_def.cluster).task_address(server_def.job_name, server_def.task_index)
    return server_def
