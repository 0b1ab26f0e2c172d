"""Straight-line code for plans with nothing worth overlapping.

A Python interpreter loop over steps pays for list indexing, tuple building and dispatch on
every op. For a plan that runs on one thread anyway we generate one Python function whose
body is the plan itself, with values in local variables:

    def run(vals):
        v0 = vals[0]            # a fed value
        v2 = k1(p0, v0, c0)     # Add: kernel(xp, x, y), attributes as keywords; c0 a Const
        del v0                  # last use of a large buffer
        return (v2,)

Constants, kernels, array modules and attribute values are globals of the generated code,
each object once (2,000 Adds share one kernel name). Buffers whose size is not known to be
small are deleted right after their last consumer.
A kernel error is traced back to its step through the line number of the generated code
(`step_at_line`).

`FusedWhile` generates a while loop the same way: one Python `while` whose body is the
loop condition's plan, then the loop body's plan, the loop variables carried in locals. In a
loop on the host, an op on 0-d values whose definition gives a `ScalarCode` (Add, Less, Cast,
...) is its inline expression on numpy scalars (`bv7 = bv5 + bv6`) instead of a kernel call.
"""

import itertools

import numpy as np

from flowexec.framework import dtypes
from flowexec.runtime.cost import numel

_SMALL_BUFFER = 4096  # elements; smaller buffers are not worth a `del`
_counter = itertools.count()


def _is_small(ref):
    n = numel(ref.shape)
    return n is not None and n <= _SMALL_BUFFER


class _Namespace:
    """The globals of one generated program: each object once under one name (2,000 Adds
    share one kernel name)."""

    def __init__(self):
        self.values = {}
        self._names = {}  # id(value) -> its name

    def name(self, prefix, value):
        name = self._names.get(id(value))
        if name is None:
            name = self._names[id(value)] = f"{prefix}{len(self._names)}"
            self.values[name] = value
        return name


# Dtypes whose 0-d values a generated loop computes with an op's `ScalarCode` (numpy scalars:
# numpy's own scalar math, the same ufunc loops as the kernels).
_SCALAR_DTYPES = frozenset((dtypes.bool, dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64,
                            dtypes.uint8, dtypes.uint16, dtypes.uint32, dtypes.uint64,
                            dtypes.float16, dtypes.float32, dtypes.float64))


def _scalar_code(plan, step):
    """(expression template, {name: value}) computing `step` inline, or None: a host op with
    a ScalarCode, its own kernel, one output, and only 0-d real or bool inputs and output."""
    node = step.node
    if node is None or step.refs or len(step.outs) != 1 or step.runtime.device_type != "CPU":
        return None
    od = node.op_def
    if od.scalar is None or step.binding.kernel is not od.kernel:
        return None
    refs = [plan.slot_refs[s] for s in (*step.ins, *step.outs)]
    if any(r.dtype not in _SCALAR_DTYPES or r.shape is None or r.shape.ndims != 0
           for r in refs):
        return None
    return od.scalar.code(step.binding.kwargs, [r.dtype for r in refs[:-1]])


def _emit_steps(plan, ns, prefix, indent, keep=frozenset(), value_of=None, scalars=None,
                steps=None):
    """The lines running `plan`'s steps (or those of `steps`, in their order), with its
    values in locals `{prefix}v{slot}`.

    Returns (lines, value_of): lines as (text, index of the step it runs or None), and
    {slot: expression} for slots that are constants (globals `{prefix}c{index}`) or given in
    `value_of` (a loop's carried variables). Large buffers are deleted after their last reader
    unless fetched or in `keep`. With a set `scalars`, steps with a ScalarCode are inlined
    expressions; the slots then known to hold numpy scalars are added to `scalars` (the
    constants and `value_of` slots must be numpy scalars where 0-d).
    """
    steps = plan.steps if steps is None else steps
    last_use = {}  # last reader of each slot, to free large buffers early
    for step in steps:
        for s in step.ins:
            last_use[s] = step.index
    value_of = dict(value_of or {})
    for step in plan.steps:
        if step.binding.const is not None:
            value_of[step.outs[0]] = f"{prefix}c{step.index}"
            ns.values[f"{prefix}c{step.index}"] = step.binding.const[0]
    frees = {}
    for s, i in last_use.items():
        if s not in plan.keep and s not in keep and s not in value_of and \
                not _is_small(plan.slot_refs[s]):
            frees.setdefault(i, []).append(s)
    lines = []
    for step in steps:
        b = step.binding
        i = step.index
        if b.const is not None:
            continue  # read as its global by the steps that use it
        ins = [value_of.get(s) or f"{prefix}v{s}" for s in step.ins]
        inline = None if scalars is None else _scalar_code(plan, step)
        if inline is not None:
            expr, names = inline
            names = {k: ns.name("s", v) for k, v in names.items()}
            code = f"{prefix}v{step.outs[0]} = {expr.format(*ins, **names)}"
            if not step.node.op_def.scalar.forwards or step.ins[0] in scalars or \
                    step.ins[0] in value_of:  # a carried variable or a constant: a scalar
                scalars.add(step.outs[0])
        else:
            code = _kernel_call(ns, prefix, step, ins)
        lines.append((indent + code, i))
        if i in frees:
            lines.append((indent + "del " + ", ".join(f"{prefix}v{s}" for s in frees[i]),
                          None))
    return lines, value_of


def _kernel_call(ns, prefix, step, ins):
    b, i = step.binding, step.index
    args = [ns.name("p", p) for p in b.prefix]
    for pos, reader in step.refs:
        ns.values[f"{prefix}r{i}_{pos}"] = reader
        ins[pos] = f"{prefix}r{i}_{pos}()"
    args += ins
    for name, value in b.kwargs.items():
        args.append(f"{name}={ns.name('a', value)}")
    call = f"{ns.name('k', b.kernel)}({', '.join(args)})"
    if not step.outs:
        return call
    if len(step.outs) == 1:
        return f"{prefix}v{step.outs[0]} = {call}"
    return ", ".join(f"{prefix}v{s}" for s in step.outs) + f", = {call}"


class StraightLine:
    """A compiled straight-line program for a plan.

    Call `fn(vals)` with `vals[slot]` set for every fed slot; it returns the fetched values
    (a tuple aligned with `plan.fetch_slots`, None for Operations).

    Attributes:
        fn: the compiled function.
        source: its Python source (what `Session.explain` shows).
    """

    def __init__(self, plan):
        lines = ["def run(vals):"]
        line_to_step = {}
        for slot in plan.feed_slots:
            lines.append(f"    v{slot} = vals[{slot}]")
        ns = _Namespace()
        steps, value_of = _emit_steps(plan, ns, "", "    ")
        for text, i in steps:
            lines.append(text)
            if i is not None:
                line_to_step[len(lines)] = i
        namespace = self._compile(plan, ns, value_of, lines)
        self.fn = namespace["run"]
        self._line_to_step = line_to_step

    def _compile(self, plan, ns, value_of, lines):
        """Ends `lines` with the fetches' return; compiles them (`self.source`,
        `self.filename`); returns the namespace of the compiled functions."""
        ret = ", ".join("None" if s is None else value_of.get(s) or f"v{s}"
                        for s in plan.fetch_slots)
        lines.append(f"    return ({ret}{',' if plan.fetch_slots else ''})")
        self.source = "\n".join(lines) + "\n"
        self.filename = f"<flowexec-plan-{next(_counter)}>"
        exec(compile(self.source, self.filename, "exec"), ns.values)  # noqa: S102 - our code
        return ns.values

    def step_at(self, tb):
        """The index of the step whose kernel raised, from the exception's traceback."""
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == self.filename:
                return self._line_to_step.get(tb.tb_lineno)
            tb = tb.tb_next
        return None


class TwoStages:
    """A plan's straight-line program in two calls, for a task part that answers its
    puller between them (distributed/task.py): `first(vals)` runs the steps not in
    `second` and leaves in `vals` what the second stage reads; `second(vals)` runs the
    steps of `second` and returns the fetched values, as `StraightLine.fn`.

    The steps of `second` must include everything after them (successors, data and
    control): each stage runs its steps in the plan's order, so the two calls run the plan
    in a topological order.

    Attributes:
        first, second: the compiled functions.
        source: their Python source.
    """

    def __init__(self, plan, second):
        later = [s for s in plan.steps if s.index in second]
        earlier = [s for s in plan.steps if s.index not in second]
        consts = {s.outs[0] for s in plan.steps if s.binding.const is not None}
        made_later = {slot for s in later for slot in s.outs}
        read_later = {slot for s in later for slot in s.ins}
        read_later.update(s for s in plan.fetch_slots if s is not None)
        fed = set(plan.feed_slots)
        carried = sorted(read_later - made_later - consts)
        ns = _Namespace()
        lines, line_to_step = ["def first(vals):"], {}
        for slot in plan.feed_slots:
            lines.append(f"    v{slot} = vals[{slot}]")
        self._emit(plan, ns, earlier, carried, lines, line_to_step)
        for slot in carried:
            if slot not in fed:
                lines.append(f"    vals[{slot}] = v{slot}")
        lines.append("    return None")
        lines.append("def second(vals):")
        for slot in carried:
            lines.append(f"    v{slot} = vals[{slot}]")
        value_of = self._emit(plan, ns, later, (), lines, line_to_step)
        namespace = self._compile(plan, ns, value_of, lines)
        self.first, self.second = namespace["first"], namespace["second"]
        self._line_to_step = line_to_step

    _compile = StraightLine._compile

    @staticmethod
    def _emit(plan, ns, steps, keep, lines, line_to_step):
        emitted, value_of = _emit_steps(plan, ns, "", "    ", frozenset(keep), steps=steps)
        for text, i in emitted:
            lines.append(text)
            if i is not None:
                line_to_step[len(lines)] = i
        return value_of

    step_at = StraightLine.step_at


# Kernels never write into their inputs or results (state_ops.py, fused_ops.py), so a host
# loop carries a body's results as they are; a 0-d array becomes a numpy scalar (numpy's
# cheap scalar math) and, off the host, every value comes to the host as a fetch does.
_SCALAR_TYPES = frozenset(t for t in set(np.sctypeDict.values()) if issubclass(t, np.generic))
CHECK_EVERY = 1024  # iterations between two checks for cancellation (a power of two)


class _PlanLines:
    """The lines of one plan inside a FusedWhile: `step_at` as StraightLine's."""

    def __init__(self, filename):
        self.filename = filename
        self._line_to_step = {}

    step_at = StraightLine.step_at


class FusedWhile:
    """A while loop as one generated Python `while`: the condition's and the body's
    straight-line code inlined, the loop variables in locals.

        def loop(values, cond_captured, body_captured, check):
            cv3, = cond_captured          # captured values: bound once
            x0, x1, = values
            while True:
                for _ in _chunk:          # CHECK_EVERY iterations between two checks
                    cv5 = x0 < cc2        # the condition's steps on the loop variables
                    if not cv5:
                        break
                    bv3 = x0 + bc0        # the body's steps: 0-d host ops inlined,
                    bv7 = k4(p1, bv3, x1) # others their kernel calls
                    x0, x1, = bv3, bv7 if bv7.__class__ in _scalars else _tn(bv7),
                else:
                    check()               # cancellation, once per chunk
                    continue
                break
            return [x0, x1]

    An iteration costs what its ops cost: no call, feed list or conversion per iteration,
    and none at all for a 0-d op on the host whose definition has a `ScalarCode` (numpy
    scalar math, the same ufunc loop as its kernel: exactly the kernel's values and types).
    Args: the two plans, the feed slots of each (arguments then captures, in FuncGraph input
    order), per body output its slot, and `host_bool(value)` (the predicate as a Python
    bool; used where a plan runs off the host). A kernel error is traced back to its plan and
    step with `locate`.

    With `accumulate` (a loop whose gradient is taken), a list of `("var", k)` (loop variable
    k as the iteration starts) and `("slot", s)` (the body plan's value in slot s, one it
    fetches), the function takes `appends` (one callable per entry, called once per
    iteration with that value) and returns `(values, iteration count)`.
    """

    def __init__(self, cond_plan, cond_slots, body_plan, body_slots, out_slots, host_bool,
                 accumulate=None):
        from flowexec.runtime.fetch import to_numpy

        n_vars = len(out_slots)
        on_host = all(r.device_type == "CPU" for r in (*cond_plan.runtimes,
                                                       *body_plan.runtimes))
        ns = _Namespace()
        ns.values.update(_tn=to_numpy, _hb=host_bool, _scalars=_SCALAR_TYPES,
                         _chunk=range(CHECK_EVERY))
        self.filename = f"<flowexec-while-{next(_counter)}>"
        self.cond, self.body = _PlanLines(self.filename), _PlanLines(self.filename)
        self._plans = ((self.cond, cond_plan), (self.body, body_plan))
        counting = accumulate is not None
        lines = [f"def loop(values, cond_captured, body_captured, check"
                 f"{', appends' if counting else ''}):"]

        def unpack(names, what):
            if names:
                lines.append(f"    {', '.join(names)}, = {what}")

        unpack([f"cv{s}" for s in cond_slots[n_vars:]], "cond_captured")
        unpack([f"bv{s}" for s in body_slots[n_vars:]], "body_captured")
        carried = [f"x{k}" for k in range(n_vars)]
        unpack(carried, "values")
        if counting:
            unpack([f"push{j}" for j in range(len(accumulate))], "appends")
            lines.append("    done = 0")
        lines += ["    while True:", f"        for {'n' if counting else '_'} in _chunk:"]
        indent = " " * 12
        scalars = set() if on_host else None

        def emit(plan, slots, prefix, where):
            # the plan reads the loop variables' locals themselves (reassigned only at the
            # end of the iteration)
            steps, value_of = _emit_steps(plan, ns, prefix, indent,
                                          keep=frozenset(slots[n_vars:]),
                                          value_of=dict(zip(slots, carried)), scalars=scalars)
            for text, i in steps:
                lines.append(text)
                if i is not None:
                    where._line_to_step[len(lines)] = i
            return value_of

        value_of = emit(cond_plan, cond_slots, "c", self.cond)
        s = cond_plan.fetch_slots[0]
        pred = value_of.get(s) or f"cv{s}"
        lines.append(f"{indent}if not {pred if on_host else f'_hb({pred})'}:")
        lines.append(f"{indent}    break")
        for j, (kind, k) in enumerate(accumulate or ()):
            if kind == "var":
                lines.append(f"{indent}push{j}({carried[k]})")
        value_of = emit(body_plan, body_slots, "b", self.body)
        for j, (kind, s) in enumerate(accumulate or ()):
            if kind == "slot":
                o = value_of.get(s) or f"bv{s}"
                lines.append(f"{indent}push{j}({o if on_host else f'_tn({o})'})")
        outs = []
        for s in out_slots:
            o = value_of.get(s) or f"bv{s}"
            if not on_host:
                o = f"_tn({o})"  # to the host, as trusted_call's values are
            elif s not in scalars and o not in carried and \
                    body_plan.slot_refs[s].shape.ndims == 0:
                # a 0-d value a kernel made (inlined scalars and loop variables passed
                # through are numpy scalars already)
                o = f"{o} if {o}.__class__ in _scalars else _tn({o})"
            outs.append(o)
        lines.append(f"{indent}{', '.join(carried)}, = {', '.join(outs)},")
        lines.append("        else:")
        if counting:
            lines.append(f"            done += {CHECK_EVERY}")
        lines += ["            check()", "            continue", "        break"]
        lines.append(f"    return [{', '.join(carried)}]{', done + n' if counting else ''}")
        source = "\n".join(lines) + "\n"
        exec(compile(source, self.filename, "exec"), ns.values)  # noqa: S102 - our own code
        self.fn = ns.values["loop"]
        self.source = source

    def locate(self, tb):
        """(plan, step index) of the kernel that raised, from a traceback; (None, None)."""
        for lines, plan in self._plans:
            i = lines.step_at(tb)
            if i is not None:
                return plan, i
        return None, None
