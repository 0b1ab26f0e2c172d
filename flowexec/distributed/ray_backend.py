"""The Ray backend (`pip install flowexec[ray]`): each task of a cluster is a Ray actor.

A `tf.train.Server` on this backend creates one actor for its (job, task), named
"flowexec-task:<address>" in the Ray namespace "flowexec" after the task's address in the
ClusterSpec ("localhost:2222"; 127.0.0.1 and localhost are one name), with
`max_concurrency` > 1 so that the steps of several sessions, their blocking `_Recv`s and
the deliveries that wake them run at once. The actor holds a `TaskRuntime`, the same work
as the in-process backend's; this module only moves calls and values:

    client (any process of the Ray cluster)        task actor (its own worker process)
    tf.Session("grpc://localhost:2222")  -- resolve: ray.get_actor(name) --> RayTask proxy
    register(part)        --- wire.part_to_wire (plain data, no code) -->   rebuild, register
    start_run             --- .remote() -> RayStepFuture (ray.wait) --->   TaskRuntime.run
    start_talk / talk     --- the client-hosted part's calls          --->   channel turns
                              (a ps part: its two stages, on the calls' threads,
                              stages.py)
    _Sends of a step on A --- B.deliver.remote(step, [(key, value)]) --->   B's Rendezvous
                              (fire-and-forget, one call per step and pair of tasks in
                              the common case; numpy values travel out of band, through
                              the object store when large)
    health(), abort_step  --- .remote()
    a GPU array to a GPU  --- a Marker in deliver; the array through the device link's
    of another actor          NCCL group, `ray.util.collective` (collective.py)

Faults: a call to a dead actor (killed, its process or node lost) raises `RayActorError`,
reported as UnavailableError naming the task; a step's future fails at once, and a task
that stops answering `health()` within `HEALTH_TIMEOUT_S` is unavailable too, so a step
never waits past its deadline on a lost task. The actor belongs to the process that
created its Server: when that process exits (or calls `server.stop()`), the task goes.

Which Ray cluster (`connect`): the one this process is connected to (`ray.init()`), else the
one at `address` / `RAY_ADDRESS` (`ray start --head` prints it); else flowexec starts one
in this process (127.0.0.1 only, no dashboard, usage statistics off, an 80 MB object store:
`FLOWEXEC_RAY_OBJECT_STORE_BYTES`, values up to 1 MB inside the calls: `INLINE_BYTES`),
sets `RAY_ADDRESS` so the processes it starts join it, and stops it when this process's last Ray server stops (or the process exits, which
ends the tasks of the other processes on it too).

Thread-safety: the module's tables are guarded by a lock; RayTask proxies are thread-safe.
"""

import concurrent.futures
import dataclasses
import os
import threading

from flowexec.framework import errors
from flowexec.distributed import channel
from flowexec.distributed import collective
from flowexec.distributed import local as local_mod
from flowexec.distributed import task as task_mod
from flowexec.distributed import wire
from flowexec.distributed.cluster import ClusterSpec

NAMESPACE = "flowexec"
HEALTH_TIMEOUT_S = 10.0    # a task that does not answer health() this long is unavailable
CALL_TIMEOUT_S = 60.0      # register/devices calls (plan time)
MAX_CONCURRENCY = 32       # per task actor: steps of every session, and deliveries
# Values up to this size travel inside the call (Ray's default is 100 KB): a step's
# medium tensors (a 256x128 float32 kernel and its gradient) then cost no object-store
# round through the raylet (4 ms of raylet CPU per step of the CNN benchmark, gone);
# larger ones still go through the object store, zero-copy on one node.
INLINE_BYTES = 1 << 20
_TALKING_PARTS = 1024      # threads are made as needed; a small bound could deadlock steps
_lock = threading.Lock()
_state = {"started": False, "servers": 0}
_proxies = {}              # actor name -> RayTask


def available():
    """Whether Ray can be imported."""
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


def wanted(backend=None):
    """Whether a Server should run on Ray: `backend` ("ray" / "local" / None: automatic).
    Automatic means: Ray is importable and a Ray cluster is given (`RAY_ADDRESS`), asked
    for (`FLOWEXEC_BACKEND=ray`) or already connected in this process."""
    backend = backend or os.environ.get("FLOWEXEC_BACKEND") or None
    if backend == "local":
        return False
    if backend == "ray":
        if not available():
            raise ImportError("The Ray backend needs Ray: pip install 'flowexec[ray]'")
        return True
    if backend is not None:
        raise ValueError(f"Unknown backend {backend!r}: expected 'ray' or 'local'")
    if os.environ.get("RAY_ADDRESS"):
        return available()
    import sys
    ray = sys.modules.get("ray")
    return ray is not None and ray.is_initialized()


def connect(address=None):
    """Connects this process to a Ray cluster (see the module docstring); returns `ray`."""
    import ray

    with _lock:
        if ray.is_initialized():
            return ray
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        address = address or os.environ.get("RAY_ADDRESS")
        common = dict(namespace=NAMESPACE, log_to_driver=False, ignore_reinit_error=True)
        if address:
            ray.init(address=address, **common)
            return ray
        ray.init(include_dashboard=False, _node_ip_address="127.0.0.1",
                 object_store_memory=int(os.environ.get(
                     "FLOWEXEC_RAY_OBJECT_STORE_BYTES", 80 * 1024 * 1024)),
                 _system_config={"max_direct_call_object_size": INLINE_BYTES,
                                "worker_niceness": 0}, **common)
        _state["started"] = True
        # processes this one starts (a trainer's tasks) join this cluster
        os.environ["RAY_ADDRESS"] = ray.get_runtime_context().gcs_address
        return ray


def actor_name(address):
    """The Ray actor name of the task at `address`."""
    return "flowexec-task:" + local_mod.normalize_address(address)


def encode_devices(task_devices):
    """[(full name, type, memory limit, incarnation, description, link endpoint)] of
    TaskDevices."""
    return [(d.full_name, d.device_type, d.memory_limit, d.incarnation,
             d.physical_device_desc, d.endpoint) for d in task_devices]


@dataclasses.dataclass(frozen=True)
class _Described:
    physical_device_desc: str


def decode_devices(data):
    """TaskDevices of `encode_devices`'s output (`physical` describes the remote device)."""
    return tuple(task_mod.TaskDevice(name, kind, limit, inc, _Described(desc), endpoint)
                 for name, kind, limit, inc, desc, endpoint in data)


def error_data(e):
    """(class name, message) of an OpError: how a task's error crosses processes."""
    return type(e).__name__, e.message


def rebuild_error(name, message):
    """The `flowexec.errors` class `name` with `message` (UnknownError for another name)."""
    cls = getattr(errors, name, None)
    if not (isinstance(cls, type) and issubclass(cls, errors.OpError)) or \
            cls is errors.OpError:
        cls, message = errors.UnknownError, f"{name}: {message}"
    return cls(None, None, message)


def _unavailable(task, address, e):
    return task_mod.unavailable(task, address, f"{type(e).__name__}: {e}".splitlines()[0])


class _TaskActor:
    """The actor of one task (made a Ray actor class by `_actor_class`)."""

    def __init__(self, cluster, job, task_index, address, config):
        import flowexec  # noqa: F401 - registers every op in the actor's process
        from flowexec.distributed.server import make_task_runtime

        self.cluster = ClusterSpec(cluster)
        self.task = task_mod.task_name(job, task_index)
        self.address = address
        self._peers = {}
        self._talkers = None    # threads of the parts run as talks (channel.py)
        self.runtime = make_task_runtime(self.task, address, config, self._peer,
                                         links=collective.ray_backend)

    def _peer(self, task):
        peer = self._peers.get(task)
        if peer is None:
            import ray
            job, index = local_mod.parse_task(task)
            address = self.cluster.task_address(job, index)
            try:
                handle = ray.get_actor(actor_name(address), namespace=NAMESPACE)
            except ValueError:
                raise task_mod.unavailable(task, address, "no server is running there") \
                    from None
            peer = self._peers[task] = _Peer(handle)
        return peer

    def info(self):
        return self.task, self.runtime.incarnation, self.cluster.as_dict()

    def devices(self):
        return encode_devices(self.runtime.devices)

    def register(self, part):
        try:
            part = wire.part_from_wire(part)
            for node in part.graph.nodes:   # a receiver may have restarted: look it up anew
                if node.type == "_Send":
                    self._peers.pop(node.attrs["recv_task"], None)
            if part.incarnation != self.runtime.incarnation:
                raise errors.AbortedError(
                    None, None, f"The plan for {self.task} was made for another "
                                f"incarnation of it; the task restarted")
            return True, self.runtime.register(part)
        except errors.OpError as e:
            return False, error_data(e)

    def deregister(self, handle):
        self.runtime.deregister(handle)

    def run(self, handle, step_id, feeds, timeout_s, trace=False):
        try:
            return True, self.runtime.run(handle, step_id, feeds, timeout_s, trace)
        except errors.OpError as e:
            return False, error_data(e)

    def deliver(self, step_id, items):
        self.runtime.deliver(step_id, items)

    def start_talk(self, handle, step_id, feeds, timeout_s, trace, puller):
        """Starts the part's talk: its first stage here, or the part on a thread of the
        actor (TaskRuntime.start_talk); answers its first turn."""
        try:
            return True, self.runtime.start_talk(handle, step_id, feeds, timeout_s, trace,
                                                 puller, self._talker)
        except errors.OpError as e:
            return False, error_data(e)

    def _talker(self, fn, *args):
        if self._talkers is None:
            self._talkers = concurrent.futures.ThreadPoolExecutor(
                _TALKING_PARTS, thread_name_prefix="flowexec-talk")
        self._talkers.submit(fn, *args)

    def talk(self, step_id, puller, items, timeout_s):
        try:
            return True, self.runtime.talk(step_id, puller, items, timeout_s)
        except errors.OpError as e:
            return False, error_data(e)

    def abort_step(self, step_id, name, message):
        self.runtime.abort_step(step_id, rebuild_error(name, message))

    def health(self):
        self.runtime.check()
        return self.runtime.incarnation

    def reset(self, containers):
        return self.runtime.reset(containers)

    def delivery_counts(self):
        """{rendezvous key: deliveries} over all steps (for tests)."""
        return dict(self.runtime.rendezvous.delivery_counts())

    def close_links(self):
        """Leaves the task's device-link groups (Ray keeps each NCCL group's id in a
        detached actor until its rank 0 leaves); called before the actor is killed."""
        self.runtime.links.close(task_mod.unavailable(self.task, self.address,
                                                      "it has stopped"))
        return bool(self.runtime.links.counts())


class _Peer:
    """Another task as a task's `_Send` sees it: `deliver` is fire-and-forget."""

    def __init__(self, handle):
        self._handle = handle

    def deliver(self, step_id, items):
        self._handle.deliver.remote(step_id, items)


_actor_cls = []


def _actor_class():
    import ray
    if not _actor_cls:
        # No task events: Ray would record each call's states for its dashboard and state
        # API (a buffer thread in the caller and the actor, reports to the GCS): two calls
        # a step and task. flowexec's own step stats (RunMetadata) trace the steps; Ray
        # Serve leaves task events off on its actors for the same reason.
        _actor_cls.append(ray.remote(num_cpus=0, max_concurrency=MAX_CONCURRENCY,
                                     enable_task_events=False)(_TaskActor))
    return _actor_cls[0]


class RayStepFuture(task_mod.StepFuture):
    """A task actor's part of one step: the ObjectRef of its `run` call (waited for with
    `ray.wait`/`ray.get`, no thread of this process in between)."""

    __slots__ = ("ref", "task", "step_id", "trace", "_value", "_error", "_done")

    def __init__(self, ref, task, step_id, trace):
        self.ref, self.task, self.step_id, self.trace = ref, task, step_id, trace
        self._done = False
        self._value = self._error = None

    def done(self):
        if not self._done:
            import ray
            ready, _ = ray.wait([self.ref], timeout=0)
            if ready:
                self._settle(0)
        return self._done

    def _settle(self, timeout):
        import ray
        try:
            ok, value = ray.get(self.ref, timeout=timeout)
        except ray.exceptions.GetTimeoutError:
            raise concurrent.futures.TimeoutError() from None
        except ray.exceptions.RayActorError as e:
            self._error = _unavailable(self.task.task, self.task.address, e)
        except Exception as e:   # noqa: BLE001 - any other Ray failure of the call
            self._error = errors.UnknownError(
                None, None, f"Step {self.step_id} on {self.task.task}: "
                            f"{type(e).__name__}: {e}")
        else:
            if ok:
                self._value = tuple(value) if self.trace else value
            else:
                self._error = rebuild_error(*value)
        self._done = True

    def result(self, timeout=None):
        if not self._done:
            self._settle(timeout)
        if self._error is not None:
            raise self._error
        return self._value

    @classmethod
    def wait(cls, futures, timeout):
        import ray
        waiting = {f.ref: f for f in futures if not f._done}
        if len(waiting) < len(futures):
            return {f for f in futures if f._done}
        ready, _ = ray.wait(list(waiting), num_returns=1, timeout=timeout)
        done = set()
        for ref in ready:
            waiting[ref]._settle(0)
            done.add(waiting[ref])
        return done


class RayTask(task_mod.TaskServer):
    """A task actor as the master sees it (any process of the Ray cluster)."""

    in_process = False   # a session in the Server's own process hosts its portable parts

    def __init__(self, handle, address):
        import ray
        self._handle = handle
        self.address = address
        try:
            self.task, self.incarnation, cluster = ray.get(handle.info.remote(),
                                                           timeout=CALL_TIMEOUT_S)
        except (ray.exceptions.RayActorError, ray.exceptions.GetTimeoutError) as e:
            raise _unavailable(actor_name(address), address, e) from None
        self.cluster = ClusterSpec(cluster)
        self._devices = None

    def _get(self, ref, timeout=CALL_TIMEOUT_S):
        import ray
        try:
            return ray.get(ref, timeout=timeout)
        except (ray.exceptions.RayActorError, ray.exceptions.GetTimeoutError) as e:
            raise _unavailable(self.task, self.address, e) from None

    def devices(self):
        if self._devices is None:
            self._devices = decode_devices(self._get(self._handle.devices.remote()))
        return self._devices

    def register(self, part):
        if part.incarnation != self.incarnation:
            raise errors.AbortedError(
                None, None, f"The plan for {self.task} was made for another incarnation of "
                            f"it; the task restarted")
        ok, value = self._get(self._handle.register.remote(wire.part_to_wire(part)))
        if not ok:
            raise rebuild_error(*value)
        return value

    def deregister(self, handle):
        try:
            self._handle.deregister.remote(handle)
        except Exception:   # noqa: BLE001 - the task is gone: nothing left to forget
            pass

    def start_run(self, handle, step_id, feeds, timeout_s=None, trace=False):
        return RayStepFuture(self._handle.run.remote(handle, step_id, list(feeds), timeout_s,
                                                     trace), self, step_id, trace)

    def start_talk(self, handle, step_id, feeds, timeout_s, trace, puller):
        return self._handle.start_talk.remote(handle, step_id, list(feeds), timeout_s, trace,
                                              puller)

    def talk(self, step_id, puller, items, timeout_s):
        return self._handle.talk.remote(step_id, puller, items, timeout_s)

    def finish_talk(self, pending, wait_s):
        import ray
        try:
            ok, value = ray.get(pending, timeout=wait_s)
        except ray.exceptions.GetTimeoutError:
            return None
        except ray.exceptions.RayActorError as e:
            raise _unavailable(self.task, self.address, e) from None
        if not ok:
            raise rebuild_error(*value)
        return value

    def deliver(self, step_id, items):
        self._handle.deliver.remote(step_id, items)

    def abort_step(self, step_id, error):
        self._handle.abort_step.remote(step_id, *error_data(error))

    def health(self):
        incarnation = self._get(self._handle.health.remote(), HEALTH_TIMEOUT_S)
        if incarnation != self.incarnation:
            raise task_mod.unavailable(self.task, self.address, "it restarted")

    def reset(self, containers):
        return self._get(self._handle.reset.remote(containers), HEALTH_TIMEOUT_S)

    def delivery_counts(self):
        """{rendezvous key: deliveries} in the task (for tests)."""
        return self._get(self._handle.delivery_counts.remote())


def resolve(address):
    """The RayTask of the task at `address`, or None (no Ray here, or no such actor)."""
    import sys
    ray = sys.modules.get("ray")
    if ray is None or not ray.is_initialized():
        if not os.environ.get("RAY_ADDRESS") or not available():
            return None
        ray = connect()
    name = actor_name(address)
    try:
        handle = ray.get_actor(name, namespace=NAMESPACE)
    except ValueError:
        with _lock:
            _proxies.pop(name, None)
        return None
    with _lock:
        proxy = _proxies.get(name)
        if proxy is not None and proxy._handle._actor_id == handle._actor_id:
            return proxy
    try:
        proxy = RayTask(handle, address)
    except errors.UnavailableError:
        return None
    with _lock:
        _proxies[name] = proxy
    return proxy


class RayServerTask:
    """The task a `tf.train.Server` runs on Ray: creates, owns and stops its actor.

    Args:
        cluster: the ClusterSpec.
        job, task_index: which task.
        address: its address.
        config: the server's ConfigProto (sent to the actor as data).
        ray_address: the Ray cluster to use (None: see `connect`).
    """

    def __init__(self, cluster, job, task_index, address, config, ray_address=None):
        self.cluster = cluster
        self.job, self.task_index = job, task_index
        self.task = task_mod.task_name(job, task_index)
        self.address = address
        self._config = config
        self._ray_address = ray_address
        self._handle = None
        self._proxy = None

    def start(self):
        """Creates the actor (idempotent).

        Raises:
            UnknownError: another live server of the Ray cluster has the address.
        """
        if self._handle is not None:
            return
        ray = connect(self._ray_address)
        name = actor_name(self.address)
        try:
            handle = _actor_class().options(name=name, namespace=NAMESPACE).remote(
                self.cluster.as_dict(), self.job, self.task_index, self.address,
                self._config)
        except ValueError:
            raise errors.UnknownError(
                None, None, f"Could not start gRPC server: address {self.address} is "
                            f"already in use by another task of the Ray cluster") from None
        with _lock:
            _state["servers"] += 1
        self._handle = handle
        self._proxy = RayTask(handle, self.address)
        self.incarnation = self._proxy.incarnation

    def stop(self):
        """Kills the actor (steps that involve it fail with UnavailableError); the last
        Ray server of a process that started Ray itself stops that Ray cluster."""
        if self._handle is None:
            return
        import ray
        handle, self._handle = self._handle, None
        try:
            linked = any(d.endpoint for d in self._proxy.devices())
        except errors.OpError:   # already gone
            linked = False
        if linked:   # it may hold device-link groups
            try:
                ray.get(handle.close_links.remote(), timeout=CALL_TIMEOUT_S)
            except Exception:   # noqa: BLE001 - gone or stuck: killed all the same
                pass
        try:
            ray.kill(handle, no_restart=True)
        except Exception:   # noqa: BLE001 - already gone
            pass
        with _lock:
            _proxies.pop(actor_name(self.address), None)
            _state["servers"] -= 1
            last = _state["servers"] == 0 and _state["started"]
        if last:
            ray.shutdown()
            _state["started"] = False

    @property
    def stopped(self):
        return self._handle is None

    @property
    def proxy(self):
        """The RayTask of the running actor."""
        return self._proxy

    @property
    def actor(self):
        """The Ray actor handle (e.g. for `ray.kill` in tests)."""
        return self._handle
