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
"""

import itertools

from flowexec.runtime.cost import numel

_SMALL_BUFFER = 4096  # elements; smaller buffers are not worth a `del`
_counter = itertools.count()


def _is_small(ref):
    n = numel(ref.shape)
    return n is not None and n <= _SMALL_BUFFER


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
        # last reader of each slot, to free large buffers early
        last_use = {}
        for step in plan.steps:
            for s in step.ins:
                last_use[s] = step.index
        namespace = {}
        names = {}  # id(value) -> its name in the namespace: shared kernels/xp appear once
        value_of = {}  # slot -> the expression reading it (a constant: its global name)

        def global_name(prefix, value):
            name = names.get(id(value))
            if name is None:
                name = names[id(value)] = f"{prefix}{len(names)}"
                namespace[name] = value
            return name

        for step in plan.steps:
            if step.binding.const is not None:
                value_of[step.outs[0]] = f"c{step.index}"
                namespace[f"c{step.index}"] = step.binding.const[0]
        frees = {}
        for s, i in last_use.items():
            if s not in plan.keep and s not in value_of and not _is_small(plan.slot_refs[s]):
                frees.setdefault(i, []).append(s)
        for step in plan.steps:
            b = step.binding
            i = step.index
            if b.const is not None:
                continue  # read as its global by the steps that use it
            args = [global_name("p", p) for p in b.prefix]
            ins = [value_of.get(s) or f"v{s}" for s in step.ins]
            for pos, reader in step.refs:
                namespace[f"r{i}_{pos}"] = reader
                ins[pos] = f"r{i}_{pos}()"
            args += ins
            for name, value in b.kwargs.items():
                args.append(f"{name}={global_name('a', value)}")
            call = f"{global_name('k', b.kernel)}({', '.join(args)})"
            if not step.outs:
                code = call
            elif len(step.outs) == 1:
                code = f"v{step.outs[0]} = {call}"
            else:
                code = ", ".join(f"v{s}" for s in step.outs) + f", = {call}"
            lines.append("    " + code)
            line_to_step[len(lines)] = i
            if i in frees:
                lines.append("    del " + ", ".join(f"v{s}" for s in frees[i]))
        ret = ", ".join("None" if s is None else value_of.get(s) or f"v{s}"
                        for s in plan.fetch_slots)
        lines.append(f"    return ({ret}{',' if plan.fetch_slots else ''})")
        source = "\n".join(lines) + "\n"
        self.filename = f"<flowexec-plan-{next(_counter)}>"
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
