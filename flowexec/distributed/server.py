"""`tf.train.Server`: one task of a cluster, serving sessions in this process.

A Server owns its task's devices (this process's devices, as `ConfigProto.device_count` of
its `config` shapes them, named /job:<job>/replica:0/task:<i>/device:...) and its state:
the variables, queues and RNG states that every session connected to the cluster reads and
writes on this task. `server.target` ("grpc://localhost:2222") is what `tf.Session` takes.

Backends (the `backend` argument): in-process (`local.py`, the default without Ray): the
servers of a cluster are Server objects of one process, e.g. one per thread in a test, and
sessions find them by address. Ray (`ray_backend.py`, `pip install flowexec[ray]`): each
task is a Ray actor named after its address, so each task may be its own process
(`python trainer.py --job_name=ps --task_index=0` ... `server.join()`) and
`tf.Session("grpc://host:port")` finds it from any process of the Ray cluster. Both register
a resolver with `master.register_resolver`; sessions do not change.

Example:
    >>> cluster = tf.train.ClusterSpec({"ps": ["localhost:2222"],
    ...                                 "worker": ["localhost:2223"]})
    >>> ps = tf.train.Server(cluster, job_name="ps", task_index=0)
    >>> worker = tf.train.Server(cluster, job_name="worker", task_index=0)
    >>> with tf.device("/job:ps/task:0"):
    ...     v = tf.Variable(1.0)
    >>> with tf.Session(worker.target) as sess:
    ...     sess.run(v.initializer); sess.run(v.assign_add(1.0))
"""

import threading

from devices import local_devices, runtime_for
from flowexec.runtime import config as config_mod
from flowexec.runtime.threads import inter_op_threads
from flowexec.distributed import collective
from flowexec.distributed import local
from flowexec.distributed import master
from flowexec.distributed import ray_backend
from flowexec.distributed import task as task_mod
from flowexec.distributed.cluster import ClusterSpec, make_server_def

master.register_resolver(local.lookup)
master.register_resolver(ray_backend.resolve)


def make_task_runtime(task, address, config, peer, incarnation=None, pulls=False,
                      links=None):
    """The TaskRuntime of task `task` on this process's devices (as `config.device_count`
    shapes them), whatever backend carries its calls. `incarnation`: the task's (None: a
    new one); `pulls`: a client process's copy of the task (see `TaskRuntime`); `links`:
    `links(physical devices) -> collective.LinkBackend or None`, how its GPUs link to
    other tasks' (None: they do not)."""
    from flowexec.distributed.session import TaskSession

    threads = inter_op_threads(config)
    physical = local_devices(dict(config.device_count or {}) or None)
    backend = None if links is None else links(physical)
    devices = [task_mod.TaskDevice(f"{task}/device:{d.device_type}:{d.index}",
                                   d.device_type, d.memory_limit,
                                   task_mod.new_incarnation(), d,
                                   None if backend is None else backend.endpoint(d))
               for d in physical]
    runtimes = {td.full_name: runtime_for(td.physical, num_threads=threads)
                for td in devices}
    return task_mod.TaskRuntime(task, address, devices, runtimes, peer, TaskSession, config,
                                incarnation or task_mod.new_incarnation(), pulls, backend)


class Server:
    """`tf.train.Server(server_or_cluster_def, job_name=None, task_index=None,
    protocol=None, config=None, start=True)`.

    Args:
        server_or_cluster_def: a ServerDef, ClusterDef, ClusterSpec or dict.
        job_name: this server's job (may be left out when the cluster has one job).
        task_index: its task (may be left out when the job has one task).
        protocol: "grpc" (the default; recorded, no socket is opened).
        config: the ConfigProto of the task's devices (`device_count`, threads) and the
            default of the sessions it serves.
        start: start serving now (else `start()`).
        backend: (flowexec) "local" (in-process: the servers of a cluster are objects of
            one process), "ray" (the task is a Ray actor; `pip install flowexec[ray]`), or
            None, the default: Ray when it is importable and a Ray cluster is given
            (`RAY_ADDRESS`, `ray_address`), asked for (`FLOWEXEC_BACKEND=ray`) or already
            connected (`ray.init()` was called); else in-process.
        ray_address: (flowexec) the Ray cluster to join (implies backend "ray"). Without
            one (and no `RAY_ADDRESS`, no `ray.init()`), a Ray server starts one on
            127.0.0.1 that stops when this process's last Ray server stops.

    Raises:
        TypeError, ValueError: as `tf.train.Server` (see `cluster.make_server_def`).
        UnknownError: another server of this process already serves the address.
    """

    def __init__(self, server_or_cluster_def, job_name=None, task_index=None, protocol=None,
                 config=None, start=True, *, backend=None, ray_address=None):
        self._server_def = make_server_def(server_or_cluster_def, job_name, task_index,
                                           protocol, config)
        sd = self._server_def
        cluster = ClusterSpec(sd.cluster)
        address = cluster.task_address(sd.job_name, sd.task_index)
        host, _, port = address.rpartition(":")
        if port == "0":   # "localhost:0": any free port
            address = local.free_port_address(host or "localhost")
            spec = cluster.as_dict()
            tasks = dict(enumerate(spec[sd.job_name])) if isinstance(
                spec[sd.job_name], list) else dict(spec[sd.job_name])
            tasks[sd.task_index] = address
            spec[sd.job_name] = tasks
            cluster = ClusterSpec(spec)
        self._config = sd.default_session_config or config_mod.ConfigProto()
        self._cluster = cluster
        self._stopped = threading.Event()
        self._hosted = None     # the copy of the task that hosts this process's parts
        self._hosted_lock = threading.Lock()
        self._peers = {}        # task -> TaskServer, for the copy's `_Send`s and collects
        if ray_backend.wanted(backend if ray_address is None else backend or "ray"):
            self._task = ray_backend.RayServerTask(cluster, sd.job_name, sd.task_index,
                                                   address, self._config, ray_address)
        else:
            self._task = local.LocalTask(cluster, sd.job_name, sd.task_index, address,
                                         self._make_runtime)
        if start:
            self.start()

    def _make_runtime(self, local_task):
        return make_task_runtime(local_task.task, local_task.address, self._config,
                                 local_task.peer,
                                 links=lambda physical: collective.in_process_backend())

    def start(self):
        """Starts serving (idempotent)."""
        self._task.start()
        master.register_host(self._task.address, self)

    def hosted_runtime(self, incarnation):
        """(flowexec) The TaskRuntime in this process that runs the task's parts without
        state for this process's sessions (master.py), made on first use for the task's
        current `incarnation`; None when the task has another one now."""
        if incarnation != self._task.incarnation or self._task.stopped:
            return None
        self._peers.clear()     # a new plan: the other tasks may have restarted
        with self._hosted_lock:
            hosted = self._hosted
            if hosted is None or hosted.incarnation != incarnation:
                hosted = self._hosted = make_task_runtime(
                    self._task.task, self._task.address, self._config, self._peer,
                    incarnation, pulls=True)
            return hosted

    def _peer(self, task):
        server = self._peers.get(task)
        if server is None:
            job, index = local.parse_task(task)
            address = self._cluster.task_address(job, index)
            server = master.resolve(address)
            if server is None:
                raise task_mod.unavailable(task, address, "no server is running there")
            self._peers[task] = server
        return server

    def join(self):
        """Blocks until the server stops (`stop()`; TF's blocks forever)."""
        self._stopped.wait()

    def stop(self):
        """(flowexec) Stops the task as a lost process would: running steps that involve
        it fail with UnavailableError, its state is gone and its address is free."""
        master.unregister_host(self._task.address, self)
        self._task.stop()
        with self._hosted_lock:
            hosted, self._hosted = self._hosted, None
        if hosted is not None:
            hosted.stop(task_mod.unavailable(self._task.task, self._task.address,
                                             "it has stopped"))
        self._stopped.set()

    @property
    def server_def(self):
        """The ServerDef (cluster, job_name, task_index, protocol,
        default_session_config)."""
        return self._server_def

    @property
    def target(self):
        """"grpc://<address>": the target of a `tf.Session` that connects here."""
        return "grpc://" + self._task.address

    @property
    def task(self):
        """(flowexec) the TaskServer behind the Server."""
        return self._task

    @staticmethod
    def create_local_server(config=None, start=True):
        """A one-task cluster ({"localhost": ["localhost:0"]}) on a free address."""
        return Server({"localhost": ["localhost:0"]}, protocol="grpc", config=config,
                      start=start)
