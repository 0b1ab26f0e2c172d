"""Bind: the executable plan — kernels bound to devices, value slots, last uses.

The last stage before execution turns the partitioned, scheduled run into the data the
executor runs. It numbers every value a step produces (a "slot"; fed values first, one per
feed), binds each node's kernel to its device's array module and attributes
(`fn(*input_values)`; a `constant` node binds its value, no call), binds each transfer's
copy to its lane, and records each step's input and output slots, its successors, how many
predecessors it waits for, and how many readers each slot has (so the executor frees a
buffer after its last use). A plan that runs on one thread (`Schedule.parallel` false) is
also compiled to straight-line Python (`codegen.StraightLine`).

The Plan is built once per (fetches, feeds, targets) and never changed afterwards: Steps
are plain slotted objects for the executor's speed, not to be mutated.
"""

import functools

from flowexec.framework import resources
from flowexec.runtime.context import KernelContext
from flowexec.runtime.schedule import STREAM_STEP


class Step:
    """One node (or transfer) of a plan. Built by `bind`, read-only afterwards.

    Attributes:
        index: position in `Plan.steps`.
        op: what errors and traces name: the user's Operation when the node stands for
            exactly one, else the IR node (a fused node) or the Transfer.
        node, transfer: the IR Node, or the `partition.Transfer` (the other is None).
        binding: the Binding (how the kernel is called).
        fn: `fn(*input_values)` -> the output value (a tuple for several outputs).
        ins, outs: value slots read and written.
        succ, npreds: successors (data and control) and how many predecessors it waits for.
        cost, expensive, kind, waits, host_waits, records, keep_alive, account: from the
            schedule (see schedule.py).
        lane: the Lane a STREAM_STEP is issued to (None for host steps).
        refs: ((input position, reader), ...): inputs that read a variable live.
        runtime, device: the device runtime and its full name.
    """

    __slots__ = ("index", "op", "node", "transfer", "binding", "fn", "ins", "outs", "succ",
                 "npreds", "cost", "expensive", "runtime", "device", "refs", "kind", "lane",
                 "waits", "host_waits", "records", "keep_alive", "account", "follows")

    def __repr__(self):
        return f"<Step {self.index} {self.op.name} ins={self.ins} outs={self.outs}>"


class Plan:
    """Everything `execute` needs for one (fetches, feeds, targets) combination.

    Attributes:
        steps: Steps in topological order.
        nslots: number of value slots.
        feed_slots: the slot of each fed value, aligned with `GraphIR.feeds`.
        slot_refs: per slot, the Ref of its value (dtype and static shape).
        fetch_slots: per fetched element, its slot (None for an Operation).
        initial: indices of steps with no predecessors.
        consumers: per slot, how many steps read it (for releasing buffers).
        keep: slots that must survive the step (fetched values).
        parallel: whether to run with worker threads (else straight-line code).
        stream_lanes: the Lanes used (drained at the end of a run).
        fetch_waits: stream steps whose events fetches wait for.
        accounting: whether some step's outputs are accounted against a memory limit.
        producer: {slot: index of the step that writes it}.
        runtimes: the device runtimes the plan uses.
        critical_path, total_cost: from the schedule (ns).
        straight: the StraightLine program, or None when `parallel`.
    """

    __slots__ = ("steps", "nslots", "feed_slots", "slot_refs", "fetch_slots", "initial",
                 "consumers", "keep", "parallel", "stream_lanes", "fetch_waits", "accounting",
                 "producer", "runtimes", "critical_path", "total_cost", "straight")


class Binding:
    """How to call one op's kernel: `kernel(*prefix, *inputs, **kwargs)`.

    `prefix` is `(xp,)` or `(ctx, xp)`. A constant node has `const` set to its value and
    no call. `fn` is the same call as one callable, for the interpreted executor.
    """

    __slots__ = ("kernel", "prefix", "kwargs", "const", "fn")

    def __init__(self, kernel, prefix, kwargs, const=None):
        self.kernel = kernel
        self.prefix = prefix
        self.kwargs = kwargs
        self.const = const
        if const is not None:
            self.fn = functools.partial(_return_value, const)
        else:
            self.fn = functools.partial(kernel, *prefix, **kwargs)


def _return_value(value):
    return value[0]


def bind_kernel(node, runtime, state, session):
    """The Binding of IR `node` on `runtime`: the kernel with xp, ctx and attributes.

    A kernel that needs a KernelContext gets the user's Operation the node stands for."""
    op_def = node.op_def
    if op_def.constant is not None:
        value = op_def.constant(node)
        if runtime.device_type != "CPU":
            value = runtime.to_device(value)
        elif value.ndim == 0 and value.dtype.kind != "O":
            # numpy scalars take numpy's fast scalar-math path (~10x cheaper than 0-d arrays)
            value = value[()]
        return Binding(None, (), {}, const=(value,))
    kernel = op_def.kernel_for(runtime.device_type)
    kwargs = op_def.kernel_kwargs(node)
    if resources.VAR_CONTAINERS in node.attrs:   # variables in containers: qualified names
        kwargs = resources.qualify_kwargs(kwargs, node.attrs, op_def.node_def_form.ref_attr)
    if op_def.needs_ctx:
        prefix = (KernelContext(node.user_op, state, runtime, session), runtime.xp)
    else:
        prefix = (runtime.xp,)
    return Binding(kernel, prefix, kwargs)


def _transfer_binding(transfer, runtime, runtimes, lane):
    """The copy a transfer step makes, on its lane (see devices.runtime for the calls)."""
    if transfer.to_host:
        fn = functools.partial(_to_host, runtime, lane)
    elif not transfer.src:
        fn = functools.partial(_to_device, runtime, lane)
    else:
        fn = functools.partial(_copy_from, runtime, runtimes[transfer.src], lane)
    return Binding(fn, (), {})


def _to_host(runtime, lane, value):
    return runtime.to_host(value, lane)


def _to_device(runtime, lane, value):
    return runtime.to_device(value, lane)


def _copy_from(runtime, source, lane, value):
    return runtime.copy_from(value, source, lane)


def bind(partitioned, sched, runtimes, state, session, fetch_layout):
    """Builds the Plan.

    Args:
        partitioned: the partition stage's output.
        sched: the schedule stage's output (one StepSchedule per item).
        runtimes: {full device name: Runtime}.
        state: the session's resource dict (KernelContexts see it).
        session: the owning Session (KernelContexts see it).
        fetch_layout: per fetched element of the fetch structure, its index into
            `partitioned.fetches`, or None for an Operation.

    Returns:
        The Plan (with its straight-line program when it runs on one thread).
    """
    from flowexec.runtime.codegen import StraightLine

    graph = partitioned.graph
    slot_of = {}
    slot_refs = []
    for r in graph.feeds:
        slot_of[r] = len(slot_refs)
        slot_refs.append(r)
    fed = frozenset(graph.feeds)
    items = partitioned.items
    lane_objects = {}
    steps = []
    producer = {}
    readers_of = {}  # variable node name -> its step's fn (reads the variable's value)
    for i, (item, how) in enumerate(zip(items, sched.steps)):
        runtime = runtimes[item.device]
        step = Step()
        step.index = i
        step.node, step.transfer = item.node, item.transfer
        step.ins = tuple(slot_of[r] for r in item.inputs)
        outs = []
        for r in item.outputs:
            slot = len(slot_refs)
            producer[slot] = i
            outs.append(slot)
            slot_refs.append(r)
            if r not in fed:
                # a fed tensor's producer may still run (a control edge needs it); its
                # consumers and fetches read the fed value, as TF's feed rewrite has it
                slot_of[r] = slot
        step.outs = tuple(outs)
        step.runtime, step.device = runtime, item.device
        step.kind, step.cost, step.expensive = how.kind, how.cost, how.expensive
        step.waits, step.host_waits, step.records = how.waits, how.host_waits, how.records
        step.keep_alive, step.account, step.follows = how.keep_alive, how.account, item.follows
        step.lane = None
        if how.kind == STREAM_STEP:
            key = (item.device, how.lane)
            if key not in lane_objects:
                lane_objects[key] = runtime.lane(how.lane)
            step.lane = lane_objects[key]
        if item.node is not None:
            node = item.node
            step.op = node.user_op if len(node.origin) == 1 else node
            step.binding = bind_kernel(node, runtime, state, session)
            if node.op_def.ref_output:
                readers_of[node.name] = step.binding.fn
        else:
            step.op = item.transfer
            step.binding = _transfer_binding(item.transfer, runtime, runtimes, step.lane)
        step.fn = step.binding.fn
        steps.append(step)
    succ = [[] for _ in steps]
    consumers = [0] * len(slot_refs)
    for step, item in zip(steps, items):
        step.refs = tuple((pos, readers_of[var]) for pos, var in item.live)
        step.npreds = len(item.preds)
        for p in item.preds:
            succ[p].append(step.index)
        for s in step.ins:
            consumers[s] += 1
    for step in steps:
        step.succ = tuple(succ[step.index])
    fetched = [slot_of[r] for r in partitioned.fetches]
    plan = Plan()
    plan.steps = steps
    plan.nslots = len(slot_refs)
    plan.slot_refs = tuple(slot_refs)
    plan.feed_slots = tuple(slot_of[r] for r in graph.feeds)
    plan.fetch_slots = [None if k is None else fetched[k] for k in fetch_layout]
    plan.initial = [s.index for s in steps if s.npreds == 0]
    plan.consumers = consumers
    plan.keep = frozenset(s for s in plan.fetch_slots if s is not None)
    plan.parallel = sched.parallel
    plan.stream_lanes = [lane_objects[key] for key in sched.lanes]
    plan.fetch_waits = list(sched.fetch_waits)
    plan.accounting = any(s.account for s in steps)
    plan.producer = producer
    plan.runtimes = sorted({s.runtime for s in steps}, key=lambda r: r.name) or \
        list(runtimes.values())[:1]
    plan.critical_path = sched.critical_path
    plan.total_cost = sched.total_cost
    plan.straight = None if plan.parallel else StraightLine(plan)
    return plan
