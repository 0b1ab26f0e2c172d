"""Execute: run a Plan's steps with dependency counting; the only stage with mutable state.

State of one step run (`_Run`):
    vals       value per slot; a slot is cleared after its last reader (unless fetched)
    pending    per step, predecessors not yet finished
    readers    per slot, readers not yet finished
    ready      expensive steps waiting for a thread
    remaining  steps not yet finished; the run is over when it reaches 0 or on the first
               error / cancellation / deadline
    workers    worker tasks currently draining `ready`

Policy (dask's `get_async` in spirit; the caller's thread is one of the workers):
    * a thread that finishes a step decrements its successors; newly ready cheap steps run
      inline on that thread (depth first), so a chain of cheap ops never changes thread;
    * of the expensive steps a finished step makes ready, the thread keeps the first for
      itself (depth first: a chain stays on one thread with its data in cache) and puts the
      rest on `ready`, handing them to the device's worker pool while workers are idle —
      the only place a ~50 µs thread hand-off is paid;
    * the first error cancels the run: no new step starts, the caller gets the error once
      the steps already running have finished (or at once, on a deadline). An interrupt
      (KeyboardInterrupt, SystemExit: a BaseException that is not an Exception), raised
      by a kernel on any thread or arriving on the caller's thread while it runs a step
      or waits, cancels the run the same way, takes precedence over an op error and
      propagates as itself; `Session.close()` cancels through the session's
      CancellationManager (CancelledError);
    * with tracing on, each step's start/end and thread are recorded for RunMetadata;
    * a step of an asynchronous device (a GPU) is *issued*, not run: its lane waits for the
      events of the steps it depends on, the kernel is enqueued, and the step counts as
      finished for the scheduler at once, so its same-device successors are issued right
      behind it; the lane's thread runs the kernel (launch), keeps cross-lane inputs
      alive, releases its inputs and records its event (see schedule.py). A host step that
      reads a stream step's value waits for that step's event only. At the end (after an
      error too) every lane's thread has passed the step's work; fetched values are waited
      for through their own events only, and the next step's lanes wait on the device for
      this step's last events (no host synchronisation of the device);
    * devices that enforce a memory limit have every output accounted
      (`Runtime.allocate`), released after its last reader: ResourceExhaustedError names
      the op, the shape and the sizes.
Plans with nothing to overlap never come here: they run as straight-line code.
"""

import threading
import time
from collections import deque

import numpy as np

from devices import errors as device_errors
from flowexec.framework import errors
from flowexec.runtime.cancellation import cancelled_error
from flowexec.runtime.context import current_step


def node_info(op):
    """TF's error suffix naming a node (an Operation, IR node or transfer) and its line."""
    return f"\n\t [[node {op.name} (defined at {op.source_line()}) ]]"


def _fused_info(node):
    """For a node that stands for several user ops (a fused step): which ones."""
    if node is None or len(node.origin) < 2:
        return ""
    return " (fused: " + ", ".join(op.name for op in node.origin) + ")"


def _failure(step, exc):
    """What a step's exception becomes: an interrupt stays itself, the rest an OpError."""
    if not isinstance(exc, Exception):
        return exc
    return op_error(step, exc)


def op_error(step, exc):
    """Wraps a kernel's exception in TF's OpError naming the op, its type, device, line.

    The error's `op` is the user's Operation the step stands for (the first of a fused
    step's, whose message lists them all); a transfer's error has none."""
    node = step.node
    op = node if node is not None else step.transfer
    user = node.user_op if node is not None else None
    where = _fused_info(node) + node_info(op)
    if isinstance(exc, errors.OpError):
        if exc.op is not None:
            return exc
        return type(exc)(op.node_def, user, f"{exc.message}{where}")
    if isinstance(exc, device_errors.ResourceExhaustedError):
        err = errors.ResourceExhaustedError(
            op.node_def, user,
            f"OOM when running {op.name} ({op.type}) on {step.device}: {exc}{where}")
    elif isinstance(exc, MemoryError):
        err = errors.ResourceExhaustedError(
            op.node_def, user, f"OOM when running {op.name} ({op.type}) on {step.device}: "
            f"{exc}{where}")
    elif isinstance(exc, (ValueError, IndexError, TypeError, ZeroDivisionError, KeyError)):
        err = errors.InvalidArgumentError(
            op.node_def, user,
            f"{op.type} op '{op.name}' on {step.device} failed: {type(exc).__name__}: "
            f"{exc}{where}")
    else:
        err = errors.InternalError(
            op.node_def, user,
            f"{op.type} op '{op.name}' on {step.device} raised {type(exc).__name__}: "
            f"{exc}{where}")
    err.__cause__ = exc
    return err


class _Run:
    __slots__ = ("plan", "vals", "pending", "readers", "ready", "remaining", "lock", "cond",
                 "error", "workers", "max_workers", "trace", "t0", "cancelled", "events",
                 "held", "lane_refs", "closed")

    def __init__(self, plan, vals, max_workers, trace):
        self.plan = plan
        self.vals = vals
        self.pending = [s.npreds for s in plan.steps]
        self.readers = list(plan.consumers)
        self.ready = deque()
        self.remaining = len(plan.steps)
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.error = None
        self.cancelled = False
        self.workers = 0
        self.max_workers = max_workers
        self.trace = [] if trace else None
        self.t0 = time.perf_counter()
        self.events = [None] * len(plan.steps) if plan.stream_lanes else None
        self.held = {} if plan.accounting else None  # slot -> (runtime, bytes accounted)
        self.lane_refs = {}  # lane -> (timing event, perf_counter) when tracing
        self.closed = False  # the caller has left: late accounting is released at once

    def fail(self, exc):
        """Cancels the run; the first error is kept, but an interrupt replaces an error."""
        with self.lock:
            if self.error is None or (isinstance(self.error, Exception)
                                      and not isinstance(exc, Exception)):
                self.error = exc
            self.cancelled = True
            self.cond.notify_all()


def _run_step(run, step):
    """Runs a host step; False when the step was cancelled while it waited for a stream."""
    vals = run.vals
    trace = run.trace
    if step.host_waits:  # values (or effects) of stream steps: wait for their events
        for j in step.host_waits:
            run.events[j].synchronize()
        if run.cancelled:  # the stream step failed: its value or effect is not there
            return False
    if trace is not None:
        start = time.perf_counter()
    args = [vals[i] for i in step.ins]
    for pos, reader in step.refs:
        args[pos] = reader()
    out = step.fn(*args)
    outs = step.outs
    if len(outs) == 1:
        vals[outs[0]] = out
    elif outs:
        for s, v in zip(outs, out):
            vals[s] = v
    if step.account:
        _account(run, step, args)
    if trace is not None:
        trace.append((step.index, start, time.perf_counter(), threading.get_ident()))
    return True


def _account(run, step, args):
    """Charges the step's outputs to its device (ResourceExhaustedError past the limit).

    An output that is one of the inputs (Identity) is already charged."""
    runtime = step.runtime
    for slot in step.outs:
        value = run.vals[slot]
        nbytes = getattr(value, "nbytes", 0)
        if not nbytes or any(value is a for a in args):
            continue
        if step.transfer is not None:
            what = f"transfer {step.transfer.name}"
        else:
            dims = ",".join(str(d) for d in value.shape)
            dtype = run.plan.slot_refs[slot].dtype
            what = f"tensor with shape[{dims}] and type {dtype.name} for op {step.node.name}"
        runtime.allocate(nbytes, what)
        with run.lock:
            late = run.closed
            if not late:
                run.held[slot] = (runtime, nbytes)
        if late:  # the step is over (a deadline): nobody will release it later
            runtime.release(nbytes)


def _release_held(run, slot):
    entry = run.held.pop(slot, None)
    if entry is not None:
        entry[0].release(entry[1])


def _issue(run, step):
    """Issues a stream step to its lane: waits, the kernel, its event (see schedule.py)."""
    lane = step.lane
    events = run.events
    for j in step.waits:
        lane.wait_event(events[j])
    if step.records:
        events[step.index] = lane.new_event()
    if run.trace is not None:
        if lane not in run.lane_refs:
            run.lane_refs[lane] = (lane.record_event(timing=True), time.perf_counter())
        start = lane.record_event(timing=True)
        end = lane.new_event(timing=True)
        run.trace.append((step.index, start, end, lane.index))
    else:
        end = None
    lane.enqueue(_lane_item, run, step, end)


def _lane_item(run, step, end):
    """A stream step on its lane's thread: launch the kernel, keep inputs alive, record."""
    lane = step.lane
    args = None
    try:
        if not run.cancelled:
            with np.errstate(all="ignore"):
                args = [run.vals[i] for i in step.ins]
                for pos, reader in step.refs:
                    args[pos] = reader()
                out = step.fn(*args)
                outs = step.outs
                if len(outs) == 1:
                    run.vals[outs[0]] = out
                elif outs:
                    for s, v in zip(outs, out):
                        run.vals[s] = v
                if step.account:
                    _account(run, step, args)
            _release_inputs(run, step)
    except BaseException as e:  # noqa: BLE001 - reported to the caller, run cancelled
        run.fail(_failure(step, e))
    finally:  # always recorded, so that no lane or host thread waits forever
        if args is not None:
            for pos in step.keep_alive:  # what was launched reads them (even on failure)
                try:
                    step.runtime.keep_alive(args[pos], lane)
                except Exception as e:  # noqa: BLE001 - reported, the run is failed
                    run.fail(op_error(step, e))
        if end is not None:
            lane.record(end)
        if step.records:
            lane.record(run.events[step.index])


def _release_inputs(run, step):
    with run.lock:
        _release_inputs_locked(run, step)


def _release_inputs_locked(run, step):
    """Drops the step's input values that no other step will read (fetches are kept)."""
    keep = run.plan.keep
    readers = run.readers
    for s in step.ins:
        readers[s] -= 1
        if readers[s] == 0 and s not in keep:
            run.vals[s] = None
            if run.held is not None:
                _release_held(run, s)


class LaneTails:
    """Per session: the event that ended the latest step on each stream lane.

    Published under `lock`, in the order the tail records were enqueued, so that a step
    run after another is ordered after the newest work on every lane."""

    def __init__(self):
        self.lock = threading.Lock()
        self.events = {}


def _drain_lanes(run, tails, deadline=None, wait=True):
    """Ends the step on every lane of the plan (also after an error).

    Waits until each lane's thread has passed this step's work (so every lane item has
    run, and reported its error if any), but not for the device to finish it: a fetched
    value is waited for through its own event, and the next step's work on a device is
    ordered after this step's by the device (its lanes wait for `tails`, the events
    recorded here, with `wait_event`), never by a host synchronisation. With tracing,
    the device is synchronised so that the timing events can be read.

    Returns:
        False when `deadline` (a perf_counter value) passed first.
    """
    passed = []
    lock = tails.lock if tails is not None else threading.Lock()
    with lock:
        for lane in run.plan.stream_lanes:
            tail = lane.new_event()
            lane.enqueue(lane.record, tail)  # behind what the earlier work enqueued itself
            flag = threading.Event()
            lane.enqueue(flag.set)
            passed.append(flag)
            if tails is not None:
                tails.events[lane] = tail
            if run.trace is not None:
                passed.append(tail)
    if not wait:
        return True
    for p in passed:
        timeout = None if deadline is None else max(deadline - time.perf_counter(), 0.0)
        done = p.wait(timeout) if isinstance(p, threading.Event) else p.synchronize(timeout)
        if not done:
            return False
    return True


def _order_after_previous_steps(plan, tails):
    """Makes each lane of the plan wait for the other lanes of its device as the previous
    step left them (`tails` from `_drain_lanes`): device-side waits, no host sync."""
    if tails is None or not tails.events:
        return
    with tails.lock:
        latest = list(tails.events.items())
    for lane in plan.stream_lanes:
        for other, event in latest:
            if other is not lane and other.runtime is lane.runtime:
                lane.wait_event(event)


def _drive(run, first):
    """Runs `first` and then whatever it makes ready, depth first, on this thread."""
    outer = getattr(current_step, "run", None)
    current_step.run = run  # KernelContext.step_cancelled() of blocking kernels reads it
    try:
        with np.errstate(all="ignore"):  # per thread; TF semantics: inf/nan/wrap, no warnings
            _drive_steps(run, first)
    finally:
        current_step.run = outer


def _drive_steps(run, first):
    plan = run.plan
    steps = plan.steps
    stack = [first]
    while stack:
        i = stack.pop()
        if run.cancelled:
            return
        step = steps[i]
        try:
            if step.kind:
                _issue(run, step)
            elif not _run_step(run, step):
                return
        except BaseException as e:  # noqa: BLE001 - reported to the caller, run cancelled
            run.fail(_failure(step, e))
            return
        with run.lock:
            pending = run.pending
            if not step.kind:  # a stream step's lane releases its inputs once it has run
                _release_inputs_locked(run, step)
            own = -1
            for n in step.succ:
                pending[n] -= 1
                if pending[n] == 0:
                    if not steps[n].expensive:
                        stack.append(n)
                    elif own < 0:
                        own = n  # continue this chain here: its input is hot in cache
                    else:
                        run.ready.append(n)
            if own >= 0:
                stack.insert(0, own)
            run.remaining -= 1
            if run.remaining == 0:
                run.cond.notify_all()
                return
            if not stack and run.ready:
                stack.append(run.ready.popleft())
            if run.ready:
                _spawn_workers_locked(run, step.runtime)


def _spawn_workers_locked(run, runtime):
    want = min(len(run.ready), run.max_workers - run.workers)
    for _ in range(want):
        run.workers += 1
        runtime.submit(_worker, run)
    if want == 0 and run.ready:
        run.cond.notify()  # the caller's thread may be waiting for work


def _worker(run):
    try:
        while True:
            with run.lock:
                if run.cancelled or not run.ready:
                    run.workers -= 1
                    return
                i = run.ready.popleft()
            _drive(run, i)
    except BaseException as e:  # noqa: BLE001 - never let a pool thread die silently
        run.fail(e if not isinstance(e, Exception) else
                 errors.InternalError(None, None, f"executor worker failed: {e!r}"))
        with run.lock:
            run.workers -= 1


def execute_parallel(plan, vals, num_threads, deadline=None, trace=False, lane_tails=None,
                     cancellation=None):
    """Runs the plan on the caller's thread plus up to `num_threads - 1` pool workers.

    `lane_tails` (a `LaneTails`, owned by the session) carries the end of the previous step
    on each stream lane to the next one (see `_drain_lanes`). `cancellation` (the
    session's `CancellationManager`) cancels the step when the session is closed.

    Returns:
        The trace list [(step index, start, end, thread id)] when `trace`, else None.

    Raises:
        OpError: the first step failure (named after its op), DeadlineExceededError when
            `deadline` (a `time.perf_counter()` value) passes first, CancelledError when
            `cancellation` starts before the step ends.
        BaseException: an interrupt (KeyboardInterrupt, SystemExit) raised by a kernel or
            on the caller's thread, as itself, once the ops already running have ended.
    """
    # With a deadline the caller's thread only waits, so it can give up on time even while
    # a long kernel runs; otherwise it is one of the workers.
    drive_here = deadline is None
    run = _Run(plan, vals, max(num_threads - 1, 0) if drive_here else max(num_threads, 1), trace)
    token = None
    if cancellation is not None:
        token = cancellation.register(lambda: run.fail(cancelled_error()))
        if token is None:
            raise cancelled_error()
    try:
        _run_steps(run, drive_here, deadline, lane_tails)
    except BaseException as e:  # noqa: BLE001 - an interrupt of the caller's thread
        run.fail(e)
    if token is not None and not cancellation.deregister(token):
        run.fail(cancelled_error())  # the session was closed while the step ran
    if run.error is not None:
        _end_failed(run, lane_tails)
        raise run.error
    _release_all(run)
    if run.trace is not None:
        return _resolve_trace(run)
    return None


def execute_in_order(plan, vals, trace=False):
    """Runs a plan without stream steps on the caller's thread, its steps in the order of
    `plan.steps` (the order of its straight-line code), with the interpreted executor's
    error naming and tracing: for a part of a cluster step, whose order is what keeps the
    tasks of a step free of deadlocks (distributed/split.py), traced.

    Returns:
        The trace list as `execute_parallel`'s when `trace`, else None.

    Raises:
        OpError: the first step failure, named after its op.
    """
    if plan.stream_lanes:
        raise ValueError("execute_in_order runs plans without stream steps")
    run = _Run(plan, vals, 0, trace)
    for step in plan.steps:
        try:
            _run_step(run, step)
        except BaseException as e:  # noqa: BLE001 - reported as the step's error
            run.fail(_failure(step, e))
            break
    _release_all(run)
    if run.error is not None:
        raise run.error
    return _resolve_trace(run) if trace else None


def _run_steps(run, drive_here, deadline, lane_tails):
    """The caller's part of a run: steps (when `drive_here`), waits, the stream drain."""
    plan = run.plan
    steps = plan.steps
    if plan.stream_lanes:
        _order_after_previous_steps(plan, lane_tails)
    cheap = []
    with run.lock:
        for i in plan.initial:
            (run.ready if steps[i].expensive or not drive_here else cheap).append(i)
        if not drive_here and run.ready:
            _spawn_workers_locked(run, steps[run.ready[0]].runtime)
    for i in reversed(cheap):
        if run.cancelled:
            break
        _drive(run, i)
    while True:
        with run.lock:
            if run.error is not None or run.remaining == 0:
                break
            if run.ready and drive_here:
                i = run.ready.popleft()
                if run.ready:
                    _spawn_workers_locked(run, steps[i].runtime)
            else:
                timeout = None if deadline is None else deadline - time.perf_counter()
                if timeout is not None and timeout <= 0:
                    run.cancelled = True
                    run.error = _deadline_error()
                    break
                run.cond.wait(timeout)  # a signal (Ctrl-C) interrupts it
                continue
        _drive(run, i)
    if run.error is None and plan.stream_lanes:
        if not _drain_lanes(run, lane_tails, deadline) or not _wait_fetches(run, deadline):
            run.fail(_deadline_error())


def _end_failed(run, lane_tails):
    """Ends a cancelled run: the ops already running finish (after a deadline, they are
    left behind) and every lane passes the step, before the caller gets the error."""
    stream = run.plan.stream_lanes
    if not isinstance(run.error, errors.DeadlineExceededError):
        with run.lock:  # let steps already running finish before the session moves on
            while run.workers:
                run.cond.wait(0.05)
        if stream:
            _drain_lanes(run, lane_tails)
    elif stream:  # order the next step after what is still queued
        _drain_lanes(run, lane_tails, wait=False)
    _release_all(run)


def _wait_fetches(run, deadline):
    """Waits for the fetched values of stream devices, and only those."""
    for j in run.plan.fetch_waits:
        timeout = None if deadline is None else max(deadline - time.perf_counter(), 0.0)
        if not run.events[j].synchronize(timeout):
            return False
    return True


def _deadline_error():
    """TF's error when a step outlives its `timeout_in_ms` (DirectSession's message)."""
    return errors.DeadlineExceededError(None, None, "Timed out waiting for notification")


def _release_all(run):
    """Values still accounted at the end of a step (fetches) leave the device's books;
    anything accounted later (a lane item still running after a deadline) is released
    at once by `_account`."""
    if run.held is None:
        return
    with run.lock:
        run.closed = True
        held, run.held = run.held, {}
    for runtime, nbytes in held.values():
        runtime.release(nbytes)


def _resolve_trace(run):
    """Trace entries with times in perf_counter seconds; stream steps' times come from
    their timing events, placed on the host clock through a reference event per lane."""
    out = []
    for i, start, end, where in run.trace:
        if isinstance(start, float):
            out.append((i, start, end, where, None))
            continue
        ref, ref_time = run.lane_refs[run.plan.steps[i].lane]
        try:
            t0 = ref_time + ref.elapsed_ms(start) / 1000.0
            t1 = ref_time + ref.elapsed_ms(end) / 1000.0
        except Exception:  # noqa: BLE001 - an event of a cancelled step may not be timed
            continue
        out.append((i, t0, t1, None, where))
    return out
