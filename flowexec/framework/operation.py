"""Operation: a node of the graph, with its inputs, outputs, attributes and origin.

Operations are immutable after construction except for control inputs added by
`_add_control_input` (used by `group` and optimizers before a graph runs).
"""

import os
import sys

_FRAMEWORK_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _user_frame():
    """(filename, lineno, function) of the first caller outside the flowexec package."""
    f = sys._getframe(2)
    while f is not None:
        fn = f.f_code.co_filename
        if not fn.startswith(_FRAMEWORK_ROOT):
            return fn, f.f_lineno, f.f_code.co_name
        f = f.f_back
    return "<unknown>", 0, "<unknown>"


class Operation:
    """A node that computes zero or more tensors from zero or more tensors.

    Attributes:
        name: unique name in its graph.
        type: the registered op type, e.g. "MatMul".
        inputs: the input Tensors, in order.
        outputs: the output Tensors, in order.
        control_inputs: Operations that must run before this one.
        device: the requested device string ("" when unconstrained).
        graph: the owning Graph.
        traceback: (filename, lineno, function) of the user code that created the op.
    """

    __slots__ = ("_graph", "_name", "_type", "_inputs", "_outputs", "_control_inputs", "_attrs",
                 "_device", "_id", "_traceback", "_op_def", "_colocation", "_consumers",
                 "__weakref__")

    def __init__(self, graph, op_type, name, inputs, attrs, control_inputs, op_def):
        self._graph = graph
        self._type = op_type
        self._name = name
        self._inputs = tuple(inputs)
        self._outputs = ()
        self._control_inputs = list(control_inputs)
        self._attrs = attrs
        self._device = ""
        self._id = -1
        self._traceback = _user_frame()
        self._op_def = op_def
        self._colocation = ()

    @property
    def name(self):
        return self._name

    @property
    def type(self):
        return self._type

    @property
    def graph(self):
        return self._graph

    @property
    def inputs(self):
        return self._inputs

    @property
    def outputs(self):
        return self._outputs

    def values(self):
        return self._outputs

    @property
    def control_inputs(self):
        return list(self._control_inputs)

    @property
    def device(self):
        return self._device

    def _set_device(self, device):
        self._device = device or ""

    @property
    def attrs(self):
        return self._attrs

    @property
    def op_def(self):
        return self._op_def

    @property
    def traceback(self):
        return self._traceback

    @property
    def colocation_groups(self):
        """Names of ops this op must share a device with (`loc:@name`), itself included."""
        return [f"loc:@{n}" for n in (self._colocation or (self._name,))]

    @property
    def node_def(self):
        return {"name": self._name, "op": self._type, "device": self._device,
                "input": [t.name for t in self._inputs] + ["^" + c.name
                                                           for c in self._control_inputs]}

    def get_attr(self, name):
        try:
            return self._attrs[name]
        except KeyError:
            raise ValueError(f"Operation '{self._name}' has no attr named '{name}'.") from None

    def _add_control_input(self, op):
        if op.graph is not self._graph:
            raise ValueError(f"{op.name} must be from the same graph as {self._name}.")
        if op not in self._control_inputs:
            self._control_inputs.append(op)
            self._graph._control_version += 1

    def _add_control_inputs(self, ops):
        for op in ops:
            self._add_control_input(op)

    def source_line(self):
        """`file:line` of the user code that created the op, for error messages."""
        fn, line, _ = self._traceback
        return f"{fn}:{line}"

    def run(self, feed_dict=None, session=None):
        """Runs this op in `session` (default: the default session)."""
        from flowexec.runtime.session import _run_using_default_session

        _run_using_default_session(self, feed_dict, self._graph, session)

    def __repr__(self):
        return f"<tf.Operation '{self._name}' type={self._type}>"

    def __str__(self):
        lines = [f'name: "{self._name}"', f'op: "{self._type}"']
        lines += [f'input: "{t.name}"' for t in self._inputs]
        lines += [f'input: "^{c.name}"' for c in self._control_inputs]
        if self._device:
            lines.append(f'device: "{self._device}"')
        return "\n".join(lines) + "\n"
