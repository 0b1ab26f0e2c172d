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
loop condition's plan, then the loop body's plan, the loop variables carried in locals.
"""

import itertools

import numpy as np

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


def _emit_steps(plan, ns, prefix, indent, keep=frozenset()):
    """The lines running `plan`'s steps, with its values in locals `{prefix}v{slot}`.

    Returns (lines, value_of): lines as (text, index of the step it runs or None), and
    {slot: expression} for slots that are constants (globals `{prefix}c{index}`). Large
    buffers are deleted after their last reader unless fetched or in `keep`.
    """
    last_use = {}  # last reader of each slot, to free large buffers early
    for step in plan.steps:
        for s in step.ins:
            last_use[s] = step.index
    value_of = {}
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
    for step in plan.steps:
        b = step.binding
        i = step.index
        if b.const is not None:
            continue  # read as its global by the steps that use it
        args = [ns.name("p", p) for p in b.prefix]
        ins = [value_of.get(s) or f"{prefix}v{s}" for s in step.ins]
        for pos, reader in step.refs:
            ns.values[f"{prefix}r{i}_{pos}"] = reader
            ins[pos] = f"{prefix}r{i}_{pos}()"
        args += ins
        for name, value in b.kwargs.items():
            args.append(f"{name}={ns.name('a', value)}")
        call = f"{ns.name('k', b.kernel)}({', '.join(args)})"
        if not step.outs:
            code = call
        elif len(step.outs) == 1:
            code = f"{prefix}v{step.outs[0]} = {call}"
        else:
            code = ", ".join(f"{prefix}v{s}" for s in step.outs) + f", = {call}"
        lines.append((indent + code, i))
        if i in frees:
            lines.append((indent + "del " + ", ".join(f"{prefix}v{s}" for s in frees[i]),
                          None))
    return lines, value_of


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
        ret = ", ".join("None" if s is None else value_of.get(s) or f"v{s}"
                        for s in plan.fetch_slots)
        lines.append(f"    return ({ret}{',' if plan.fetch_slots else ''})")
        source = "\n".join(lines) + "\n"
        self.filename = f"<flowexec-plan-{next(_counter)}>"
        namespace = ns.values
        exec(compile(source, self.filename, "exec"), namespace)  # noqa: S102 - our own code
        self.fn = namespace["run"]
        self.source = source
        self._line_to_step = line_to_step

    def step_at(self, tb):
        """The index of the step whose kernel raised, from the exception's traceback."""
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == self.filename:
                return self._line_to_step.get(tb.tb_lineno)
            tb = tb.tb_next
        return None


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
            n = 0
            while True:
                cv0 = x0; cv1 = x1        # the condition's steps on the loop variables
                cv5 = k0(p1, cv0, cc2)
                if not cv5: break
                bv0 = x0; bv1 = x1        # the body's steps
                ...
                x0, x1, = bv7, bv9 if bv9.__class__ in _scalars else _tn(bv9),
                n += 1
                if not n & 1023: check()  # cancellation, cheaply
            return [x0, x1]

    An iteration costs what its kernels cost: no call, feed list or conversion per
    iteration. Args: the two plans, the feed slots of each (arguments then captures, in
    FuncGraph input order), per body output its slot, and `host_bool(value)` (the
    predicate as a Python bool; used where a plan runs off the host). A kernel error is
    traced back to its plan and step with `locate`.
    """

    def __init__(self, cond_plan, cond_slots, body_plan, body_slots, out_slots, host_bool):
        from flowexec.runtime.fetch import to_numpy

        n_vars = len(out_slots)
        on_host = all(r.device_type == "CPU" for r in (*cond_plan.runtimes,
                                                       *body_plan.runtimes))
        ns = _Namespace()
        ns.values.update(_tn=to_numpy, _hb=host_bool, _scalars=_SCALAR_TYPES)
        self.filename = f"<flowexec-while-{next(_counter)}>"
        self.cond, self.body = _PlanLines(self.filename), _PlanLines(self.filename)
        self._plans = ((self.cond, cond_plan), (self.body, body_plan))
        lines = ["def loop(values, cond_captured, body_captured, check):"]

        def unpack(names, what):
            if names:
                lines.append(f"    {', '.join(names)}, = {what}")

        unpack([f"cv{s}" for s in cond_slots[n_vars:]], "cond_captured")
        unpack([f"bv{s}" for s in body_slots[n_vars:]], "body_captured")
        carried = [f"x{k}" for k in range(n_vars)]
        unpack(carried, "values")
        lines += ["    n = 0", "    while True:"]

        def emit(plan, slots, prefix, where):
            for s, x in zip(slots, carried):
                lines.append(f"        {prefix}v{s} = {x}")
            steps, value_of = _emit_steps(plan, ns, prefix, "        ",
                                          keep=frozenset(slots[n_vars:]))
            for text, i in steps:
                lines.append(text)
                if i is not None:
                    where._line_to_step[len(lines)] = i
            return value_of

        value_of = emit(cond_plan, cond_slots, "c", self.cond)
        s = cond_plan.fetch_slots[0]
        pred = value_of.get(s) or f"cv{s}"
        lines.append(f"        if not {pred if on_host else f'_hb({pred})'}:")
        lines.append("            break")
        value_of = emit(body_plan, body_slots, "b", self.body)
        outs = []
        for s in out_slots:
            o = value_of.get(s) or f"bv{s}"
            if not on_host:
                o = f"_tn({o})"  # to the host, as trusted_call's values are
            elif body_plan.slot_refs[s].shape.ndims == 0:
                o = f"{o} if {o}.__class__ in _scalars else _tn({o})"
            outs.append(o)
        lines.append(f"        {', '.join(carried)}, = {', '.join(outs)},")
        lines.append("        n += 1")
        lines.append(f"        if not n & {CHECK_EVERY - 1}:")
        lines.append("            check()")
        lines.append(f"    return [{', '.join(carried)}]")
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
