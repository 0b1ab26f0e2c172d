"""The task-server interface: what one (job, task) of a cluster does for the sessions.

A task server owns its devices and its state (variables, queues, RNG states): one state
per task, shared by every session that connects, as a TensorFlow parameter server holds
variables across clients. A backend implements `TaskServer` for one transport:

* `flowexec.distributed.local.LocalTask`: in-process, threads (always available; tests).
* a Ray backend (optional extra): one Ray actor per (job, task), created with
  `max_concurrency` > 1 (several sessions' steps, and a blocking `_Recv`, at once), named
  after the task's address in the ClusterSpec so that `grpc://host:port` resolves to it;
  its methods are this interface's, called with `.remote()`; `start_run` returns a
  StepFuture of the call's ObjectRef; `deliver` is fire-and-forget from the sender's actor; a dead actor
  (RayActorError) is reported as UnavailableError.

Both wrap the same `TaskRuntime`, which does the work inside the task; a backend only moves
calls and values. Protocol per session and plan (see master.py):

    devices()                       once, when a session is created
    register(part) -> handle        once per plan and task (a `split.TaskPart`)
    start_run(handle, step_id, feeds, timeout_s, trace) -> Future of [fetched numpy
                                    values] (traced: and the part's step stats, as plain
                                    data); once per step and task; all at once
    start_talk / talk / finish_talk a part that sends to a client-hosted part (pulled_by)
                                    runs as a talk of the client's calls (channel.py)
    deliver(step_id, items)         called by the *sending* task (push) with the
                                    [(key, value)] its `_Send`s of the step made for
                                    that task since it last delivered; exactly once per
                                    key and step (rendezvous.py); a device link's
                                    Markers among them (collective.py)
    abort_step(step_id, error)      the master failed the step: wake waiting `_Recv`s
    health()                        raises UnavailableError when the task is gone
    reset(containers)               tf.Session.reset: drop the containers' resources
    deregister(handle)              the session closed

A part in another process: a `TaskPart` holds IR nodes whose `origin` are the client's
Operations; a backend sends `wire.part_to_wire(part)` (plain, picklable data) and the task
registers `wire.part_from_wire(data)`. Errors cross back without their Operation; the
master restores it.
"""

import abc
import collections
import concurrent.futures
import dataclasses
import itertools
import random
import threading
import time

import numpy as np

from flowexec.framework import errors, resources
from flowexec.ops.sendrecv_ops import CHANNEL
from flowexec.runtime import partition as partition_mod
from flowexec.runtime.bind import bind
from flowexec.runtime.cancellation import CancellationManager
from flowexec.runtime.context import current_step
from flowexec.runtime.execute import LaneTails, execute_in_order, execute_parallel
from flowexec.runtime.fetch import to_numpy
from flowexec.runtime.schedule import schedule
from flowexec.runtime.stats import step_stats
from flowexec.distributed import stages as stages_mod
from flowexec.distributed import tracing
from flowexec.distributed.channel import TaskChannel, turn_wait
from flowexec.distributed.collective import LINK_ITEMS, DeviceLinks
from flowexec.distributed.rendezvous import Rendezvous


@dataclasses.dataclass(frozen=True)
class TaskDevice:
    """One device of a task, named with its job and task (what `Session.list_devices()`
    and placement see).

    Attributes:
        full_name: e.g. "/job:worker/replica:0/task:1/device:GPU:0".
        device_type: "CPU" or "GPU".
        memory_limit: bytes.
        incarnation: random, non-zero, new each time the task starts.
        physical: the local `devices.DeviceAttributes` it runs on (in the task's process).
        endpoint: where a device link can reach it (`collective.LinkBackend.endpoint`),
            or None: its tensors cross tasks through host memory.
    """

    full_name: str
    device_type: str
    memory_limit: int
    incarnation: int
    physical: object = dataclasses.field(default=None, compare=False, repr=False)
    endpoint: object = dataclasses.field(default=None, compare=False)

    @property
    def name(self):
        return self.full_name

    @property
    def index(self):
        return int(self.full_name.rsplit(":", 1)[1])

    @property
    def physical_device_desc(self):
        return getattr(self.physical, "physical_device_desc", "")


def task_name(job, task_index):
    """"/job:<job>/replica:0/task:<index>"."""
    return f"/job:{job}/replica:0/task:{task_index}"


def new_incarnation():
    """A random non-zero 64-bit number."""
    value = 0
    while value == 0:
        value = random.getrandbits(64)
    return value


def unavailable(task, address, why):
    return errors.UnavailableError(
        None, None, f"Task {task} at {address} is unavailable: {why}")


class TaskServer(abc.ABC):
    """One task of a cluster, as the master and the other tasks see it (module docstring).

    Attributes:
        task: its name, "/job:ps/replica:0/task:0".
        address: its address in the ClusterSpec, "localhost:2222".
        incarnation: changes when the task is started again.
    """

    task: str
    address: str
    incarnation: int

    @abc.abstractmethod
    def devices(self):
        """The task's `TaskDevice`s."""

    @abc.abstractmethod
    def register(self, part):
        """Prepares a `TaskPart` (partitions it by device, schedules and binds it) and
        returns its handle. AbortedError when the part was made for another incarnation."""

    @abc.abstractmethod
    def deregister(self, handle):
        """Forgets a registered part."""

    @abc.abstractmethod
    def start_run(self, handle, step_id, feeds, timeout_s=None, trace=False):
        """Starts step `step_id` of a registered part with the client feeds' values;
        returns a `StepFuture` of the fetched numpy values (or the step's OpError).
        `timeout_s`: the time left to the step (None: no deadline). With `trace`, the
        future's value is (values, TaskTrace) (`tracing.py`)."""

    @abc.abstractmethod
    def start_talk(self, handle, step_id, feeds, timeout_s, trace, puller):
        """Starts step `step_id` of a registered part as a talk with the task `puller`
        (channel.py; the part has `pulled_by`); returns the pending answer of its first
        turn (for `finish_talk`)."""

    @abc.abstractmethod
    def talk(self, step_id, puller, items, timeout_s):
        """Delivers `items` ([(key, value)]) `puller` sent in step `step_id` and asks for
        the next turn (waiting there at most `timeout_s`); a pending answer."""

    @abc.abstractmethod
    def finish_talk(self, pending, wait_s):
        """The answer (state, items, result) of a talk call (`TaskChannel.turn`), or
        None when it has not come within `wait_s` seconds (ask again, same `pending`).

        Raises:
            The part's OpError; UnavailableError when the task is gone.
        """

    @abc.abstractmethod
    def deliver(self, step_id, items):
        """Receives tensors another task sent in step `step_id`: [(key, value)]."""

    @abc.abstractmethod
    def abort_step(self, step_id, error):
        """Fails step `step_id` here: waiting receivers raise `error`."""

    @abc.abstractmethod
    def health(self):
        """Returns when the task is alive; raises UnavailableError when it is gone."""

    @abc.abstractmethod
    def reset(self, containers):
        """Drops the resources of `containers` (None: the default container) from the
        task's state (`tf.Session.reset`); returns how many."""


class StepFuture(abc.ABC):
    """A task's part of one step, started by `TaskServer.start_run`."""

    @abc.abstractmethod
    def done(self):
        """Whether the part has finished (its result or error is there)."""

    @abc.abstractmethod
    def result(self, timeout=None):
        """The part's fetched values; raises its OpError, or
        `concurrent.futures.TimeoutError` when it has not finished within `timeout`."""

    @classmethod
    def wait(cls, futures, timeout):
        """Blocks until one of `futures` (all of this class) is done or `timeout` passes;
        returns the done ones."""
        deadline = time.monotonic() + timeout
        while True:
            done = {f for f in futures if f.done()}
            if done or time.monotonic() >= deadline:
                return done
            time.sleep(0.001)


class ThreadStepFuture(StepFuture):
    """A StepFuture of a part running on a thread of this process."""

    __slots__ = ("future",)

    def __init__(self, future):
        self.future = future

    def done(self):
        return self.future.done()

    def result(self, timeout=None):
        return self.future.result(timeout)

    @classmethod
    def wait(cls, futures, timeout):
        by_future = {f.future: f for f in futures}
        done, _ = concurrent.futures.wait(list(by_future), timeout,
                                          concurrent.futures.FIRST_COMPLETED)
        return {by_future[f] for f in done}


def wait_first(futures, timeout):
    """The done ones of `futures` (StepFutures of any backend) once one is done or
    `timeout` has passed."""
    kinds = {type(f) for f in futures}
    if len(kinds) == 1:
        return kinds.pop().wait(futures, timeout)
    return StepFuture.wait.__func__(StepFuture, futures, timeout)


class _TaskStep:
    """One step running in a task: cancelled when the master aborts it or its deadline
    passes (what `KernelContext.step_cancelled()` reads through `current_step.run`)."""

    __slots__ = ("deadline", "cancellation")

    def __init__(self, deadline):
        self.deadline = deadline
        self.cancellation = CancellationManager()

    @property
    def cancelled(self):
        return self.cancellation.is_cancelled or (
            self.deadline is not None and time.monotonic() > self.deadline)

    def cancel(self):
        self.cancellation.start_cancel()


class _Registered:
    __slots__ = ("part", "plan", "feed_slots", "straight", "batch", "pulled", "stages")


# Op types with these words wait for other steps (TaskChannel: no batched sends there).
_BLOCKING_WORDS = frozenset(("Queue", "Accumulator", "Barrier"))


def _words(op_type):
    """"QueueDequeueV2" -> {"Queue", "Dequeue", "V2"} (its capitalized words)."""
    import re
    return set(re.findall(r"[A-Z][a-z]+", op_type))


class TaskRuntime:
    """The work of one task, whatever the transport: its devices, runtimes and shared
    state, its registered parts, and running them.

    A part runs on the calling thread, in its order (straight-line code when it has no
    GPU streams; else the interpreted executor on one thread), which keeps a step free of
    deadlocks (split.py). A part that talks with a client-hosted part (channel.py) runs
    on a thread of its own, or, when it can (a ps part: variables out, gradients in), in
    two stages on the puller's two calls (stages.py). Thread-safe: each `run` keeps its
    values to itself; many steps (of many sessions) may run at once.

    Args:
        task: the task's name.
        address: its address.
        devices: its TaskDevices.
        runtimes: {full device name: devices.Runtime}.
        peer: `peer(task name) -> TaskServer` for `_Send`.
        session_factory: `factory(task_runtime) -> session` used as the KernelContexts'
            session (function graphs, cancellation); see `session.TaskSession`.
        config: the server's default ConfigProto.
        incarnation: the task's incarnation.
        pulls: the runtime is a client process's copy of the task (master.py): nothing
            can push to it, so its `_Recv`s collect their values from the senders
            (`TaskChannel(pulls=True)`).
        links: the `collective.LinkBackend` joining its GPUs to other tasks', or None.
    """

    def __init__(self, task, address, devices, runtimes, peer, session_factory, config,
                 incarnation, pulls=False, links=None):
        self.task = task
        self.incarnation = incarnation
        self.address = address
        self.devices = tuple(devices)
        self.runtimes = dict(runtimes)
        self.config = config
        self.state = {}
        self.rendezvous = Rendezvous(task)
        self.channel = TaskChannel(self.rendezvous, peer, task, pulls)
        self.links = DeviceLinks(links, self.rendezvous.deliver, self._link_failed,
                                 lambda step_id, task, items: peer(task).deliver(step_id,
                                                                                 items))
        self.channel.links = self.links
        self.state[CHANNEL] = self.channel
        self.cancellation = CancellationManager()
        self.lane_tails = LaneTails()
        self.session = session_factory(self)
        self._parts = {}
        self._running = {}    # step id -> _TaskStep of the steps running here
        self._held = stages_mod.HeldSteps()   # talking parts between their stages
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._spaces = {name: partition_mod.memory_space(rt)
                        for name, rt in self.runtimes.items()}
        self.stopped = None   # the UnavailableError every call raises once stopped

    def check(self):
        if self.stopped is not None:
            raise self.stopped

    def register(self, part):
        self.check()
        g = part.graph
        for node in g.nodes:   # its device links (collective.py), opened once
            group = node.attrs.get("group") if node.type in ("_Send", "_Recv") else None
            if group:
                device = part.placement[node.name]
                self.links.open(group, 0 if node.type == "_Send" else 1,
                                self.runtimes[device], node.attrs.get("peer_gpu", 0))
        partitioned = partition_mod.partition(g, part.placement, self._spaces)
        num_streams = self.config.gpu_options.num_streams if self.config is not None else 0
        sched = schedule(partitioned, self.runtimes, 1, num_streams)
        plan = bind(partitioned, sched, self.runtimes, self.state, self.session,
                    list(range(len(g.fetches))))
        reg = _Registered()
        reg.part, reg.plan, reg.feed_slots = part, plan, plan.feed_slots
        reg.batch = not any(_BLOCKING_WORDS.intersection(_words(n.type)) for n in g.nodes)
        reg.straight = plan.straight
        reg.pulled = part.pulled_by
        reg.stages = stages_mod.talk_stages(plan, reg.pulled, reg.batch) if reg.pulled \
            else None
        with self._lock:
            handle = f"{self.task}/part:{next(self._ids)}"
            self._parts[handle] = reg
        return handle

    def deregister(self, handle):
        with self._lock:
            self._parts.pop(handle, None)

    def _registered(self, handle):
        self.check()
        reg = self._parts.get(handle)
        if reg is None:
            raise errors.AbortedError(
                None, None, f"Graph handle is not found: {handle}. Possibly, this worker "
                            f"({self.task}) just restarted.")
        return reg

    @staticmethod
    def _feed(reg, step_id, feeds):
        vals = [None] * reg.plan.nslots
        slots = reg.feed_slots
        vals[slots[0]] = step_id
        for slot, value in zip(slots[1:], feeds):
            vals[slot] = value
        return vals

    def _start_step(self, reg, step_id, timeout_s, watch=None):
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        step = _TaskStep(deadline)
        with self._lock:
            self._running[step_id] = step
        self.channel.start_step(step_id, deadline, reg.batch, reg.pulled, watch)
        return step

    def _enter(self, step, step_id):
        """Makes `step` the calling thread's step; returns what to restore after it."""
        outer = getattr(current_step, "run", None), getattr(current_step, "before_wait", None)
        current_step.run = step   # blocking kernels (queues) poll `step.cancelled`
        current_step.before_wait = lambda: self.channel.flush(step_id)
        return outer

    def _failed(self, step_id, e):
        self.rendezvous.abort(step_id, errors.AbortedError(
            None, None, f"Step {step_id} failed on {self.task}: {type(e).__name__}"))
        self.channel.abort(step_id)

    def _end_step(self, step_id):
        with self._lock:
            self._running.pop(step_id, None)
        self.channel.end_step(step_id)

    def run(self, handle, step_id, feeds, timeout_s=None, trace=False, watch=None):
        """Runs one step of a registered part; returns the fetched values (numpy), or
        with `trace` (values, TaskTrace): the part's step stats (tracing.py). `watch()`:
        raises when the step failed elsewhere (polled while a pulling `_Recv` waits)."""
        started = time.time()
        reg = self._registered(handle)
        plan = reg.plan
        vals = self._feed(reg, step_id, feeds)
        step = self._start_step(reg, step_id, timeout_s, watch)
        outer = self._enter(step, step_id)
        try:
            aborted = self.rendezvous.aborted(step_id)
            if aborted is not None:
                raise aborted
            if reg.straight is not None and not trace:
                try:
                    with np.errstate(all="ignore"):
                        results = reg.straight.fn(vals)
                except Exception as e:
                    raise self.session._straight_error(reg.straight, plan, e) from None
            else:
                perf_deadline = None if timeout_s is None else time.perf_counter() + timeout_s
                wall0, perf0 = time.time(), time.perf_counter()
                if reg.straight is not None:   # traced: the same order, timed per step
                    record = execute_in_order(plan, vals, trace)
                else:
                    record = execute_parallel(plan, vals, 1, perf_deadline, trace,
                                              self.lane_tails, step.cancellation)
                results = [None if s is None else vals[s] for s in plan.fetch_slots]
            self.channel.flush(step_id, final=True)
        except errors.OpError as e:
            self._failed(step_id, e)
            raise
        finally:
            current_step.run, current_step.before_wait = outer
            self._end_step(step_id)
        self.check()
        values = [to_numpy(v) for v in results]
        if not trace:
            return values
        stats = tracing.encode(step_stats(plan, record, wall0, perf0))
        return values, (started, time.time(), stats)

    def start_talk(self, handle, step_id, feeds, timeout_s, trace, puller, spawn):
        """Starts a part's talk with `puller` (channel.py); returns its first turn. A part
        that runs in two stages (stages.py) runs its first here, on the calling thread;
        any other, and a traced step, runs on another thread: `spawn(fn, *args)`."""
        reg = self._registered(handle)
        if reg.stages is None or trace or puller not in reg.pulled:
            spawn(self.run_talking, handle, step_id, feeds, timeout_s, trace, puller)
            return self.channel.turn(step_id, puller, turn_wait(timeout_s))
        vals = self._feed(reg, step_id, feeds)
        held = stages_mod.Held(reg, vals, self._start_step(reg, step_id, timeout_s), puller)
        if self._run_stage(held, step_id, False):
            for dropped_id, dropped, error in self._held.hold(step_id, held):
                self._drop(dropped_id, dropped, error)
        return self.channel.turn(step_id, puller, 0)   # the values sent, or the error

    def _run_stage(self, held, step_id, second):
        """Runs a stage of a held step. At the second's end, or when one fails, the step
        ends here and its outcome is told to the puller's turn; returns whether it ran."""
        reg = held.reg
        outer = self._enter(held.step, step_id)
        try:
            aborted = self.rendezvous.aborted(step_id)
            if aborted is not None:
                raise aborted
            stages = reg.stages
            try:
                with np.errstate(all="ignore"):
                    results = (stages.second if second else stages.first)(held.vals)
            except Exception as e:   # noqa: BLE001 - a kernel's error, named after its op
                raise self.session._straight_error(stages, reg.plan, e) from None
            self.channel.flush(step_id, final=second)
        except errors.OpError as e:
            self._failed(step_id, e)
            self._end_step(step_id)
            self.channel.finish(step_id, ("error", e), (held.puller,))
            return False
        except BaseException as e:   # noqa: BLE001 - the talk must end; the error is told
            self._end_step(step_id)
            self.channel.finish(step_id, ("error", errors.InternalError(
                None, None, f"Step {step_id} on {self.task}: {type(e).__name__}: {e}")),
                (held.puller,))
            raise
        finally:
            current_step.run, current_step.before_wait = outer
        if second:
            self._end_step(step_id)
            self.channel.finish(step_id, ("ok", [to_numpy(v) for v in results]),
                                (held.puller,))
        return True

    def _drop(self, step_id, held, error):
        """Ends a held step that will not run its second stage: a late talk raises
        `error`."""
        self.rendezvous.abort(step_id, error)
        self._end_step(step_id)
        self.channel.finish(step_id, ("error", error), (held.puller,))

    def run_talking(self, handle, step_id, feeds, timeout_s, trace, puller):
        """`run` for a talk with `puller` (channel.py): its outcome, value or error, is
        what the talk's last turn answers."""
        try:
            values = self.run(handle, step_id, feeds, timeout_s, trace)
        except errors.OpError as e:
            self.channel.finish(step_id, ("error", e), (puller,))
        except BaseException as e:   # noqa: BLE001 - the talk must end; the error is told
            self.channel.finish(step_id, ("error", errors.InternalError(
                None, None, f"Step {step_id} on {self.task}: {type(e).__name__}: {e}")),
                (puller,))
            raise
        else:
            self.channel.finish(step_id, ("ok", values), (puller,))

    def talk(self, step_id, puller, items, timeout_s):
        """A talk call of `puller`: delivers `items`, answers the next turn (a held step
        runs its second stage first)."""
        self.check()
        if items:
            self.rendezvous.deliver_all(step_id, items)
            self.channel.received(step_id, puller, {key for key, _ in items})
        held = self._held.take(step_id)
        if held is not None:
            self._run_stage(held, step_id, True)
            self.check()
            return self.channel.turn(step_id, puller, 0)
        return self.channel.turn(step_id, puller, timeout_s)

    def deliver(self, step_id, items):
        """Tensors another task sent in step `step_id` ([(key, value)]): into the
        rendezvous; a device link's Markers to the link, whose array follows."""
        plain = []
        for key, value in items:
            if isinstance(value, LINK_ITEMS):
                self.links.arrived(step_id, key, value)
            else:
                plain.append((key, value))
        if plain:
            self.rendezvous.deliver_all(step_id, plain)

    def _link_failed(self, step_id, error):
        """A device link cannot bring step `step_id` its array: its `_Recv` raises
        `error` (UnavailableError)."""
        self.rendezvous.abort(step_id, error)

    def abort_step(self, step_id, error):
        self.rendezvous.abort(step_id, error)
        self.channel.abort(step_id)
        held = self._held.take(step_id)
        if held is not None:
            self._drop(step_id, held, error)
        with self._lock:
            step = self._running.get(step_id)
        if step is not None:
            step.cancel()

    def reset(self, containers):
        """Drops the resources of `containers` (None: the default container, as TF's
        workers' CleanupAll) from the task's state; plans stay registered and see them
        gone. Returns how many."""
        self.check()
        return resources.reset(self.state, [""] if containers is None else containers)

    def stop(self, error):
        """The task is gone: every waiting and later call raises `error`."""
        self.stopped = error
        for step_id, held in self._held.take_all():
            self._drop(step_id, held, error)
        self.rendezvous.close(error)
        self.links.close(error)
        self.channel.abort(None)
        self.cancellation.start_cancel()
        with self._lock:
            running = list(self._running.values())
        for step in running:
            step.cancel()
        self.state.clear()
