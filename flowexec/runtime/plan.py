"""Plan: turn a pruned, placed graph into the data the executor runs.

A plan numbers every value a step produces (a "slot"), binds each op's kernel to its
device's array module and attributes (`fn(*input_values)`), records each step's input and
output slots, its successors and how many predecessors it waits for, and the static cost
that decides where it runs:

* cheap steps run inline on the thread that made them ready;
* expensive steps (cost at least `EXPENSIVE_COST`) may be handed to another worker so they
  overlap; a hand-off costs ~50 µs, so only work that is worth more is handed off.

`choose_parallel` decides once per plan whether the graph has enough independent expensive
work to be worth threads at all: when the longest cost-weighted path is nearly the whole
cost, the plan runs as straight-line code (see `codegen.py`), paying no synchronisation.
"""

import functools

from flowexec.framework import registry
from flowexec.runtime import partition, streams
from flowexec.runtime.context import KernelContext
from flowexec.runtime.streams import HOST_STEP, STREAM_STEP

# Costs are estimated nanoseconds on one core (an op's `cost` function returns them; a CHEAP
# op with known shapes costs ~1 ns per element). A thread hand-off costs ~50 µs, so only
# steps worth more are handed to another thread, and a plan goes parallel only when at
# least a millisecond of work can overlap.
EXPENSIVE_COST = 5e4
DEFAULT_EXPENSIVE = 1e5   # an EXPENSIVE op whose shapes are unknown
PARALLEL_MIN_SAVING = 1e6
PARALLEL_MIN_RATIO = 1.15


class Step:
    """One op (or transfer) of a plan (mutable only while the plan is being built).

    Attributes:
        op: the Operation, or a `partition.TransferNode` for a transfer.
        fn: `fn(*input_values)` -> the output value (a tuple for several outputs).
        ins, outs: value slots read and written.
        succ, npreds: successors (data and control) and how many predecessors it waits for.
        kind: HOST_STEP or STREAM_STEP.
        lane: the Lane a STREAM_STEP is issued to (None for host steps).
        waits: STREAM_STEP: steps on other lanes whose events its lane waits for.
        host_waits: HOST_STEP: stream steps whose events the thread waits for first.
        records: whether an event is recorded after the step (someone waits for it).
        keep_alive: input positions whose buffers come from another lane.
        account: whether outputs are accounted against the device's memory limit.
    """

    __slots__ = ("index", "op", "binding", "fn", "ins", "outs", "succ", "npreds", "cost",
                 "expensive", "runtime", "device", "refs", "kind", "lane", "waits",
                 "host_waits", "records", "keep_alive", "account", "follows")

    def __init__(self, index, op, binding, ins, outs, runtime):
        self.index = index
        self.op = op
        self.binding = binding
        self.fn = binding.fn if binding is not None else None
        self.ins = ins
        self.outs = outs
        self.succ = ()
        self.npreds = 0
        self.cost = 0.0
        self.expensive = False
        self.runtime = runtime
        self.device = runtime.name
        self.refs = ()  # ((input position, reader), ...): inputs that read a variable live
        self.kind = STREAM_STEP if runtime.asynchronous else HOST_STEP
        self.lane = None
        self.waits = ()
        self.host_waits = ()
        self.records = False
        self.keep_alive = ()
        self.account = runtime.enforces_memory_limit
        self.follows = None  # a device-to-host copy goes on its producer's lane

    def __repr__(self):
        return f"<Step {self.index} {self.op.name} ins={self.ins} outs={self.outs}>"


class FeedSpec:
    """How to check and convert one fed value (precomputed so `run` does no lookups)."""

    __slots__ = ("tensor", "slot", "np_dtype", "dims", "is_int")

    def __init__(self, tensor, slot):
        self.tensor = tensor
        self.slot = slot
        self.np_dtype = tensor.dtype.np
        shape = tensor.shape
        self.dims = None if shape.ndims is None else tuple(shape.as_list())
        self.is_int = tensor.dtype.is_integer


class Plan:
    """Everything `execute` needs for one (fetches, feeds, targets) combination.

    Attributes:
        steps: Steps in topological order.
        nslots: number of value slots.
        feeds: FeedSpecs, one per fed tensor.
        fetch_slots: per fetched element, its slot (None for an Operation).
        initial: indices of steps with no predecessors.
        consumers: per slot, how many steps read it (for releasing buffers).
        keep: slots that must survive the step (fetched values).
        parallel: whether to run with worker threads (else straight-line code).
        placement: {Operation: device name}.
        runtimes: the device runtimes the plan uses.
    """

    def __init__(self):
        self.steps = []
        self.nslots = 0
        self.feeds = []
        self.fetch_slots = []
        self.initial = []
        self.consumers = []
        self.keep = frozenset()
        self.parallel = False
        self.placement = {}
        self.runtimes = []
        self.straight = None
        self.stream_lanes = []
        self.accounting = False
        self.producer = {}
        self.fetch_waits = []
        self.critical_path = 0.0
        self.total_cost = 0.0


def _numel(shape):
    if not shape.is_fully_defined():
        return None
    n = 1
    for d in shape.as_tuple():
        n *= d
    return n


def estimate_cost(op):
    """Static cost of one op in estimated nanoseconds (see the constants above)."""
    c = op.op_def.estimated_cost(op)
    if isinstance(c, (int, float)):
        return float(c)
    sizes = [_numel(t.shape) for t in op.outputs] + [_numel(t.shape) for t in op.inputs]
    known = [s for s in sizes if s is not None]
    if c == registry.EXPENSIVE:
        return float(max(known)) * 4 if known and len(known) == len(sizes) else DEFAULT_EXPENSIVE
    return float(max(known)) if known else 1.0


class Binding:
    """How to call one op's kernel: `kernel(*prefix, *inputs, **kwargs)`.

    `prefix` is `(xp,)` or `(ctx, xp)`. A Const has `const` set to its value and no call.
    `fn` is the same call as one callable, for the interpreted executor.
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


def bind_kernel(op, runtime, state, session):
    """The Binding of `op` on `runtime`: the kernel with xp, ctx and attributes."""
    op_def = op.op_def
    if op_def.constant is not None:
        value = op_def.constant(op)
        if runtime.device_type != "CPU":
            value = runtime.to_device(value)
        elif value.ndim == 0 and value.dtype.kind != "O":
            # numpy scalars take numpy's fast scalar-math path (~10x cheaper than 0-d arrays)
            value = value[()]
        return Binding(None, (), {}, const=(value,))
    kernel = op_def.kernel_for(runtime.device_type)
    kwargs = op_def.kernel_kwargs(op)
    if op_def.needs_ctx:
        prefix = (KernelContext(op, state, runtime, session), runtime.xp)
    else:
        prefix = (runtime.xp,)
    return Binding(kernel, prefix, kwargs)


def _return_value(value):
    return value[0]


class _Router:
    """Which slot a consumer reads for a tensor: its producer's, or a transfer's copy.

    A transfer step is made the first time a (tensor, destination memory) pair is needed
    and shared by every later reader there (see partition.py)."""

    def __init__(self, plan, steps, runtimes):
        self.plan = plan
        self.steps = steps
        self.runtimes = runtimes
        self.copies = {}    # (slot, memory space) -> slot of the copy
        self.home = {}      # slot -> runtime holding it (None: host memory, e.g. a feed)
        self.producer = {}  # slot -> step index

    def new_slot(self):
        slot = self.plan.nslots
        self.plan.nslots += 1
        return slot

    def add_step(self, op, binding, ins, outs, runtime):
        step = Step(len(self.steps), op, binding, ins, tuple(outs), runtime)
        self.steps.append(step)
        for s in outs:
            self.producer[s] = step.index
            self.home[s] = runtime
        return step

    def route(self, tensor, slot, dst):
        """The slot that a reader on runtime `dst` (None: the client) reads `tensor` from."""
        src = self.home.get(slot)
        src_space = partition.HOST if src is None else partition.memory_space(src)
        dst_space = partition.HOST if dst is None else partition.memory_space(dst)
        if src_space == dst_space:
            return slot
        key = (slot, dst_space)
        copy = self.copies.get(key)
        if copy is None:
            copy = self.new_slot()
            if dst_space == partition.HOST:  # device -> host, on the producer's lane
                node = partition.TransferNode(tensor, src.name, "" if dst is None else
                                              dst.name, True)
                step = self.add_step(node, None, (slot,), (copy,), src)
                step.follows = self.producer[slot]
                step.account = False
                self.home[copy] = None
            else:  # host -> device, or device -> device: on a lane of the destination
                node = partition.TransferNode(tensor, "" if src is None else src.name,
                                              dst.name, False)
                step = self.add_step(node, None, (slot,), (copy,), dst)
            step.cost = _transfer_cost(tensor)
            self.copies[key] = copy
        return copy


def _transfer_cost(tensor):
    n = _numel(tensor.shape)
    return float(n * tensor.dtype.size) / 10.0 if n is not None else DEFAULT_EXPENSIVE


def build_plan(pruned, placement, runtimes, state, session, fetch_elements, num_threads,
               max_lanes=0):
    """Builds the Plan. `runtimes` maps device name -> Runtime; `max_lanes` caps the lanes
    (streams) used per asynchronous device (0: all)."""
    plan = Plan()
    plan.placement = placement
    steps = []
    router = _Router(plan, steps, runtimes)
    slot_of = {}
    fed = {}
    for t in pruned.feeds:
        fed[t] = router.new_slot()
        plan.feeds.append(FeedSpec(t, fed[t]))
    index_of = {}
    # TF1 ref semantics: a VariableV2 output, and Identity chains over it such as `v/read`,
    # stand for the variable itself, so a consumer reads the variable's value when it runs
    # (after the assigns its control dependencies wait for), not when the read op ran.
    ref_reader = {}
    for op in pruned.ops:
        runtime = runtimes[placement[op]]
        ins = tuple(router.route(t, fed[t] if t in fed else slot_of[t], runtime)
                    for t in op.inputs)
        outs = [router.new_slot() for _ in op.outputs]
        for t, s in zip(op.outputs, outs):
            slot_of[t] = s
        binding = bind_kernel(op, runtime, state, session)
        step = router.add_step(op, binding, ins, outs, runtime)
        space = partition.memory_space(runtime)
        step.refs = tuple((pos, ref_reader[t][0]) for pos, t in enumerate(op.inputs)
                          if t in ref_reader and ins[pos] == slot_of.get(t)
                          and ref_reader[t][1] == space)
        if op.op_def.ref_output and op.outputs[0] not in fed:
            ref_reader[op.outputs[0]] = (binding.fn, space)
            step.account = False  # a variable's buffer is state, not a step's output
        elif op.op_def.forwards_ref and op.inputs[0] in ref_reader and \
                op.outputs[0] not in fed and ref_reader[op.inputs[0]][1] == space:
            ref_reader[op.outputs[0]] = ref_reader[op.inputs[0]]
        index_of[op] = step.index
    # A transfer whose source is a variable's ref reads the variable (on its own device)
    # when the transfer runs: across memory spaces the value is taken when it is sent, as
    # TF1's Send does, not when each reader on the other device runs.
    for step in steps:
        if isinstance(step.op, partition.TransferNode) and step.op.tensor in ref_reader and \
                step.ins[0] == slot_of.get(step.op.tensor):
            step.refs = ((0, ref_reader[step.op.tensor][0]),)
    fetch_slots = []
    for el in fetch_elements:
        if hasattr(el, "value_index"):
            slot = fed[el] if el in fed else slot_of[el]
            fetch_slots.append(router.route(el, slot, None))
        else:
            fetch_slots.append(None)
    consumers = [0] * plan.nslots
    succ = [set() for _ in steps]
    preds_of = []
    for step in steps:
        preds = {router.producer[s] for s in step.ins if s in router.producer}
        for c in step.op._control_inputs:
            if c in index_of:
                preds.add(index_of[c])
        for s in step.ins:
            consumers[s] += 1
        step.npreds = len(preds)
        preds_of.append(preds)
        for p in preds:
            succ[p].add(step.index)
    for step in steps:
        step.succ = tuple(sorted(succ[step.index]))
        if not isinstance(step.op, partition.TransferNode):
            step.cost = estimate_cost(step.op)
        # Issuing to a lane is cheap whatever the kernel costs: the device runs it.
        step.expensive = step.kind == HOST_STEP and step.cost >= EXPENSIVE_COST
    plan.steps = steps
    plan.stream_lanes = streams.assign_lanes(steps, preds_of, router.producer, max_lanes)
    for step in steps:
        if isinstance(step.op, partition.TransferNode):
            step.binding = Binding(_transfer_kernel(step, runtimes), (), {})
            step.fn = step.binding.fn
    for s in fetch_slots:  # a fetched value of a stream device: waited for by its event
        p = router.producer.get(s)
        if p is not None and steps[p].kind == STREAM_STEP:
            steps[p].records = True
            if p not in plan.fetch_waits:
                plan.fetch_waits.append(p)
    plan.initial = [s.index for s in steps if s.npreds == 0]
    plan.consumers = consumers
    plan.fetch_slots = fetch_slots
    plan.keep = frozenset(s for s in fetch_slots if s is not None)
    plan.runtimes = sorted({s.runtime for s in steps}, key=lambda r: r.name) or \
        list(runtimes.values())[:1]
    plan.accounting = any(s.account for s in steps)
    plan.producer = router.producer
    plan.parallel = choose_parallel(plan, num_threads)
    return plan


def _transfer_kernel(step, runtimes):
    """The copy a transfer step makes, on its lane (see devices.runtime for the calls)."""
    node = step.op
    lane = step.lane
    if node.to_host:
        return functools.partial(_to_host, step.runtime, lane)
    if not node.src:
        return functools.partial(_to_device, step.runtime, lane)
    return functools.partial(_copy_from, step.runtime, runtimes[node.src], lane)


def _to_host(runtime, lane, value):
    return runtime.to_host(value, lane)


def _to_device(runtime, lane, value):
    return runtime.to_device(value, lane)


def _copy_from(runtime, source, lane, value):
    return runtime.copy_from(value, source, lane)


def choose_parallel(plan, num_threads):
    """True when overlapping independent expensive steps can save more than it costs."""
    steps = plan.steps
    total = 0.0
    longest = [0.0] * len(steps)
    preds = [[] for _ in steps]
    for s in steps:
        for n in s.succ:
            preds[n].append(s.index)
    critical = 0.0
    for s in steps:
        w = s.cost if s.expensive else 0.0
        total += w
        best = max((longest[p] for p in preds[s.index]), default=0.0)
        longest[s.index] = best + w
        critical = max(critical, longest[s.index])
    plan.total_cost = total
    plan.critical_path = critical
    if plan.stream_lanes or plan.accounting:
        return True  # events and memory accounting live in the interpreted executor
    if num_threads <= 1 or total == 0.0:
        return False
    return (total - critical) >= PARALLEL_MIN_SAVING and total >= PARALLEL_MIN_RATIO * critical
