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
from flowexec.runtime.context import KernelContext

# Costs are estimated nanoseconds on one core (an op's `cost` function returns them; a CHEAP
# op with known shapes costs ~1 ns per element). A thread hand-off costs ~50 µs, so only
# steps worth more are handed to another thread, and a plan goes parallel only when at
# least a millisecond of work can overlap.
EXPENSIVE_COST = 5e4
DEFAULT_EXPENSIVE = 1e5   # an EXPENSIVE op whose shapes are unknown
PARALLEL_MIN_SAVING = 1e6
PARALLEL_MIN_RATIO = 1.15


class Step:
    """One op of a plan (mutable only while the plan is being built)."""

    __slots__ = ("index", "op", "binding", "fn", "ins", "outs", "succ", "npreds", "cost",
                 "expensive", "runtime", "device", "refs")

    def __init__(self, index, op, binding, ins, outs, runtime):
        self.index = index
        self.op = op
        self.binding = binding
        self.fn = binding.fn
        self.ins = ins
        self.outs = outs
        self.succ = ()
        self.npreds = 0
        self.cost = 0.0
        self.expensive = False
        self.runtime = runtime
        self.device = runtime.name
        self.refs = ()  # ((input position, reader), ...): inputs that read a variable live

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
    if op.type == "Const":
        value = op.attrs["value"]
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


def build_plan(pruned, placement, runtimes, state, session, fetch_elements, num_threads):
    """Builds the Plan. `runtimes` maps device name -> Runtime."""
    plan = Plan()
    plan.placement = placement
    slot_of = {}
    nslots = 0
    fed = {}
    for t in pruned.feeds:
        fed[t] = nslots
        plan.feeds.append(FeedSpec(t, nslots))
        nslots += 1
    index_of = {}
    steps = []
    # TF1 ref semantics: a VariableV2 output, and Identity chains over it such as `v/read`,
    # stand for the variable itself, so a consumer reads the variable's value when it runs
    # (after the assigns its control dependencies wait for), not when the read op ran.
    ref_reader = {}
    for op in pruned.ops:
        outs = []
        for t in op.outputs:
            slot_of[t] = nslots
            outs.append(nslots)
            nslots += 1
        ins = tuple(fed[t] if t in fed else slot_of[t] for t in op.inputs)
        runtime = runtimes[placement[op]]
        binding = bind_kernel(op, runtime, state, session)
        step = Step(len(steps), op, binding, ins, tuple(outs), runtime)
        step.refs = tuple((pos, ref_reader[t]) for pos, t in enumerate(op.inputs)
                          if t in ref_reader)
        if op.type == "VariableV2" and op.outputs[0] not in fed:
            ref_reader[op.outputs[0]] = binding.fn
        elif op.type == "Identity" and op.inputs[0] in ref_reader and op.outputs[0] not in fed:
            ref_reader[op.outputs[0]] = ref_reader[op.inputs[0]]
        index_of[op] = step.index
        steps.append(step)
    plan.nslots = nslots
    consumers = [0] * nslots
    succ = [set() for _ in steps]
    for step in steps:
        preds = set()
        for t in step.op.inputs:
            if t not in fed:
                preds.add(index_of[t.op])
        for c in step.op._control_inputs:
            if c in index_of:
                preds.add(index_of[c])
        for s in step.ins:
            consumers[s] += 1
        step.npreds = len(preds)
        for p in preds:
            succ[p].add(step.index)
    for step in steps:
        step.succ = tuple(sorted(succ[step.index]))
        step.cost = estimate_cost(step.op)
        step.expensive = step.cost >= EXPENSIVE_COST
    plan.steps = steps
    plan.initial = [s.index for s in steps if s.npreds == 0]
    plan.consumers = consumers
    fetch_slots = []
    for el in fetch_elements:
        if hasattr(el, "value_index"):
            fetch_slots.append(fed[el] if el in fed else slot_of[el])
        else:
            fetch_slots.append(None)
    plan.fetch_slots = fetch_slots
    plan.keep = frozenset(s for s in fetch_slots if s is not None)
    plan.runtimes = sorted({s.runtime for s in steps}, key=lambda r: r.name) or \
        list(runtimes.values())[:1]
    plan.parallel = choose_parallel(plan, num_threads)
    return plan


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
    devices = {s.device for s in steps}
    if len(devices) > 1:
        return True
    if num_threads <= 1 or total == 0.0:
        return False
    return (total - critical) >= PARALLEL_MIN_SAVING and total >= PARALLEL_MIN_RATIO * critical
