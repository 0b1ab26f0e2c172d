"""Straight-line code for plans with nothing worth overlapping.

A Python interpreter loop over steps pays for list indexing, tuple building and dispatch on
every op. For a plan that runs on one thread anyway we generate one Python function whose
body is the plan itself, with values in local variables:

    def run(vals):
        v0 = vals[0]            # a fed value
        v1 = c0                 # a Const's value
        v2 = k1(p1_0, v0, v1)   # Add: kernel(xp, x, y), attributes as keywords
        del v0                  # last use of a large buffer
        return (v2,)

Buffers whose size is not known to be small are deleted right after their last consumer.
A kernel error is traced back to its step through the line number of the generated code
(`step_at_line`).
"""

import itertools

_SMALL_BUFFER = 4096  # elements; smaller buffers are not worth a `del`
_counter = itertools.count()


def _is_small(tensor):
    shape = tensor.shape
    if not shape.is_fully_defined():
        return False
    n = 1
    for d in shape.as_tuple():
        n *= d
    return n <= _SMALL_BUFFER


class StraightLine:
    """A compiled straight-line program for a plan.

    Call `fn(vals)` with `vals[slot]` set for every fed slot; it returns the fetched values
    (a tuple aligned with `plan.fetch_slots`, None for Operations).
    """

    def __init__(self, plan):
        lines = ["def run(vals):"]
        line_to_step = {}
        for spec in plan.feeds:
            lines.append(f"    v{spec.slot} = vals[{spec.slot}]")
        # last reader of each slot, to free large buffers early
        last_use = {}
        for step in plan.steps:
            for s in step.ins:
                last_use[s] = step.index
        tensor_of_slot = {}
        for step in plan.steps:
            for t, s in zip(step.op.outputs, step.outs):
                tensor_of_slot[s] = t
        for spec in plan.feeds:
            tensor_of_slot[spec.slot] = spec.tensor
        frees = {}
        for s, i in last_use.items():
            if s not in plan.keep and not _is_small(tensor_of_slot[s]):
                frees.setdefault(i, []).append(s)
        namespace = {}
        for step in plan.steps:
            b = step.binding
            i = step.index
            if b.const is not None:
                namespace[f"c{i}"] = b.const[0]
                code = f"v{step.outs[0]} = c{i}"
            else:
                namespace[f"k{i}"] = b.kernel
                args = []
                for j, p in enumerate(b.prefix):
                    namespace[f"p{i}_{j}"] = p
                    args.append(f"p{i}_{j}")
                ins = [f"v{s}" for s in step.ins]
                for pos, reader in step.refs:
                    namespace[f"r{i}_{pos}"] = reader
                    ins[pos] = f"r{i}_{pos}()"
                args += ins
                for name, value in b.kwargs.items():
                    namespace[f"a{i}_{name}"] = value
                    args.append(f"{name}=a{i}_{name}")
                call = f"k{i}({', '.join(args)})"
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
        ret = ", ".join("None" if s is None else f"v{s}" for s in plan.fetch_slots)
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
