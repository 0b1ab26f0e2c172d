"""`tf.CriticalSection`: `execute(fn)` runs the ops `fn` builds so that no two runs of any
`execute` of one critical section overlap, across concurrent `Session.run` calls.

TF builds a MutexV2 resource, a MutexLock op the body's ops depend on, and ConsumeMutexLock
after them. flowexec traces `fn` into a function graph (as `tf.cond` traces a branch) run by
one `CriticalSectionExecute` op, whose kernel takes the section's lock, runs the function and
releases the lock whether it succeeds or fails (a lock is never left held by a failed step);
a run waiting for the lock gives up when its step is cancelled. The lock lives in the
Session's state (on a cluster, on the task running the op), named by `shared_name` or the
section's name, so sections with one `shared_name` share it.

At graph construction, as TF: `execute` inside the same section's `execute` is a ValueError
(it would deadlock), and with `exclusive_resource_access=True` (the default) the variables
`fn` uses may not be used by another section's `execute` (ValueError naming them).
"""

import threading

from flowexec.framework import errors, nest
from flowexec.framework import function as function_mod
from flowexec.framework import graph as graph_mod
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.node_def_form import NodeDefForm
from flowexec.framework.operation import Operation
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor import Tensor

__all__ = ["CriticalSection"]

_POLL = 0.02
_CREATE_LOCK = threading.Lock()
_EXECUTIONS = "critical_section_executions"  # graph collection: (section, variable ops, excl.)
_tracing = threading.local()  # .sections: the sections whose fn is being traced


def _outputs_infer(op):
    return list(zip(op.attrs["Tout"], op.attrs["output_shapes"]))


@defop("CriticalSectionExecute", infer=_outputs_infer, stateful=True, needs_ctx=True,
       device_types=("CPU",), node_def=NodeDefForm(flowexec_only=True, reason=(
           "flowexec runs a critical section's body as one function op (TF: MutexLock, the "
           "body's ops, ConsumeMutexLock)")))
def _execute(ctx, xp, *input, f, mutex, n_captures):
    key = ("mutex", mutex)
    lock = ctx.state.get(key)
    if lock is None:
        with _CREATE_LOCK:
            lock = ctx.state.setdefault(key, threading.Lock())
    while not lock.acquire(timeout=_POLL):
        if ctx.step_cancelled():
            raise errors.CancelledError(None, ctx.op, "Lock acquisition was cancelled: the "
                                                      f"critical section {mutex} is busy")
    try:
        out = ctx.function(f).call((), input[:n_captures])
    finally:
        lock.release()
    if not out:
        return ()
    return out[0] if len(out) == 1 else tuple(out)


_execute.not_differentiable()


class CriticalSection:
    """Serializes the ops of `execute(fn)` across concurrent session runs (TF's
    `tf.CriticalSection`).

    Args:
        name: the section's name (default "CriticalSection", made unique).
        shared_name: sections with this shared name share one lock.
        critical_section_def, import_scope: not supported (flowexec's sections are not
            exported to MetaGraphDefs); must be None.

    Example:
        >>> cs = tf.CriticalSection()
        >>> def add_one():
        ...     with tf.control_dependencies([v.assign_add(1.0)]):
        ...         return v.read_value()
        >>> step = cs.execute(add_one)   # concurrent runs never interleave the read and add
    """

    def __init__(self, name=None, shared_name=None, critical_section_def=None,
                 import_scope=None):
        if critical_section_def is not None or import_scope is not None:
            raise ValueError("critical_section_def and import_scope are not supported: "
                             "flowexec's critical sections are built in Python only.")
        graph = graph_mod.get_default_graph()
        with graph.as_default(), graph_mod.name_scope(name, "CriticalSection", []) as scope:
            self._name = scope.rstrip("/")
        self._shared_name = shared_name or self._name
        self._graph = graph

    @property
    def name(self):
        return self._name

    def execute(self, fn, exclusive_resource_access=True, name=None):
        """The result of `fn()`, its ops run under the section's lock.

        Args:
            fn: a function of no arguments building ops; returns a nest of Tensors (or
                Operations, or None).
            exclusive_resource_access: no other section's `execute` may use the variables
                `fn` uses.
            name: the op's name scope.

        Returns:
            `fn()`'s structure with each Tensor replaced by the op's output (an Operation
            by the op itself).

        Raises:
            ValueError: `execute` within this section's `execute`, or a variable already
                protected by another section.
        """
        sections = getattr(_tracing, "sections", [])
        if self in sections:
            raise ValueError("Attempting to lock a CriticalSection in which we are already "
                             f"running (name: {self._name}). This is illegal and may cause "
                             "deadlocks.")
        op_leaves = []  # the stand-ins of the Operations fn returns
        with self._graph.as_default(), \
                graph_mod.name_scope(name, "critical_section_execute", []) as scope:
            _tracing.sections = sections + [self]
            try:
                fg = function_mod.trace(lambda: _result(fn(), op_leaves), [],
                                        f"{self._name}_body")
            finally:
                _tracing.sections = sections
            self._check_exclusive(fg, exclusive_resource_access)
            out = apply_op("CriticalSectionExecute", *fg.external_captures,
                           *[v.outputs[0] for v in fg.variables], name=scope,
                           control_inputs=list(fg.control_captures), f=fg,
                           mutex=self._shared_name, n_captures=len(fg.captures),
                           Tout=[t.dtype for t in fg.outputs],
                           output_shapes=[t.shape for t in fg.outputs])
        if isinstance(out, Operation):  # fn returned None or nothing
            return out
        outs = [out] if isinstance(out, Tensor) else list(out)
        flat = nest.flatten(fg.structured_outputs)
        leaves = [outs[0].op if any(leaf is t for t in op_leaves) else o
                  for leaf, o in zip(flat, outs)]
        return nest.pack_sequence_as(fg.structured_outputs, leaves)

    def _check_exclusive(self, fg, exclusive):
        names = {v.name for v in fg.variables}
        graph = self._graph
        for section, used, was_exclusive in graph.get_collection(_EXECUTIONS):
            if section._shared_name == self._shared_name or not (exclusive or was_exclusive):
                continue
            shared = sorted(names & used)
            if shared:
                raise ValueError(
                    f"This execution would access resources: {shared}. Either this lock "
                    f"(CriticalSection: {self._name}) or lock '{section._name}' "
                    f"(CriticalSection: {section._name}) requested exclusive resource access "
                    "of this resource. Did you mean to call execute with keyword argument "
                    "exclusive_resource_access=False?")
        graph.add_to_collection(_EXECUTIONS, (self, names, exclusive))


def _result(res, op_leaves):
    from flowexec.ops import constant_op

    def convert(v):
        if isinstance(v, Operation):  # run it, and stand for it with a bool
            with graph_mod.get_default_graph().control_dependencies([v]):
                t = constant_op.constant(True)
            op_leaves.append(t)
            return t
        return v if isinstance(v, Tensor) else convert_to_tensor(v)

    return [] if res is None else nest.map_structure(convert, res)
