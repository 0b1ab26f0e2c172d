"""Session: the client API that runs graphs, and the per-session plan cache.

`Session.run(fetches, feed_dict)`:
    key = (shape of the fetch structure, its leaves, the feed keys, the graph's version)
    cache hit  -> convert feeds (feed.py), execute, convert fetches (fetch.py)
    cache miss -> the pipeline's stages once (pipeline.py: prune -> optimize -> place ->
                  partition -> schedule -> bind), then as above

The session keeps lifecycle (devices, state, close, default-session context) and the plan
cache; everything else lives with what it belongs to. A plan with nothing worth
overlapping runs as generated straight-line Python on the caller's thread; one with
independent expensive work runs through `execute_parallel`. Tracing and timeouts always use
the latter. `Session.explain` returns every stage's output for a run signature;
`make_callable` precomputes its plan and skips the per-call analysis of `run`.
`partial_run_setup` / `partial_run` live in partial_run.py; the session keeps their handles.

Session.run is safe to call from many threads at once: the cache is built under a lock and
each run keeps its values in its own list. Variable values and RNG states live in the
session's `_state` dict, so two sessions on one graph are independent.
"""

import sys
import threading
import time
import weakref

import numpy as np

from devices import local_devices, runtime_for
from flowexec.framework import errors
from flowexec.framework import graph as graph_mod
from flowexec.framework.default_session import SessionContext, get_default_session
from flowexec.framework.tensor import Tensor
from flowexec.runtime import config as config_mod
from flowexec.runtime import partial_run as prun
from flowexec.runtime import pipeline
from flowexec.runtime.cancellation import CancellationManager, cancelled_error
from flowexec.runtime.execute import LaneTails, execute_parallel, op_error
from flowexec.runtime.feed import FeedSpec, convert_feed, flatten_feed_dict
from flowexec.runtime.fetch import FetchStructure, flatten_key, to_numpy
from flowexec.runtime.stats import step_stats
from flowexec.runtime.threads import inter_op_threads, limit_intra_op_threads, process_threads

# get_default_session lives in the framework (its stack is beside the default graph's); it is
# importable from here too, where TF1 code and older flowexec modules look for it.
__all__ = ["BaseSession", "InteractiveSession", "Session", "get_default_session"]

MAX_CACHED_PLANS = 4096  # per Session


class _DeviceAttributes:
    """What `Session.list_devices()` returns for each device (TF's `_DeviceAttributes`)."""

    def __init__(self, name, device_type, memory_limit_bytes, incarnation):
        self.name = name
        self.device_type = device_type
        self.memory_limit_bytes = memory_limit_bytes
        self.incarnation = incarnation

    def __repr__(self):
        return (f"_DeviceAttributes({self.name}, {self.device_type}, "
                f"{self.memory_limit_bytes}, {self.incarnation})")


class _Entry:
    """A cached plan plus what `run` needs around it (`stages`: every stage's output)."""

    __slots__ = ("plan", "leaves", "feed_leaves", "build", "straight", "feed_specs",
                 "stages", "version", "remote")


class BaseSession:
    """Runs ops of one graph on the session's devices. See the module docstring."""

    def __init__(self, target="", graph=None, config=None):
        if graph is None:
            self._graph = graph_mod.get_default_graph()
        elif not isinstance(graph, graph_mod.Graph):
            raise TypeError(f"graph must be a tf.Graph, but got {type(graph)}")
        else:
            self._graph = graph
        self._target = _check_target(target)
        if config is not None and not isinstance(config, config_mod.ConfigProto):
            raise TypeError(f"config must be a tf.ConfigProto, but got {type(config)}")
        self._config = config if config is not None else config_mod.ConfigProto()
        self._master = _connect(self._target, self._config)
        if self._master is not None:
            # A cluster target: the devices are the cluster's tasks'; plans run there.
            self._setup(self._master.devices, {}, {}, CancellationManager(), LaneTails())
        else:
            device_count = dict(self._config.device_count or {})
            devices = local_devices(device_count or None)
            threads = inter_op_threads(self._config)
            limit_intra_op_threads(self._config.intra_op_parallelism_threads
                                   or process_threads("intra"))
            runtimes = {d.full_name: runtime_for(d, num_threads=threads) for d in devices}
            self._setup(devices, runtimes, {}, CancellationManager(), LaneTails())
        if config_mod.logs_device_placement(self._config):
            print("Device mapping:\n" + "\n".join(
                f"{d.full_name} -> device: {d.index}, name: {d.device_type}"
                + (f", {d.physical_device_desc}" if d.physical_device_desc else "")
                for d in self._devices), file=sys.stderr)
        _live_sessions.add(self)

    def _setup(self, devices, runtimes, state, cancellation, lane_tails):
        """The session's devices, runtimes and state (a task's session shares its task's)."""
        self._closed = False
        self._reset_error = None   # set when tf.Session.reset closed the session
        self._cancellation = cancellation  # close() cancels the running steps
        self._state = state
        self._cache = {}
        self._cache_lock = threading.Lock()
        self._lane_tails = lane_tails  # stream lane -> event ending the previous step
        self._context_manager = None
        self._devices = list(devices)
        self._num_threads = inter_op_threads(self._config)
        self._runtimes = runtimes
        # A deadline for every step sends every plan through the parallel executor.
        timeout = self._config.operation_timeout_in_ms
        self._no_straight = bool(timeout and timeout > 0)
        self._partial_runs = prun.PartialRuns()  # live handles, their plans
        self._machine = pipeline.Machine(tuple(self._devices), self._runtimes, self._state,
                                         self, self._config, self._num_threads)

    def device_name_of(self, runtime):
        """The full name this session knows `runtime`'s device by (a cluster task's are
        `/job:<job>/replica:0/task:<i>/...`, whatever the runtime calls itself)."""
        for name, rt in self._runtimes.items():
            if rt is runtime:
                return name
        return runtime.name

    # ----- properties ----------------------------------------------------------------------
    @property
    def graph(self):
        return self._graph

    @property
    def graph_def(self):
        return [op.node_def for op in self._graph.get_operations()]

    @property
    def sess_str(self):
        return self._target

    def list_devices(self):
        """The session's devices, as TF's `_DeviceAttributes` (full names)."""
        return [_DeviceAttributes(d.full_name, d.device_type, d.memory_limit, d.incarnation)
                for d in self._devices]

    # ----- lifecycle -----------------------------------------------------------------------
    def close(self):
        """Closes the session and frees its state; later runs raise RuntimeError.

        Steps running in other threads are cancelled, as by TF's `Session::Close()`: a
        parallel step starts no further op, and every step that was running raises
        `CancelledError` ("Run call was cancelled"). `close()` does not wait for them
        (neither does TF's); what they still write is freed as they end.
        """
        self._closed = True
        self._cancellation.start_cancel()
        self._state.clear()
        self._partial_runs.clear()
        if self._master is not None:
            self._master.close()
        self._cache.clear()

    @staticmethod
    def reset(target, containers=None, config=None):
        """`tf.Session.reset`: drops the resources of `containers` on `target` and closes
        the sessions connected to it.

        On a cluster target ("grpc://host:port") every task of the cluster (limited by
        `config.device_filters`) drops the variables, queues, tables, accumulators,
        iterators and readers of the named resource containers (`tf.container`); with
        `containers` None, those of the default container, as TF's master does (its
        docstring says "all", its workers clear the default container). Tasks that do not
        answer are skipped (TF's cleanup is best-effort). Every session made with this
        very target string is closed: its next run raises `AbortedError` ("Session ... is
        not found."), as TF's. Sessions of other targets stay open and see the resources
        gone (a variable is uninitialized again).

        On the in-process target ("" or "local") every in-process session of this process
        is closed with its state (TF's DirectSession reset): its next run raises
        `CancelledError` ("Session has been closed.").

        Args:
            target: the target a Session would take.
            containers: resource container names (`tf.container`), or None.
            config: a ConfigProto (its `device_filters`), or None.

        Raises:
            UnavailableError: no server is running at a cluster target.

        Example:
            >>> tf.Session.reset(server.target)          # variables are uninitialized again
            >>> tf.Session.reset(server.target, ["experiment_1"])
        """
        target = _check_target(target)
        if config is not None and not isinstance(config, config_mod.ConfigProto):
            raise TypeError(f"config must be a tf.ConfigProto, but got {type(config)}")
        if containers is not None:
            if isinstance(containers, (str, bytes)):
                raise TypeError("containers must be a list of strings, got "
                                f"{type(containers).__name__}")
            containers = [c.decode() if isinstance(c, bytes) else str(c) for c in containers]
        for scheme, reset in _RESET_HANDLERS.items():
            if target.startswith(scheme):
                reset(target, containers, config or config_mod.ConfigProto())
                for sess in list(_live_sessions):
                    if sess._master is not None and sess._target == target:
                        sess._close_by_reset(errors.AbortedError(
                            None, None, f"Session {id(sess):016x} is not found."))
                return
        for sess in list(_live_sessions):
            if sess._master is None:
                sess._close_by_reset(errors.CancelledError(
                    None, None, "Session has been closed."))

    def _close_by_reset(self, error):
        if not self._closed:
            self._reset_error = error
            self.close()

    def as_default(self):
        """A context manager that makes this the default session for `eval()` / `run()`."""
        return SessionContext(self)

    def __enter__(self):
        if self._context_manager is not None:
            raise RuntimeError("Session context managers are not re-entrant. Use "
                               "`Session.as_default()` if you want to enter a session "
                               "multiple times.")
        graph_cm = self._graph.as_default()
        sess_cm = self.as_default()
        graph_cm.__enter__()
        sess_cm.__enter__()
        self._context_manager = (graph_cm, sess_cm)
        return self

    def __exit__(self, exc_type, exc_value, tb):
        graph_cm, sess_cm = self._context_manager
        self._context_manager = None
        sess_cm.__exit__(exc_type, exc_value, tb)
        graph_cm.__exit__(exc_type, exc_value, tb)
        self.close()
        return False

    # ----- run -----------------------------------------------------------------------------
    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """Runs the ops and evaluates the tensors in `fetches`.

        Args:
            fetches: a graph element (Tensor, Operation, Variable, or its name) or a nested
                list/tuple/namedtuple/dict of them. Operations fetch as None.
            feed_dict: {Tensor or name or tuple of Tensors: value}; any tensor may be fed.
            options: a RunOptions (tracing, timeout, partition graphs).
            run_metadata: a RunMetadata to fill with step stats / partition graphs.

        Returns:
            `fetches` with each element replaced by its numpy value.

        Raises:
            RuntimeError: the session is closed, or its graph has no operations.
            TypeError, ValueError: a malformed fetch or feed.
            flowexec.errors.OpError: an op failed (the message names it), a placeholder was
                not fed, or the deadline passed (DeadlineExceededError; the deadline is
                `options.timeout_in_ms` when > 0, else `operation_timeout_in_ms` of the
                config when > 0, else none). The session stays usable.
            flowexec.errors.CancelledError: the session was closed while the step ran.
            KeyboardInterrupt, SystemExit: raised by a kernel (a py_func) or arriving on
                this thread; the step is cancelled on every device first, and the session
                stays usable.

        Example:
            >>> sess.run([a, {"c": c}], feed_dict={x: 3.0})
        """
        self._check_runnable()
        entry, feed_values = self._lookup(fetches, feed_dict)
        return self._run_entry(entry, feed_values, options, run_metadata)

    def _run_entry(self, entry, feed_values, options, run_metadata):
        """Executes a cached plan: feeds converted, fetches built (the hot path of `run`)."""
        if entry.remote is not None:
            values = [convert_feed(spec, v) for spec, v in zip(entry.feed_specs, feed_values)]
            return entry.build(self._master.run(entry.remote, values, options, run_metadata))
        plan = entry.plan
        vals = [None] * plan.nslots
        for spec, value in zip(entry.feed_specs, feed_values):
            vals[spec.slot] = convert_feed(spec, value)
        straight = entry.straight
        if options is None and straight is not None and not self._no_straight:
            # The common case, `_run_straight` inlined: one thread, no deadline, no trace.
            if self._cancellation.is_cancelled:
                raise cancelled_error()
            try:
                with np.errstate(all="ignore"):  # TF semantics: inf/nan/wrap, no warnings
                    results = straight.fn(vals)
            except Exception as e:
                raise self._straight_error(straight, plan, e) from None
            if self._closed:
                self._state.clear()  # closed while this step ran: what it wrote goes too
                raise cancelled_error()
            return entry.build([to_numpy(v) for v in results])
        results = self._execute_plan(plan, vals, options, run_metadata)
        if options is not None and options.output_partition_graphs and run_metadata is not None:
            run_metadata.partition_graphs = list(entry.stages.partitioned.graphs)
        return entry.build([to_numpy(v) for v in results])

    def _execute_plan(self, plan, vals, options=None, run_metadata=None):
        """Runs a bound plan whose feeds are in their slots of `vals`; the fetched values
        as the plan holds them (not yet converted for the client), None for targets."""
        try:
            trace = options is not None and options.trace_level and run_metadata is not None
            timeout_ms = _timeout_ms(options, self._config)
            if plan.straight is not None and not trace and not timeout_ms:
                return self._run_straight(plan.straight, plan, vals)
            deadline = time.perf_counter() + timeout_ms / 1000.0 if timeout_ms else None
            threads = self._num_threads if plan.parallel else 1
            wall0, perf0 = time.time(), time.perf_counter()
            record = execute_parallel(plan, vals, threads, deadline, bool(trace),
                                      self._lane_tails, self._cancellation)
            if trace:
                run_metadata.step_stats = step_stats(plan, record, wall0, perf0)
            return [None if s is None else vals[s] for s in plan.fetch_slots]
        finally:
            if self._closed:  # closed while this step ran: what it wrote is freed too
                self._state.clear()

    def _run_straight(self, straight, plan, vals):
        """Runs a straight-line plan on this thread; CancelledError if closed meanwhile.

        A straight-line step cannot be stopped midway, so it registers no cancellation
        callback: `close()` (which sets `_closed` before cancelling) is noticed when the
        step ends, as a registered step would notice it when deregistering."""
        if self._cancellation.is_cancelled:
            raise cancelled_error()
        try:
            with np.errstate(all="ignore"):  # TF semantics: inf/nan/wrap, no warnings
                results = straight.fn(vals)
        except Exception as e:
            raise self._straight_error(straight, plan, e) from None
        if self._closed:
            raise cancelled_error()
        return results

    def _straight_error(self, straight, plan, exc):
        """What a straight-line step's exception becomes: CancelledError when the session
        was closed meanwhile (its state went away), else the OpError of the failing step
        (the exception itself when no step raised it)."""
        if self._closed:
            err = cancelled_error()
            err.__cause__ = exc
            return err
        i = straight.step_at(exc.__traceback__)
        if i is None:
            return exc
        return op_error(plan.steps[i], exc)

    def _lookup(self, fetches, feed_dict):
        """The cache entry for (fetches, feed keys), built on a miss; and the feed values."""
        leaves = []
        fsig = flatten_key(fetches, leaves)
        feed_keys, feed_values = flatten_feed_dict(feed_dict)
        key = (fsig, tuple(map(id, leaves)),
               tuple([k if type(k) is str else id(k) for k in feed_keys]),
               self._graph._control_version)
        # An entry holds its leaves and feed keys, so no other object can have their ids
        # while it is cached: equal ids are the same objects.
        entry = self._cache.get(key)
        if entry is not None:
            return entry, feed_values
        with self._cache_lock:
            entry = self._build(fetches, leaves, feed_keys)
            self._cache[key] = entry
            if len(self._cache) > MAX_CACHED_PLANS:
                # A program that fetches freshly built tensors every step would otherwise
                # grow without bound; the oldest plan goes first.
                old = self._cache.pop(next(iter(self._cache)))
                if old.remote is not None:
                    self._master.release(old.remote)   # its parts on the tasks go too
        return entry, feed_values

    def _resolve_feed(self, key):
        try:
            el = key._as_graph_element() if hasattr(key, "_as_graph_element") and \
                not isinstance(key, Tensor) else key
            el = self._graph.as_graph_element(el, allow_tensor=True, allow_operation=False)
        except (TypeError, ValueError, KeyError) as e:
            raise TypeError(f"Cannot interpret feed_dict key as Tensor: {e}") from None
        return el

    def _build(self, fetches, leaves, feed_keys):
        graph = self._graph
        version = graph._control_version
        structure = FetchStructure(graph, fetches, self)
        feeds = []
        seen = set()
        for k in feed_keys:
            t = self._resolve_feed(k)
            if t in seen:
                raise ValueError(f"Tensor {t.name} is fed more than once.")
            seen.add(t)
            feeds.append(t)
        if self._master is not None:
            return self._remote_entry(structure, feeds, leaves, feed_keys, version)
        stages = pipeline.build(graph, structure.elements, feeds, self._machine)
        plan = stages.plan
        if config_mod.logs_device_placement(self._config):
            g = stages.optimized.graph
            for node in g.nodes:
                print(f"{node.name}: ({node.type}): {stages.placement[node.name]}",
                      file=sys.stderr)
        entry = _Entry()
        entry.plan = plan
        entry.stages = stages
        entry.version = version
        entry.leaves = list(leaves)
        entry.feed_leaves = list(feed_keys)
        entry.build = structure.build
        entry.feed_specs = tuple(FeedSpec(t, slot) for t, slot in zip(feeds, plan.feed_slots))
        entry.straight = plan.straight
        entry.remote = None
        return entry

    def _remote_entry(self, structure, feeds, leaves, feed_keys, version):
        """A cache entry whose plan runs on a cluster's tasks (see flowexec.distributed)."""
        remote = self._master.build(self._graph, structure.elements, feeds)
        entry = _Entry()
        entry.plan = entry.straight = None
        entry.remote = remote
        entry.stages = remote.stages
        entry.version = version
        entry.leaves = list(leaves)
        entry.feed_leaves = list(feed_keys)
        entry.build = structure.build
        entry.feed_specs = tuple(FeedSpec(t, i) for i, t in enumerate(feeds))
        return entry

    def explain(self, fetches, feed_dict=None):
        """How `run(fetches, feed_dict)` runs: every stage's output, from the plan cache.

        Only the keys of `feed_dict` matter (which tensors are fed); values may be None.

        Args:
            fetches: as for `run`.
            feed_dict: as for `run`; or a list of the fed tensors.

        Returns:
            A `pipeline.Stages`: `pruned`, `graph` (the IR), `optimized` (with `applied`,
            the optimizations done), `placement`, `partitioned` (steps, transfers, partition
            graphs), `schedule`, `plan` and `source` (the generated straight-line code, or
            None for the parallel executor). `print()` it for a readable report.

        Raises:
            RuntimeError: the session is closed.
            As `run` for malformed fetches or feeds and for plans that cannot be built.

        Example:
            >>> print(sess.explain(y, {x: None}).source)
            def run(vals):
                v0 = vals[0]
                ...
        """
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        if feed_dict is not None and not isinstance(feed_dict, dict):
            feed_dict = dict.fromkeys(feed_dict)
        entry, _ = self._lookup(fetches, feed_dict)
        return entry.stages

    def make_callable(self, fetches, feed_list=None, accept_options=False):
        """A function `f(*feed_values)` that runs `fetches` with `feed_list` fed.

        The plan is looked up (built on a miss) now, so each call only converts its feeds
        and executes; a graph changed since (new control inputs) is planned again.

        Args:
            fetches: as for `run`.
            feed_list: the tensors (or names) fed, in the order of the call's arguments.
            accept_options: the callable takes `options=` and `run_metadata=` keywords.

        Returns:
            The callable; it raises TypeError for a wrong number of arguments.
        """
        feed_list = list(feed_list or [])
        n = len(feed_list)
        keys = dict.fromkeys(feed_list)
        if len(keys) != n:
            raise ValueError("feed_list contains a tensor more than once")
        entry = self._lookup(fetches, keys)[0] if self._graph.version else None

        def call(*args, **kwargs):
            nonlocal entry
            if len(args) != n:
                raise TypeError(f"Callable expects {n} arguments, got {len(args)}")
            if kwargs and not accept_options:
                raise TypeError(f"Callable got unexpected keyword arguments {sorted(kwargs)}")
            if self._closed:
                raise RuntimeError("Attempted to use a closed Session.")
            if entry is None or entry.version != self._graph._control_version:
                if not self._graph.version:
                    raise RuntimeError("The Session graph is empty. Add operations to the "
                                       "graph before calling run().")
                entry = self._lookup(fetches, keys)[0]
            return self._run_entry(entry, args, kwargs.get("options"),
                                   kwargs.get("run_metadata"))
        return call

    # ----- partial runs (partial_run.py) ---------------------------------------------------
    def partial_run_setup(self, fetches, feeds=None):
        """Sets up a partial run of `fetches` that will feed `feeds`; returns its handle.

        Ops that need none of `feeds` start now; each later `partial_run(handle, ...)` call
        feeds some of `feeds`, fetches some of `fetches`, and runs what those feeds allow.
        Every op of the partial run runs once, however many calls share it.

        Args:
            fetches: as for `run` (Tensors and Operations, nested); Operations run as soon
                as what they need is fed, and cannot be fetched by `partial_run`.
            feeds: a Tensor (or name), or a list or tuple of them: every tensor the partial
                run's calls will feed.

        Returns:
            The handle, a string (TF's form, e.g. `'a:0,b:0->r:0//1/;0'`).

        Raises:
            RuntimeError: the session is closed, or its graph is empty.
            InvalidArgumentError: nothing to fetch or run, a tensor fed twice, or a tensor
                both fed and fetched.
            TypeError, ValueError: a feed or fetch that is not a graph element.

        Example:
            >>> h = sess.partial_run_setup([r1, r2], [a, b, c])
            >>> sess.partial_run(h, r1, feed_dict={a: 1, b: 2})
            3.0
            >>> sess.partial_run(h, r2, feed_dict={c: 17})
            51.0
        """
        return prun.setup(self, fetches, feeds)

    def partial_run(self, handle, fetches, feed_dict=None):
        """Continues the partial run `handle`: feeds `feed_dict`, returns `fetches`.

        Args:
            handle: what `partial_run_setup` returned.
            fetches: Tensors declared in the setup (nested as for `run`), not yet fetched.
            feed_dict: values for tensors declared in the setup, not yet fed.

        Returns:
            `fetches` with each element replaced by its value. A value computed by an
            earlier call of the partial run is the one it computed.

        Raises:
            RuntimeError: the session is closed, or `fetches` holds an Operation.
            InvalidArgumentError: an unknown or finished handle ("Must run 'setup' before
                performing partial runs!"), a feed or fetch not declared in the setup, fed
                or fetched already, or a fetch that needs a feed not yet given. These leave
                the partial run as it was.
            flowexec.errors.OpError: an op failed (in this call or, started at setup,
                before it); the partial run is over.
        """
        return prun.run(self, handle, fetches, feed_dict)

    def _check_runnable(self):
        if self._closed:
            if self._reset_error is not None:
                raise self._reset_error
            raise RuntimeError("Attempted to use a closed Session.")
        if self._graph.version == 0:
            raise RuntimeError("The Session graph is empty. Add operations to the graph "
                               "before calling run().")

    def _partial_plan(self, elements, feeds, done):
        """A plan for one call of a partial run (`done`: the ops earlier calls ran)."""
        if self._master is not None:
            return self._master.build(self._graph, elements, feeds, done)
        return pipeline.build(self._graph, elements, feeds, self._machine, done).plan

    def _run_partial_plan(self, plan, feed_values):
        """Runs a `_partial_plan` on values already converted; one raw value per element."""
        if self._master is not None:
            return self._master.run(plan, list(feed_values))
        vals = [None] * plan.nslots
        for slot, value in zip(plan.feed_slots, feed_values):
            vals[slot] = value
        return self._execute_plan(plan, vals)

    def _release_partial_plan(self, plan):
        if self._master is not None:
            self._master.release(plan)


_TARGET_HANDLERS = {}   # target scheme ("grpc://") -> connect(target, config) -> master
_RESET_HANDLERS = {}    # target scheme -> reset(target, containers, config)


def register_target_handler(scheme, connect, reset=None):
    """Makes `Session(target)` with a target starting with `scheme` run its plans through
    `connect(target, config)`: an object with `devices`, `build(graph, elements, feeds)`,
    `run(remote, feed_values, options, run_metadata)`, `release(remote)` and `close()`
    (flowexec.distributed registers "grpc://"); `reset(target, containers, config)` is
    what `Session.reset(target, ...)` does to the target's resources."""
    _TARGET_HANDLERS[scheme] = connect
    if reset is not None:
        _RESET_HANDLERS[scheme] = reset


def _check_target(target):
    """The target as a str; TF's errors for a non-string or an unknown execution engine."""
    if target is None:
        return ""
    if isinstance(target, (bytes, bytearray)):
        target = bytes(target).decode("utf-8")
    elif not isinstance(target, str):
        raise TypeError(f"target must be a string, but got {type(target)}")
    if target in ("", "local") or any(target.startswith(s) for s in _TARGET_HANDLERS):
        return target
    raise errors.NotFoundError(
        None, None, "No session factory registered for the given session options: "
        f'{{target: "{target}"}} Registered factories are {{DIRECT_SESSION'
        + "".join(", GRPC_SESSION" for _ in _TARGET_HANDLERS) + "}.")


def _connect(target, config):
    """The master of a cluster target, or None for an in-process target."""
    for scheme, connect in _TARGET_HANDLERS.items():
        if target.startswith(scheme):
            return connect(target, config)
    return None


def _timeout_ms(options, config):
    """The step's deadline in ms, 0 for none: `RunOptions.timeout_in_ms` when > 0, else
    `ConfigProto.operation_timeout_in_ms` when > 0 (TF's DirectSession rule)."""
    timeout = options.timeout_in_ms if options is not None else 0
    if not timeout or timeout <= 0:
        timeout = config.operation_timeout_in_ms
    return timeout if timeout and timeout > 0 else 0


class Session(BaseSession):
    """`tf.Session(target='', graph=None, config=None)`.

    Example:
        >>> a = tf.constant(2); b = tf.constant(3)
        >>> with tf.Session() as sess:
        ...     print(sess.run(a + b))
        5
    """


class InteractiveSession(BaseSession):
    """A Session that installs itself as the default session (and its graph as the default
    graph) on construction, for shells and notebooks; `close()` undoes it."""

    def __init__(self, target="", graph=None, config=None):
        super().__init__(target, graph, config)
        self._graph_cm = self._graph.as_default()
        self._graph_cm.__enter__()
        self._sess_cm = self.as_default()
        self._sess_cm.__enter__()
        self._explicitly_closed = False

    def close(self):
        super().close()
        if not self._explicitly_closed:
            self._explicitly_closed = True
            self._sess_cm.__exit__(None, None, None)
            try:
                self._graph_cm.__exit__(None, None, None)
            except AssertionError:
                pass


_live_sessions = weakref.WeakSet()
