"""Operation: a node of the graph, with its inputs, outputs, attributes and origin.

Operations are immutable after construction except for control inputs added by
`_add_control_input` (used by `group` and optimizers before a graph runs) and outputs added
by `_add_output` (a control-flow op's gradient makes the forward op output what the backward
pass needs, as TF's control flow v2 does); both bump the graph's `_control_version` so that
cached run plans notice.

Each op records the Python call stack that created it (`traceback`, as in TF1: a list of
`(filename, lineno, function, line)` from the outermost frame in); `source_line()` is the
innermost frame outside the flowexec package, the line error messages point at.
"""

import linecache
import os
import sys

import numpy as np

from flowexec.framework import dtypes
from flowexec.framework.default_session import run_using_default_session
from flowexec.framework.tensor_shape import TensorShape

_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_INTERNAL = {}  # co_filename -> bool: the file belongs to the flowexec package


def _is_internal(filename):
    known = _INTERNAL.get(filename)
    if known is None:
        known = _INTERNAL[filename] = os.path.abspath(filename).startswith(_PACKAGE_ROOT)
    return known


def _extract_stack():
    """[(filename, lineno, function)] of the calling thread, outermost first."""
    frames = []
    f = sys._getframe(2)
    while f is not None:
        frames.append((f.f_code.co_filename, f.f_lineno, f.f_code.co_name))
        f = f.f_back
    frames.reverse()
    return tuple(frames)


class NodeDef:
    """TF's NodeDef, as far as flowexec has one: `name`, `op`, `input`, `device`, `attr`.

    Fields read as attributes (`node_def.name`) or as keys (`node_def["name"]`); `str()` is
    the protobuf text format TF prints for `print(op)`.
    """

    __slots__ = ("attr", "device", "input", "name", "op")

    def __init__(self, name, op, inputs, device, attr):
        self.name = name
        self.op = op
        self.input = inputs
        self.device = device
        self.attr = attr

    def __getitem__(self, key):
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def __eq__(self, other):
        return isinstance(other, NodeDef) and all(
            getattr(self, k) == getattr(other, k) for k in ("name", "op", "input", "device"))

    __hash__ = None

    def __repr__(self):
        return str(self)

    def __str__(self):
        lines = [f'name: "{self.name}"', f'op: "{self.op}"']
        lines += [f'input: "{i}"' for i in self.input]
        if self.device:
            lines.append(f'device: "{self.device}"')
        for key in sorted(self.attr):
            if key == "_class" or not key.startswith("_"):
                lines += ["attr {", f'  key: "{key}"', "  value {"]
                lines += ["    " + s for s in _attr_lines(self.attr[key])]
                lines += ["  }", "}"]
        return "\n".join(lines) + "\n"


def _escape(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    out = []
    for b in data:
        c = chr(b)
        if c in "\"'\\":
            out.append("\\" + c)
        elif 32 <= b < 127:
            out.append(c)
        else:
            out.append({10: "\\n", 13: "\\r", 9: "\\t"}.get(b, f"\\{b:03o}"))
    return "".join(out)


def _enum_name(dt):
    special = {"float16": "HALF", "float32": "FLOAT", "float64": "DOUBLE"}
    return "DT_" + special.get(dt.name, dt.name.upper())


def _shape_lines(shape):
    if shape.ndims is None:
        return ["unknown_rank: true"]
    lines = []
    for d in shape.as_tuple():
        lines += _block("dim", [f"size: {-1 if d is None else d}"])
    return lines


def _block(head, body):
    return [head + " {"] + ["  " + s for s in body] + ["}"]


def _scalar_text(v, dt):
    if dt is dtypes.bool:
        return "true" if v else "false"
    if dt.is_floating:
        return str(np.float32(v)) if dt is dtypes.float32 else repr(float(v))
    return str(int(v))


_VAL_FIELD = {"float32": "float_val", "float64": "double_val", "int64": "int64_val",
              "bool": "bool_val", "uint32": "uint32_val", "uint64": "uint64_val",
              "float16": "half_val"}


def _tensor_lines(value, dt):
    arr = np.asarray(value)
    body = [f"dtype: {_enum_name(dt)}"] + _block("tensor_shape", _shape_lines(
        TensorShape(arr.shape)))
    if arr.size > 1 and dt is not dtypes.string:
        body.append(f'tensor_content: "{_escape(arr.tobytes())}"')
    elif dt is dtypes.string:
        body += [f'string_val: "{_escape(v)}"' for v in arr.ravel()]
    elif dt.is_complex:
        field = "scomplex_val" if dt is dtypes.complex64 else "dcomplex_val"
        for v in arr.ravel():
            body += [f"{field}: {v.real!r}", f"{field}: {v.imag!r}"]
    elif arr.size == 1:
        v = arr.ravel()[0]
        if dt is dtypes.float16:
            body.append(f"half_val: {int(np.float16(v).view(np.uint16))}")
        else:
            body.append(f"{_VAL_FIELD.get(dt.name, 'int_val')}: {_scalar_text(v, dt)}")
    return _block("tensor", body)


def _attr_lines(value):
    if isinstance(value, dtypes.DType):
        return [f"type: {_enum_name(value)}"]
    if isinstance(value, TensorShape):
        return _block("shape", _shape_lines(value))
    if isinstance(value, np.ndarray):
        return _tensor_lines(value, dtypes.from_numpy(value.dtype)
                             if value.dtype.kind != "O" else dtypes.string)
    if isinstance(value, (bool, np.bool_)):
        return [f"b: {'true' if value else 'false'}"]
    if isinstance(value, (int, np.integer)):
        return [f"i: {int(value)}"]
    if isinstance(value, (float, np.floating)):
        return [f"f: {float(value)!r}"]
    if isinstance(value, (str, bytes)):
        return [f's: "{_escape(value)}"']
    if isinstance(value, (list, tuple)):
        body = []
        for v in value:
            body += _attr_lines(v)
        return _block("list", body)
    return [f's: "{_escape(repr(value))}"']


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
        traceback: the creating call stack, [(filename, lineno, function, line)].
    """

    __slots__ = (
        "__weakref__",
        "_attrs",
        "_colocation",
        "_control_inputs",
        "_device",
        "_graph",
        "_id",
        "_inputs",
        "_name",
        "_op_def",
        "_outputs",
        "_stack",
        "_type",
    )

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
        self._stack = _extract_stack()
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
        return list(self._outputs)

    def values(self):
        return tuple(self._outputs)

    @property
    def control_inputs(self):
        return list(self._control_inputs)

    @property
    def device(self):
        return self._device

    def _set_device(self, device):
        if device is not None and not isinstance(device, str):
            device = device.to_string()
        self._device = device or ""

    @property
    def attrs(self):
        return self._attrs

    @property
    def op_def(self):
        return self._op_def

    @property
    def traceback(self):
        """The call stack that created the op: [(filename, lineno, function, line)]."""
        out = []
        for filename, lineno, func in self._stack:
            line = linecache.getline(filename, lineno).strip() or None
            out.append((filename, lineno, func, line))
        return out

    def _user_frame(self):
        for frame in reversed(self._stack):
            if not _is_internal(frame[0]):
                return frame
        return self._stack[-1] if self._stack else ("<unknown>", 0, "<unknown>")

    def source_line(self):
        """`file:line` of the user code that created the op, for error messages."""
        fn, line, _ = self._user_frame()
        return f"{fn}:{line}"

    @property
    def colocation_groups(self):
        """`["loc:@name", ...]`: the ops this op must share a device with, or itself.

        TF1 has this as a method returning bytes; here it is a property of str (the
        placer reads it). `get_attr("_class")` gives TF's bytes form when colocated.
        """
        return [f"loc:@{n}" for n in (self._colocation or (self._name,))]

    @property
    def node_def(self):
        """A `NodeDef` of the op (name, op, input, device, attr)."""
        inputs = [t._as_node_def_input() for t in self._inputs]
        inputs += ["^" + c.name for c in self._control_inputs]
        attr = dict(self._attrs)
        if self._colocation:
            attr["_class"] = [f"loc:@{n}".encode() for n in self._colocation]
        return NodeDef(self._name, self._type, inputs, self._device, attr)

    def get_attr(self, name):
        """The value of attribute `name`.

        Raises:
            ValueError: the op has no such attribute.
        """
        if name == "_class" and self._colocation:
            return [f"loc:@{n}".encode() for n in self._colocation]
        try:
            return self._attrs[name]
        except KeyError:
            raise ValueError(f"Operation '{self._name}' has no attr named '{name}'.") from None

    def _add_control_input(self, op):
        """Makes `op` a control input of this op (once); bumps the graph's control version."""
        if not isinstance(op, Operation):
            raise TypeError(f"op must be an Operation: {op}")
        if op.graph is not self._graph:
            raise ValueError(f"{op} must be from the same graph as {self}.")
        if op not in self._control_inputs:
            self._control_inputs.append(op)
            self._graph._control_version += 1

    def _add_output(self, dtype, shape):
        """Appends an output Tensor (bumps the graph's control version); returns it."""
        from flowexec.framework.tensor import Tensor

        t = Tensor(self, len(self._outputs), dtype, shape)
        self._outputs = self._outputs + (t,)
        self._graph._control_version += 1
        return t

    def _add_control_inputs(self, ops):
        for op in ops:
            self._add_control_input(op)

    def run(self, feed_dict=None, session=None):
        """Runs this op in `session` (default: the default session)."""
        run_using_default_session(self, feed_dict, self._graph, session)

    def __repr__(self):
        return f"<tf.Operation '{self._name}' type={self._type}>"

    def __str__(self):
        return str(self.node_def)
