"""Session: the client API that runs graphs, and the per-session plan cache.

`Session.run(fetches, feed_dict)`:
    key = (shape of the fetch structure, its leaves, the feed keys)
    cache hit  -> convert feeds, execute, convert fetches
    cache miss -> prune -> place -> plan (-> straight-line code) once, then as above

A plan with nothing worth overlapping runs as generated straight-line Python on the
caller's thread; one with independent expensive work runs through `execute_parallel`.
Tracing and timeouts always use the latter.

Session.run is safe to call from many threads at once: the cache is built under a lock and
each run keeps its values in its own list. Variable values and RNG states live in the
session's `_state` dict, so two sessions on one graph are independent.
"""

import os
import sys
import threading
import time
import weakref

import numpy as np

from devices import local_devices, runtime_for
from flowexec.framework import errors
from flowexec.framework import graph as graph_mod
from flowexec.framework.tensor import Tensor
from flowexec.runtime import config as config_mod
from flowexec.runtime.cancellation import CancellationManager, cancelled_error
from flowexec.runtime.codegen import StraightLine
from flowexec.runtime.execute import LaneTails, execute_parallel, op_error
from flowexec.runtime.fetch import FetchStructure
from flowexec.runtime.partition import partition_graphs
from flowexec.runtime.place import place
from flowexec.runtime.plan import build_plan
from flowexec.runtime.prune import prune

MAX_CACHED_PLANS = 4096  # per Session


class _DefaultSessionStack(threading.local):
    def __init__(self):
        self.stack = []


_default_session_stack = _DefaultSessionStack()


def get_default_session():
    """The innermost session entered with `as_default()` on this thread, or None."""
    stack = _default_session_stack.stack
    return stack[-1] if stack else None


class _SessionContext:
    """Makes a session the thread's default session for a `with` block."""

    def __init__(self, session):
        self._session = session

    def __enter__(self):
        _default_session_stack.stack.append(self._session)
        return self._session

    def __exit__(self, *exc):
        stack = _default_session_stack.stack
        if stack and stack[-1] is self._session:
            stack.pop()
        elif self._session in stack:
            stack.remove(self._session)
        return False


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


def _flatten_key(obj, leaves):
    """A hashable signature of a fetch/feed structure; its leaves are appended to `leaves`."""
    t = type(obj)
    if t is list or t is tuple or (isinstance(obj, (list, tuple)) and
                                   not hasattr(obj, "_as_graph_element")):
        return (t, tuple(_flatten_key(x, leaves) for x in obj))
    if isinstance(obj, dict):
        return (t, tuple((k, _flatten_key(v, leaves)) for k, v in obj.items()))
    if t is str:
        return obj
    leaves.append(obj)
    return None


class _Entry:
    """A cached plan plus what `run` needs around it."""

    __slots__ = ("plan", "leaves", "feed_leaves", "build", "straight", "feed_specs")


def _convert_feed(spec, value):
    if type(value) is np.ndarray and value.dtype is spec.np_dtype:
        arr = value
    else:
        if isinstance(value, Tensor) or hasattr(value, "_as_graph_element"):
            raise TypeError(
                "The value of a feed cannot be a tf.Tensor object. Acceptable feed values "
                "include Python scalars, strings, lists, numpy ndarrays, or TensorHandles. "
                f"For reference, the tensor object was {value} which was passed to the feed "
                f"with key {spec.tensor}.")
        if spec.is_int and type(value) is int:
            info = np.iinfo(spec.np_dtype)
            if not info.min <= value <= info.max:
                raise TypeError(
                    f"Type of feed value {value} with type {type(value)} is not compatible "
                    f"with Tensor type {spec.tensor.dtype!r}. Try explicitly setting the type "
                    "of the feed tensor to a larger type (e.g. int64).")
        try:
            if spec.np_dtype.kind == "O":
                arr = _as_bytes_array(value)
            else:
                arr = np.asarray(value, dtype=spec.np_dtype)
        except (TypeError, ValueError, OverflowError) as e:
            raise ValueError(
                f"Cannot feed value {value!r} for Tensor '{spec.tensor.name}' of dtype "
                f"{spec.tensor.dtype.name}: {e}") from e
    dims = spec.dims
    if dims is not None:
        shape = arr.shape
        if len(shape) != len(dims) or any(d is not None and d != s
                                          for d, s in zip(dims, shape)):
            raise ValueError(
                f"Cannot feed value of shape {shape} for Tensor '{spec.tensor.name}', which "
                f"has shape '{spec.tensor.shape}'")
    if arr.ndim == 0 and arr.dtype.kind != "O":
        return arr[()]  # a numpy scalar: fast scalar math; same semantics as a 0-d array
    return arr


def _as_bytes_array(value):
    """A string feed as TF holds it: an object array of bytes (str is UTF-8 encoded)."""
    arr = np.array(value, dtype=object)
    flat = arr.reshape(-1)
    for i, v in enumerate(flat):
        if isinstance(v, str):
            flat[i] = v.encode("utf-8")
        elif isinstance(v, np.str_):
            flat[i] = str(v).encode("utf-8")
        elif not isinstance(v, bytes):
            raise TypeError(f"Expected bytes or str for a string feed, got {v!r}")
    return arr


def _to_numpy(v):
    t = type(v)
    if t is np.ndarray:
        return v[()] if v.ndim == 0 else v.copy()
    if isinstance(v, np.generic) or v is None:
        return v
    if hasattr(v, "get") and hasattr(v, "__cuda_array_interface__"):
        v = v.get()
        return v[()] if v.ndim == 0 else v
    v = np.asarray(v)
    return v[()] if v.ndim == 0 else v


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
        self._closed = False
        self._cancellation = CancellationManager()  # close() cancels the running steps
        self._state = {}
        self._cache = {}
        self._cache_lock = threading.Lock()
        self._lane_tails = LaneTails()  # stream lane -> event ending the previous step
        self._context_manager = None
        device_count = dict(self._config.device_count or {})
        self._devices = local_devices(device_count or None)
        threads = self._config.inter_op_parallelism_threads
        if not threads or threads <= 0:
            threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
                else (os.cpu_count() or 1)
        self._num_threads = threads
        _limit_intra_op_threads(self._config.intra_op_parallelism_threads)
        self._runtimes = {d.full_name: runtime_for(d, num_threads=threads)
                          for d in self._devices}
        if self._config.log_device_placement:
            print("Device mapping:\n" + "\n".join(
                f"{d.full_name} -> device: {d.index}, name: {d.device_type}"
                + (f", {d.physical_device_desc}" if d.physical_device_desc else "")
                for d in self._devices), file=sys.stderr)
        _live_sessions.add(self)

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
        self._cache.clear()

    def as_default(self):
        """A context manager that makes this the default session for `eval()` / `run()`."""
        return _SessionContext(self)

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
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        if self._graph.version == 0:
            raise RuntimeError("The Session graph is empty. Add operations to the graph "
                               "before calling run().")
        entry, feed_values = self._lookup(fetches, feed_dict)
        plan = entry.plan
        vals = [None] * plan.nslots
        for spec, value in zip(entry.feed_specs, feed_values):
            vals[spec.slot] = _convert_feed(spec, value)
        trace = options is not None and options.trace_level and run_metadata is not None
        timeout_ms = _timeout_ms(options, self._config)
        try:
            if entry.straight is not None and not trace and not timeout_ms:
                results = self._run_straight(entry.straight, plan, vals)
            else:
                deadline = time.perf_counter() + timeout_ms / 1000.0 if timeout_ms else None
                threads = self._num_threads if plan.parallel else 1
                wall0, perf0 = time.time(), time.perf_counter()
                record = execute_parallel(plan, vals, threads, deadline, bool(trace),
                                          self._lane_tails, self._cancellation)
                if trace:
                    _fill_step_stats(run_metadata, plan, record, wall0, perf0)
                results = [None if s is None else vals[s] for s in plan.fetch_slots]
        finally:
            if self._closed:  # closed while this step ran: what it wrote is freed too
                self._state.clear()
        if options is not None and options.output_partition_graphs and run_metadata is not None:
            run_metadata.partition_graphs = partition_graphs(plan)
        return entry.build([_to_numpy(v) for v in results])

    def _run_straight(self, straight, plan, vals):
        """Runs a straight-line plan on this thread; CancelledError if closed meanwhile."""
        token = self._cancellation.register(_no_callback)
        if token is None:
            raise cancelled_error()
        cancelled = False
        try:
            try:
                with np.errstate(all="ignore"):  # TF semantics: inf/nan/wrap, no warnings
                    results = straight.fn(vals)
            finally:
                cancelled = not self._cancellation.deregister(token)
        except Exception as e:
            if cancelled:  # its ops failed because the session's state went away
                raise cancelled_error() from e
            i = straight.step_at(e.__traceback__)
            if i is None:
                raise
            raise op_error(plan.steps[i], e) from None
        if cancelled:
            raise cancelled_error()
        return results

    def _lookup(self, fetches, feed_dict):
        leaves = []
        fsig = _flatten_key(fetches, leaves)
        feed_keys = []
        feed_values = []
        if feed_dict:
            for k, v in feed_dict.items():
                if isinstance(k, tuple) and not hasattr(k, "_as_graph_element"):
                    if not isinstance(v, (tuple, list)) or len(v) != len(k):
                        raise ValueError(f"Feed key {k!r} is a tuple, so its value must be a "
                                         f"tuple or list of {len(k)} values, got {v!r}")
                    feed_keys.extend(k)
                    feed_values.extend(v)
                else:
                    feed_keys.append(k)
                    feed_values.append(v)
        key = (fsig, tuple(id(x) for x in leaves),
               tuple(k if type(k) is str else id(k) for k in feed_keys),
               self._graph._control_version)
        entry = self._cache.get(key)
        if entry is not None and all(a is b for a, b in zip(entry.leaves, leaves)) and all(
                a is b for a, b in zip(entry.feed_leaves, feed_keys)):
            return entry, feed_values
        with self._cache_lock:
            entry = self._build(fetches, leaves, feed_keys)
            self._cache[key] = entry
            if len(self._cache) > MAX_CACHED_PLANS:
                # A program that fetches freshly built tensors every step would otherwise
                # grow without bound; the oldest plan goes first.
                self._cache.pop(next(iter(self._cache)))
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
        structure = FetchStructure(graph, fetches)
        feeds = []
        seen = set()
        for k in feed_keys:
            t = self._resolve_feed(k)
            if t in seen:
                raise ValueError(f"Tensor {t.name} is fed more than once.")
            seen.add(t)
            feeds.append(t)
        fetch_tensors = [e for e in structure.elements if hasattr(e, "value_index")]
        targets = [e for e in structure.elements if not hasattr(e, "value_index")]
        pruned = prune(graph, fetch_tensors, feeds, targets)
        placement = place(pruned.ops, self._devices, self._config.allow_soft_placement)
        if self._config.log_device_placement:
            for op in pruned.ops:
                print(f"{op.name}: ({op.type}): {placement[op]}", file=sys.stderr)
        plan = build_plan(pruned, placement, self._runtimes, self._state, self,
                          structure.elements, self._num_threads,
                          self._config.gpu_options.num_streams)
        entry = _Entry()
        entry.plan = plan
        entry.leaves = list(leaves)
        entry.feed_leaves = list(feed_keys)
        entry.build = structure.build
        entry.feed_specs = plan.feeds
        entry.straight = None if plan.parallel else StraightLine(plan)
        return entry

    def make_callable(self, fetches, feed_list=None, accept_options=False):
        """A function `f(*feed_values)` that runs `fetches` with `feed_list` fed, skipping
        the per-call structure analysis of `run`."""
        feed_list = list(feed_list or [])

        def call(*args, **kwargs):
            if len(args) != len(feed_list):
                raise TypeError(f"Callable expects {len(feed_list)} arguments, got "
                                f"{len(args)}")
            options = kwargs.get("options") if accept_options else None
            metadata = kwargs.get("run_metadata") if accept_options else None
            return self.run(fetches, dict(zip(feed_list, args)), options, metadata)
        return call

    def partial_run_setup(self, fetches, feeds=None):
        raise errors.UnimplementedError(None, None, "partial_run is not supported")


def _no_callback():
    """A straight-line step cannot be stopped midway; it learns of a close when it ends."""


def _check_target(target):
    """The target as a str; TF's errors for a non-string or an unknown execution engine."""
    if target is None:
        return ""
    if isinstance(target, (bytes, bytearray)):
        target = bytes(target).decode("utf-8")
    elif not isinstance(target, str):
        raise TypeError(f"target must be a string, but got {type(target)}")
    if target in ("", "local"):
        return target
    if target.startswith("grpc://"):
        raise errors.UnimplementedError(
            None, None, f"Distributed targets are not supported; got target {target!r}")
    raise errors.NotFoundError(
        None, None, "No session factory registered for the given session options: "
        f'{{target: "{target}"}} Registered factories are {{DIRECT_SESSION}}.')


def _timeout_ms(options, config):
    """The step's deadline in ms, 0 for none: `RunOptions.timeout_in_ms` when > 0, else
    `ConfigProto.operation_timeout_in_ms` when > 0 (TF's DirectSession rule)."""
    timeout = options.timeout_in_ms if options is not None else 0
    if not timeout or timeout <= 0:
        timeout = config.operation_timeout_in_ms
    return timeout if timeout and timeout > 0 else 0


def _fill_step_stats(run_metadata, plan, record, wall0, perf0):
    """RunMetadata.step_stats from the executor's trace: per device, per lane.

    A host step's lane is the worker thread that ran it, numbered per device in order of
    first use; a stream step's lane is its stream's index."""
    by_device = {}
    thread_lanes = {}
    for i, start, end, thread, lane in sorted(record, key=lambda r: r[1]):
        step = plan.steps[i]
        if lane is None:
            lanes = thread_lanes.setdefault(step.device, {})
            lane = lanes.setdefault(thread, len(lanes))
        start_us = int((wall0 + (start - perf0)) * 1e6)
        dur = max(int((end - start) * 1e6), 0)
        op = step.op
        stats = config_mod.NodeExecStats(
            node_name=op.name, all_start_micros=start_us, op_start_rel_micros=0,
            op_end_rel_micros=dur, all_end_rel_micros=dur,
            thread_id=thread if thread is not None else lane,
            timeline_label=f"{op.name} = {op.type}("
                           + ", ".join(_producer_name(plan, s, t)
                                       for s, t in zip(step.ins, op.inputs)) + ")",
            lane=lane)
        by_device.setdefault(step.device, []).append(stats)
    run_metadata.step_stats = config_mod.StepStats(
        [config_mod.DeviceStepStats(d, s) for d, s in sorted(by_device.items())])


def _producer_name(plan, slot, tensor):
    """The node a step read `tensor` from: the transfer that copied it, or its op."""
    p = plan.producer.get(slot)
    return tensor.op.name if p is None else plan.steps[p].op.name


_intra_op_applied = None


def _limit_intra_op_threads(n):
    """Applies `intra_op_parallelism_threads` to the BLAS/OpenMP pools (process-wide, like
    TF's intra-op pool). Small models run several times faster with 1 thread per op while
    the executor overlaps ops. Needs threadpoolctl (in the `train` extra)."""
    global _intra_op_applied
    if not n or n <= 0 or n == _intra_op_applied:
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        import warnings

        warnings.warn("intra_op_parallelism_threads is ignored: install threadpoolctl "
                      "(pip install threadpoolctl) or set OPENBLAS_NUM_THREADS/OMP_NUM_THREADS",
                      RuntimeWarning, stacklevel=3)
        _intra_op_applied = n
        return
    threadpool_limits(limits=n)
    _intra_op_applied = n


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


def _run_using_default_session(element, feed_dict, graph, session):
    is_op = not hasattr(element, "value_index")
    if session is None:
        session = get_default_session()
        if session is None:
            if is_op:
                raise ValueError("Cannot execute operation using `run()`: No default session "
                                 "is registered. Use `with sess.as_default():` or pass an "
                                 "explicit session to `run(session=sess)`")
            raise ValueError("Cannot evaluate tensor using `eval()`: No default session is "
                             "registered. Use `with sess.as_default()` or pass an explicit "
                             "session to `eval(session=sess)`")
        if session.graph is not graph:
            what = "operation" if is_op else "tensor"
            raise ValueError(f"Cannot use the default session to evaluate {what}: the "
                             f"{what}'s graph is different from the session's graph. Pass "
                             "an explicit session to `eval(session=sess)`.")
    elif session.graph is not graph:
        what = "operation" if is_op else "tensor"
        raise ValueError(f"Cannot use the given session to evaluate {what}: the {what}'s "
                         "graph is different from the session's graph.")
    return session.run(element, feed_dict)
