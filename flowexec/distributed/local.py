"""The in-process backend: every task of a cluster is a `LocalTask` of this process.

A `tf.train.Server` started without another backend registers its task under its address
("localhost:2222") in this process's table; `tf.Session("grpc://localhost:2222")` and the
other tasks' `_Send`s find it there. No socket is opened: addresses are names. Each task
runs its parts' steps on a thread pool of its own, so the tasks of a step run at once.

`LocalTask.stop()` is what a lost process is to a real cluster: calls in flight and later
ones raise UnavailableError, the `_Recv`s waiting in it wake with that error, its state is
gone, and its address is free for a new server (a restarted task, with new incarnations).

Thread-safety: the address table is guarded by a lock; a LocalTask is as thread-safe as
its TaskRuntime.
"""

import concurrent.futures
import threading

from flowexec.distributed import task as task_mod

_lock = threading.Lock()
_servers = {}         # normalized address -> LocalTask
_HOST_ALIASES = {"127.0.0.1": "localhost", "0.0.0.0": "localhost", "[::1]": "localhost",
                 "::1": "localhost"}
# Per task: threads are made only when none is idle, so this bounds nothing in practice; a
# small bound could deadlock steps whose parts wait for each other across tasks.
_MAX_CONCURRENT_STEPS = 1024


def normalize_address(address):
    """"127.0.0.1:2222" -> "localhost:2222" (the same server)."""
    host, sep, port = address.rpartition(":")
    if not sep:
        return address
    return f"{_HOST_ALIASES.get(host, host)}:{port}"


def lookup(address):
    """The LocalTask serving `address`, or None."""
    with _lock:
        return _servers.get(normalize_address(address))


def free_port_address(host="localhost"):
    """An address "host:<port>" no in-process server uses (for "localhost:0")."""
    return free_port_addresses(1, host)[0]


def free_port_addresses(n, host="localhost"):
    """`n` distinct addresses "host:<port>" no in-process server uses."""
    out = []
    with _lock:
        port = 20000
        while len(out) < n:
            if f"{host}:{port}" not in _servers:
                out.append(f"{host}:{port}")
            port += 1
    return out


class LocalTask(task_mod.TaskServer):
    """A task of this process (see the module docstring).

    Args:
        cluster: the ClusterSpec.
        job, task_index: which task it is.
        address: its address (as in the cluster, or chosen for port 0).
        runtime_factory: `factory(local_task) -> TaskRuntime`.
    """

    in_process = True   # its runtime is this process's: a session here never hosts a copy

    def __init__(self, cluster, job, task_index, address, runtime_factory):
        self.cluster = cluster
        self.job = job
        self.task_index = task_index
        self.task = task_mod.task_name(job, task_index)
        self.address = address
        self._pool = concurrent.futures.ThreadPoolExecutor(
            _MAX_CONCURRENT_STEPS, thread_name_prefix=f"flowexec-{job}-{task_index}")
        self.runtime = runtime_factory(self)
        self.incarnation = self.runtime.incarnation
        self._started = False

    # ----- lifecycle -------------------------------------------------------------------------
    def start(self):
        """Registers the task under its address (idempotent).

        Raises:
            UnknownError: another live server of this process has the address.
        """
        from flowexec.framework import errors
        key = normalize_address(self.address)
        with _lock:
            other = _servers.get(key)
            if other is self:
                return
            if other is not None:
                raise errors.UnknownError(
                    None, None, f"Could not start gRPC server: address {self.address} is "
                                f"already in use by {other.task}")
            _servers[key] = self
        self._started = True

    def stop(self):
        """The task goes away (see the module docstring)."""
        self.runtime.stop(task_mod.unavailable(self.task, self.address, "it has stopped"))
        with _lock:
            if _servers.get(normalize_address(self.address)) is self:
                del _servers[normalize_address(self.address)]
        self._pool.shutdown(wait=False)

    @property
    def stopped(self):
        return self.runtime.stopped is not None

    def peer(self, task):
        """The TaskServer of another task of the cluster (UnavailableError when it is not
        running)."""
        job, index = parse_task(task)
        address = self.cluster.task_address(job, index)
        server = lookup(address)
        if server is None or server.stopped:
            raise task_mod.unavailable(task, address, "no server is running there")
        return server

    # ----- TaskServer ------------------------------------------------------------------------
    def devices(self):
        self.health()
        return self.runtime.devices

    def register(self, part):
        from flowexec.framework import errors
        self.health()
        if part.incarnation != self.incarnation:
            raise errors.AbortedError(
                None, None, f"The plan for {self.task} was made for another incarnation of "
                            f"it; the task restarted")
        return self.runtime.register(part)

    def deregister(self, handle):
        self.runtime.deregister(handle)

    def start_run(self, handle, step_id, feeds, timeout_s=None, trace=False):
        self.health()
        try:
            return task_mod.ThreadStepFuture(self._pool.submit(
                self.runtime.run, handle, step_id, feeds, timeout_s, trace))
        except RuntimeError:   # the pool was shut down: stopped meanwhile
            self.health()
            raise

    def start_talk(self, handle, step_id, feeds, timeout_s, trace, puller):
        self.health()
        try:
            return self._pool.submit(self.runtime.start_talk, handle, step_id, feeds,
                                     timeout_s, trace, puller, self._pool.submit)
        except RuntimeError:   # the pool was shut down: stopped meanwhile
            self.health()
            raise

    def talk(self, step_id, puller, items, timeout_s):
        self.health()
        try:
            return self._pool.submit(self.runtime.talk, step_id, puller, items, timeout_s)
        except RuntimeError:
            self.health()
            raise

    def finish_talk(self, pending, wait_s):
        try:
            return pending.result(wait_s)
        except concurrent.futures.TimeoutError:
            self.health()
            return None

    def deliver(self, step_id, items):
        self.health()
        self.runtime.deliver(step_id, items)

    def abort_step(self, step_id, error):
        if not self.stopped:
            self.runtime.abort_step(step_id, error)

    def health(self):
        self.runtime.check()

    def reset(self, containers):
        return self.runtime.reset(containers)


def parse_task(task):
    """"/job:ps/replica:0/task:1" -> ("ps", 1)."""
    fields = dict(p.split(":", 1) for p in task.strip("/").split("/"))
    return fields["job"], int(fields["task"])
