"""The master: what a `tf.Session("grpc://...")` does with a cluster.

    Session(target)     resolve the target to the task it names (the *local task*), list
                        the devices of every task its `ConfigProto.device_filters` keep
                        (each named /job:<job>/replica:0/task:<i>/device:<type>:<n>),
                        waiting for tasks that have not started yet, as TF's CreateSession
    run, first time     prune -> optimize -> place over the cluster's devices (requests
                        without a job, and unconstrained ops, go to the local task) ->
                        a cond changing several tasks' state split by task
                        (split_conds.py) -> functions read other tasks' variables by value
                        (remote_reads.py) ->
                        split by task (split.py; GPU to GPU by a device link where the
                        two tasks' devices have one: collective.py) -> register each
                        part on its task, once (the local task's part maybe in this
                        process: below)
    every run           one `start_run` per task with the same step id, all at once; wait
                        for all of them, checking the health of the tasks still running;
                        traced (`RunOptions.trace_level`), every task's step stats in
                        `RunMetadata.step_stats`, on this clock (tracing.py)

The local task's part in the client's process. As in TF, where a worker's client and its
`tf.train.Server` share a process, a session created in the process of its target's
Server runs its part of a step there, on this thread, when the part has no state to share
(no variables, queues, tables...: only stateless ops and `_Send`/`_Recv`): that part is
then a pure function of its feeds and received tensors, so any copy of the task computes
it alike, and the task's process (a Ray actor) is spared a call, the feeds' and fetches'
transfer, and the wait for it. The Server keeps that copy (`Server.hosted_runtime`). No
task can push into a client, so the tensors other tasks send it are pulled: their parts
are registered with `TaskPart.pulled_by` and hold those values until the copy's `_Recv`s
collect them (one `collect` per sender and step, asked as the step starts). A part with
state runs on its task as before, and so does every part of a session in another process.

Failure: the first error of any task fails the step: the other tasks' steps are aborted
(their waiting `_Recv`s raise AbortedError) and the error is raised to the client without
waiting for them. A task that stops answering is found by `health()` within
`HEALTH_INTERVAL_S` and fails the step with UnavailableError; the step's deadline
(`RunOptions.timeout_in_ms`, else `operation_timeout_in_ms`) raises DeadlineExceededError.
A step therefore never hangs on a lost task. The session stays usable while its tasks are;
after a task restarted its plans are refused (AbortedError), and a new session is needed
(MonitoredTrainingSession makes one).

Thread-safety: `run` may be called from many threads; each step has its own id.
"""

import dataclasses
import functools
import random
import sys
import threading
import time
from typing import Any, Mapping, Tuple

from devices.spec import DeviceSpec, is_compatible
from flowexec.framework import errors
from flowexec.framework.operation import NodeDef
from flowexec.runtime import ir, pipeline
from flowexec.runtime.partition import PartitionGraph
from flowexec.runtime.place import Placement, place
from flowexec.runtime.prune import Pruned, prune
from flowexec.runtime.session import _timeout_ms
from flowexec.distributed import collective
from flowexec.distributed import remote_reads, split_conds
from flowexec.distributed import tracing
from flowexec.distributed import split as split_mod
from flowexec.distributed.task import wait_first

HEALTH_INTERVAL_S = 0.2     # how often a waiting master checks the tasks still running
_WAIT_LOG_S = 10.0          # TF logs a task it is still waiting for every 10 s
_resolvers = []             # resolve(address) -> TaskServer or None, tried in order
_hosts = {}                 # normalized address -> the Server of this process serving it
_hosts_lock = threading.Lock()
# Stateful op types a hosted copy of a task may run: they touch no state of the task.
_PORTABLE_STATEFUL = frozenset(("_Send", "_Recv", "NoOp"))


def register_resolver(resolve):
    """Adds a backend's `resolve(address) -> TaskServer or None` (the Ray backend's)."""
    if resolve not in _resolvers:
        _resolvers.append(resolve)


def register_host(address, server):
    """Records `server` (a `tf.train.Server` of this process) as the one at `address`,
    whose `hosted_runtime(incarnation)` may run this process's parts (module docstring)."""
    from flowexec.distributed.local import normalize_address
    with _hosts_lock:
        _hosts[normalize_address(address)] = server


def unregister_host(address, server):
    from flowexec.distributed.local import normalize_address
    with _hosts_lock:
        if _hosts.get(normalize_address(address)) is server:
            del _hosts[normalize_address(address)]


def _host_server(task_server):
    """The Server of this process that could host parts of `task_server`'s task, or None
    (the task's own runtime is in this process, or no Server here serves it)."""
    from flowexec.distributed.local import normalize_address
    if getattr(task_server, "in_process", True):
        return None
    with _hosts_lock:
        return _hosts.get(normalize_address(task_server.address))


def _host_runtime(task_server):
    """The TaskRuntime of this process that may host parts of `task_server`'s task, or
    None (see `_host_server`)."""
    server = _host_server(task_server)
    return None if server is None else server.hosted_runtime(task_server.incarnation)


def _may_host(task_server):
    """Whether this process could host parts of `task_server`'s task (without making the
    runtime `_host_runtime` makes)."""
    return _host_server(task_server) is not None


def portable(part):
    """Whether a TaskPart holds no state of its task (see the module docstring)."""
    return all(not n.op_def.stateful or n.type in _PORTABLE_STATEFUL for n in part.graph.nodes)


def resolve(address):
    """The running TaskServer at `address` ("localhost:2222"), or None."""
    for r in _resolvers:
        server = r(address)
        if server is not None:
            return server
    return None


@dataclasses.dataclass(frozen=True)
class DistributedStages:
    """What `Session.explain` returns for a plan on a cluster.

    Attributes:
        pruned, graph, optimized, placement: as `pipeline.Stages`.
        split: the TaskSplit (parts per task, crossing edges, feed and fetch routes).
        handles: {task: handle of its registered part}.
    """

    pruned: Pruned
    graph: ir.GraphIR
    optimized: ir.Optimized
    placement: Placement
    split: split_mod.TaskSplit
    handles: Mapping[str, str]

    @property
    def applied(self):
        return self.optimized.applied

    @property
    def source(self):
        return None

    @functools.cached_property
    def partition_graphs(self):
        """Per device of every task, its nodes (with the `_Send`/`_Recv` of the crossing
        edges), sorted by device: what `RunOptions(output_partition_graphs=True)`
        returns for a run on a cluster."""
        by_device = {}
        for part in self.split.parts.values():
            for node in part.graph.nodes:
                device = part.placement[node.name]
                nd = node.node_def
                by_device.setdefault(device, []).append(
                    NodeDef(nd.name, nd.op, nd.input, device, nd.attr))
        return tuple(PartitionGraph(d, tuple(nodes)) for d, nodes in sorted(by_device.items()))

    def __str__(self):
        placed = "\n".join(f"{n}: {d}" for n, d in self.placement.items())
        return (f"== placement ==\n{placed}\n\n== tasks ==\n{self.split}")


@dataclasses.dataclass(frozen=True)
class Remote:
    """A plan registered on a cluster: its stages, task handles and fetch layout."""

    stages: DistributedStages
    handles: Mapping[str, str]
    layout: Tuple[Any, ...]
    graph: Any = None
    hosted: Any = None        # (task, TaskRuntime of this process) of a hosted part


class Master:
    """The master of one Session on a cluster (see the module docstring).

    Args:
        target: "grpc://host:port".
        config: the session's ConfigProto (`device_filters`, timeouts, placement).
    """

    def __init__(self, target, config):
        self.target = target
        self.config = config
        address = target[len("grpc://"):]
        timeout_ms = config.operation_timeout_in_ms
        deadline = time.monotonic() + timeout_ms / 1000 if timeout_ms and timeout_ms > 0 \
            else None
        local = self._wait_for(address, target, deadline, wait=False)
        self.local = local
        self.cluster = local.cluster
        self.local_task = DeviceSpec.from_string(local.task)
        filters = [DeviceSpec.from_string(f) for f in (config.device_filters or ())]
        self.servers = {}
        for name, addr in _admitted_tasks(local, filters):
            self.servers[name] = local if name == local.task else \
                self._wait_for(addr, name, deadline, wait=True)
        devices = []
        for name in sorted(self.servers, key=_task_order):
            for d in self.servers[name].devices():
                if name == local.task or not filters or \
                        any(is_compatible(f, d.full_name) for f in filters):
                    devices.append(d)
        self.devices = tuple(devices)
        self.incarnations = {d.full_name: d.incarnation for d in self.devices}
        self.hosts = {}
        for d in self.devices:
            task = split_mod.task_of(d.full_name)
            if d.device_type == "CPU" and task not in self.hosts:
                self.hosts[task] = d.full_name
        self._remotes = []
        self._inflight = {}   # step id -> Remote, of the steps running now
        self._lock = threading.Lock()
        self._closed = False

    @staticmethod
    def _wait_for(address, what, deadline, wait):
        """The running server at `address`; with `wait`, waits for it to start (until the
        deadline, logging every 10 s as TF does), else UnavailableError at once."""
        logged = time.monotonic()
        while True:
            server = resolve(address)
            if server is not None:
                try:
                    server.health()
                    return server
                except errors.UnavailableError:
                    pass
            if not wait:
                raise errors.UnavailableError(
                    None, None, f"No server is running at {address} (target {what})")
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                raise errors.DeadlineExceededError(
                    None, None, f"CreateSession timed out waiting for {what} at {address}")
            if now - logged >= _WAIT_LOG_S:
                print(f"CreateSession still waiting for response from worker: {what}",
                      file=sys.stderr)
                logged = now
            time.sleep(0.05)

    # ----- plans -----------------------------------------------------------------------------
    def build(self, graph, fetch_elements, feeds, done=frozenset()):
        """Plans one run signature on the cluster and registers its parts; a `Remote`.
        `done`: the ops an earlier call of a partial run executed (see runtime/prune.py)."""
        fetch_tensors = [e for e in fetch_elements if hasattr(e, "value_index")]
        targets = [e for e in fetch_elements if not hasattr(e, "value_index")]
        pruned = prune(graph, fetch_tensors, feeds, targets, done)
        graph_ir = ir.from_pruned(pruned)
        optimized = pipeline.optimize(graph_ir, self.config.graph_options)
        g = optimized.graph
        placement = place(g.nodes, self.devices, self.config.allow_soft_placement, g.feeds,
                          local_task=self.local_task)
        g, placement = split_conds.split(g, placement)
        g = remote_reads.rewrite(g, placement)
        task_incarnations = {t: s.incarnation for t, s in self.servers.items()}
        parts = split_mod.split(g, placement, self.hosts, self.incarnations,
                                task_incarnations, self._links())
        hosted = None
        mine = parts.parts.get(self.local.task)
        if mine is not None and portable(mine):
            runtime = _host_runtime(self.local)
            if runtime is not None:
                hosted = (self.local.task, runtime)
                senders = {e.src_task for e in parts.edges if e.dst_task == self.local.task}
                parts = dataclasses.replace(parts, parts={
                    t: dataclasses.replace(p, pulled_by=frozenset((self.local.task,)))
                    if t in senders else p for t, p in parts.parts.items()})
        handles = {}
        try:
            for task, part in parts.parts.items():
                if hosted is not None and task == hosted[0]:
                    handles[task] = hosted[1].register(part)
                else:
                    handles[task] = self.servers[task].register(part)
        except errors.OpError:
            self._release(handles, hosted)
            raise
        position = {}
        for i, r in enumerate(g.fetches):
            position.setdefault(r, i)
        layout = tuple(position[ir.ref_of(e)] if hasattr(e, "value_index") else None
                       for e in fetch_elements)
        stages = DistributedStages(pruned, graph_ir, optimized, placement, parts, handles)
        remote = Remote(stages, handles, layout, graph, hosted)
        with self._lock:
            self._remotes.append(remote)
        return remote

    def _links(self):
        """The split's `links(src, dst)`: the device link's (group, src ordinal, dst
        ordinal) when both GPUs have endpoints one backend joins (collective.py), else
        None. The local task has none when this process may host its part (a client
        process cannot join a group)."""
        endpoints = {d.full_name: d.endpoint for d in self.devices}
        hostable = _may_host(self.local)

        def links(src, dst):
            if hostable and self.local.task in (split_mod.task_of(src),
                                                split_mod.task_of(dst)):
                return None
            src_end, dst_end = endpoints.get(src), endpoints.get(dst)
            if not collective.can_link(src_end, dst_end):
                return None
            return (collective.group_name(src, self.incarnations[src], dst,
                                          self.incarnations[dst]),
                    collective.ordinal_of(src_end), collective.ordinal_of(dst_end))
        return links

    def release(self, remote):
        """Forgets one plan's parts on the tasks (the session's plan cache dropped it)."""
        with self._lock:
            if remote in self._remotes:
                self._remotes.remove(remote)
        self._release(remote.handles, remote.hosted)

    def _release(self, handles, hosted=None):
        for task, handle in handles.items():
            try:
                if hosted is not None and task == hosted[0]:
                    hosted[1].deregister(handle)
                else:
                    self.servers[task].deregister(handle)
            except errors.OpError:
                pass

    # ----- steps -----------------------------------------------------------------------------
    def run(self, remote, feed_values, options=None, run_metadata=None):
        """Runs one step of a registered plan; the fetched values in the fetch layout.

        Raises:
            The first task's OpError; UnavailableError for a lost task;
            DeadlineExceededError past the step's deadline.
        """
        split = remote.stages.split
        timeout_ms = _timeout_ms(options, self.config)
        deadline = time.monotonic() + timeout_ms / 1000 if timeout_ms else None
        step_id = random.getrandbits(62) + 1
        futures = {}
        with self._lock:
            if self._closed:
                raise errors.CancelledError(None, None, "Session has been closed.")
            self._inflight[step_id] = remote
        trace = bool(options is not None and options.trace_level and
                     run_metadata is not None)
        times = {}    # task -> [sent, received] on this clock (traced steps)
        hosted_task = None if remote.hosted is None else remote.hosted[0]
        results = {}
        talks = {}    # task -> the pending first answer of its part's talk
        try:
            for task, handle in remote.handles.items():
                if task == hosted_task:
                    continue
                feeds = [feed_values[i] for i in split.feed_routes[task]]
                left = None if deadline is None else max(deadline - time.monotonic(), 0)
                if trace:
                    times[task] = [time.time()]
                if hosted_task is not None and hosted_task in split.parts[task].pulled_by:
                    talks[task] = self.servers[task].start_talk(
                        handle, step_id, feeds, left, trace, hosted_task)
                else:
                    futures[task] = self.servers[task].start_run(handle, step_id, feeds,
                                                                 left, trace)
            if hosted_task is not None:
                results.update(self._run_hosted(
                    remote, step_id, [feed_values[i] for i in split.feed_routes[hosted_task]],
                    deadline, trace, times, futures, talks))
            results.update(self._wait(futures, deadline, step_id, times))
        except errors.OpError as e:
            self._abort(remote, step_id, e)
            raise _with_user_op(e, remote.graph)
        except BaseException as e:
            self._abort(remote, step_id, e)
            raise
        finally:
            with self._lock:
                self._inflight.pop(step_id, None)
        if trace:
            traces = []
            for task, (values, task_trace) in results.items():
                results[task] = values
                sent, received = times[task][0], (times[task][1:] or [time.time()])[0]
                traces.append((task_trace, tracing.shift_of(sent, task_trace, received)))
            run_metadata.step_stats = tracing.merge(traces, split.edges)
        if options is not None and options.output_partition_graphs and \
                run_metadata is not None:
            run_metadata.partition_graphs = list(remote.stages.partition_graphs)
        fetched = [feed_values[j] if task == "" else results[task][j]
                   for task, j in split.fetch_sources]
        return [None if k is None else fetched[k] for k in remote.layout]

    def _run_hosted(self, remote, step_id, feeds, deadline, trace, times, futures, talks):
        """Runs the hosted part on this thread while the tasks run theirs, then ends the
        talks with the tasks that send to it (channel.py); {task: fetched values} of
        the hosted part and the talking parts. A task's failure ends the hosted part (its
        `_Recv`s watch the other tasks' futures while they wait), and is what the step
        raises rather than the abort it caused here."""
        task, runtime = remote.hosted
        pending = list(futures.values())

        def watch():
            for f in wait_first(pending, 0):
                f.result()      # raises the task's error

        left = None if deadline is None else max(deadline - time.monotonic(), 0)
        if trace:
            times[task] = [time.time()]
        channel = runtime.channel
        channel.start_talks(step_id, talks)
        try:
            try:
                values = runtime.run(remote.handles[task], step_id, feeds, left, trace, watch)
            except errors.OpError as e:
                if isinstance(e, (errors.AbortedError, errors.CancelledError)) and pending:
                    for f in wait_first(pending, 0.05):
                        f.result()   # the task's error that aborted the step here
                raise
            if trace:
                times[task].append(time.time())
            results = {task: values}
            ended = channel.end_talks(step_id, deadline)
        finally:
            channel.drop_talks(step_id)
        for other, result in ended.items():
            if trace:
                times[other].append(time.time())
            results[other] = result
        return results

    def _wait(self, futures, deadline, step_id, times):
        pending = {f: task for task, f in futures.items()}
        results = {}
        while pending:
            if self._closed:
                raise errors.CancelledError(None, None, "Run call was cancelled")
            wait_s = HEALTH_INTERVAL_S
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise errors.DeadlineExceededError(
                        None, None, f"Timed out waiting for the tasks "
                                    f"{sorted(pending.values())} of step {step_id}")
                wait_s = min(wait_s, left)
            done = wait_first(list(pending), wait_s)
            for f in done:
                task = pending.pop(f)
                if task in times:
                    times[task].append(time.time())
                results[task] = f.result()   # raises the task's error
            if not done:
                for task in list(pending.values()):
                    self.servers[task].health()
        return results

    def _abort(self, remote, step_id, cause):
        if isinstance(cause, errors.CancelledError):
            error = cause
        else:
            detail = getattr(cause, "message", str(cause))
            error = errors.AbortedError(
                None, None, f"Step {step_id} was aborted: {type(cause).__name__}: {detail}")
        for task in remote.handles:
            try:
                if remote.hosted is not None and task == remote.hosted[0]:
                    remote.hosted[1].abort_step(step_id, error)
                else:
                    self.servers[task].abort_step(step_id, error)
            except errors.OpError:
                pass

    def close(self):
        """Cancels this session's running steps (CancelledError) and forgets its parts on
        every task (the tasks' state stays)."""
        with self._lock:
            remotes, self._remotes = self._remotes, []
            inflight, self._inflight = dict(self._inflight), {}
            self._closed = True
        for step_id, remote in inflight.items():
            self._abort(remote, step_id, errors.CancelledError(
                None, None, "Run call was cancelled"))
        for remote in remotes:
            self._release(remote.handles, remote.hosted)


def _with_user_op(error, graph):
    """A task's error that crossed a process boundary lost its Operation (errors pickle
    without it): the client's Operation of the node it names is put back."""
    if error.op is not None or error.node_def is None or graph is None:
        return error
    try:
        op = graph.get_operation_by_name(error.node_def.name)
    except (KeyError, ValueError):
        return error
    restored = type(error)(error.node_def, op, error.message)
    restored.__cause__ = error
    return restored


def _admitted_tasks(local, filters):
    """(task name, address) of the tasks of `local`'s cluster a session on `local` uses:
    its own task, and those `device_filters` (DeviceSpecs; none: all) admit."""
    for job, index, addr in local.cluster.tasks():
        name = f"/job:{job}/replica:0/task:{index}"
        if name == local.task or not filters or \
                any(_task_matches(f, job, index) for f in filters):
            yield name, addr


def _task_matches(spec, job, index):
    return (spec.job is None or spec.job == job) and \
        (spec.task is None or spec.task == index) and spec.replica in (None, 0)


def _task_order(name):
    job, index = name.split("/job:", 1)[1].split("/replica:0/task:")
    return job, int(index)


def connect(target, config):
    """The Master of `Session(target)` (registered with the session for "grpc://")."""
    return Master(target, config)


def reset(target, containers, config):
    """`tf.Session.reset(target, containers)` on a cluster (registered for "grpc://"):
    every task of the target's cluster that `config.device_filters` admits and that
    answers drops the resources of `containers` (None: the default container). Best
    effort, as TF's master's worker cleanup: a task that is not running is skipped.

    Raises:
        UnavailableError: no server is running at `target` itself.
    """
    local = Master._wait_for(target[len("grpc://"):], target, None, wait=False)
    filters = [DeviceSpec.from_string(f) for f in (config.device_filters or ())]
    for name, addr in _admitted_tasks(local, filters):
        server = local if name == local.task else resolve(addr)
        if server is None:
            continue
        try:
            server.reset(containers)
        except errors.UnavailableError:
            pass
