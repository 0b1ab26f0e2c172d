"""Tensor: a symbolic handle to one output of an Operation.

Arithmetic and comparison operators, `@` and slicing build graph ops. The op modules bind
them through `register_operator` (the framework layer cannot import the op layer), so a
`Tensor` created before the ops are imported still gets every overload.
"""

from flowexec.framework import eager, tensor_shape
from flowexec.framework.default_session import run_using_default_session

_OPERATORS = {}


class Tensor:
    """The symbolic result of an operation, evaluated by a Session.

    Example:
        >>> a = flowexec.constant(2)
        >>> print(a + 2)
        Tensor("add:0", shape=(), dtype=int32)
    """

    __slots__ = (
        "__weakref__",
        "_consumers",
        "_dtype",
        "_name",
        "_op",
        "_shape",
        "_value_index",
    )

    # numpy must defer to our reflected operators (np.float32(2) * t builds a Mul).
    __array_priority__ = 100

    def __init__(self, op, value_index, dtype, shape):
        self._op = op
        self._value_index = value_index
        self._dtype = dtype
        self._shape = tensor_shape.as_shape(shape)
        self._name = f"{op.name}:{value_index}"
        self._consumers = []

    @property
    def op(self):
        return self._op

    @property
    def value_index(self):
        return self._value_index

    @property
    def dtype(self):
        return self._dtype

    @property
    def graph(self):
        return self._op.graph

    @property
    def name(self):
        return self._name

    @property
    def device(self):
        return self._op.device

    @property
    def shape(self):
        return self._shape

    def get_shape(self):
        return self._shape

    def set_shape(self, shape):
        """Refines the static shape with `shape` (merged with what is already known).

        Raises:
            ValueError: `shape` is incompatible, in the words of TF's shape inference, e.g.
                "Dimension 1 in both shapes must be equal, but are 3 and 4. Shapes are
                [2,3] and [2,4]."
        """
        shape = tensor_shape.as_shape(shape)
        error = tensor_shape.merge_error(self._shape, shape)
        if error is not None:
            raise ValueError(error)
        new = self._shape.merge_with(shape)
        if new != self._shape:
            self._shape = new
            # cached plans check feeds against static shapes: they must be rebuilt
            self._op.graph._control_version += 1

    def consumers(self):
        """The Operations that take this tensor as an input, once per input edge."""
        return list(self._consumers)

    def eval(self, feed_dict=None, session=None):
        """The tensor's value, computed in `session` (default: the default session)."""
        return run_using_default_session(self, feed_dict, self.graph, session)

    def _as_node_def_input(self):
        return self._name if self._value_index else self._op.name

    def __str__(self):
        shape = "" if self._shape.ndims is None else f", shape={self._shape}"
        device = f", device={self.device}" if self.device else ""
        return f'Tensor("{self._name}"{shape}, dtype={self._dtype.name}{device})'

    def __repr__(self):
        value = eager.value_of(self)
        if value is not None:  # TF's eager repr
            return f"<tf.Tensor: shape={self._shape}, dtype={self._dtype.name}, numpy={value!r}>"
        return f"<tf.Tensor '{self._name}' shape={self._shape} dtype={self._dtype.name}>"

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return self is not other

    def numpy(self):
        """The tensor's value, inside `tf.py_function`'s function (where ops run eagerly).

        Raises:
            NotImplementedError: a graph tensor (TF's message).
        """
        value = eager.value_of(self)
        if value is None:
            raise NotImplementedError("numpy() is only available when eager execution is "
                                      "enabled.")
        return value

    def _eager_scalar(self, kind):
        value = eager.value_of(self)
        if value is None:  # a TypeError, as Python's for objects without a number
            raise TypeError(f"A symbolic Tensor ({self._name}) cannot be used as a Python "
                            f"{kind}: it has no value until a Session runs it.")
        return value

    def __float__(self):
        return float(self._eager_scalar("float"))

    def __int__(self):
        return int(self._eager_scalar("int"))

    def __bool__(self):
        value = eager.value_of(self)
        if value is not None:
            return bool(value)
        raise TypeError(
            "Using a `tf.Tensor` as a Python `bool` is not allowed. Use `if t is not None:` "
            "instead of `if t:` to test if a tensor is defined, and use TensorFlow ops such "
            "as tf.cond to execute subgraphs conditioned on the value of a tensor.")

    def __iter__(self):
        # Defining __iter__ stops Python from iterating through __getitem__ forever.
        if eager.value_of(self) is not None:
            return (self[i] for i in range(len(self)))
        raise TypeError(
            "Tensor objects are only iterable when eager execution is enabled. To iterate "
            "over this tensor use tf.map_fn.")

    def __len__(self):
        value = eager.value_of(self)
        if value is not None:
            return len(value)
        raise TypeError(
            f"len is not well defined for symbolic Tensors. ({self._name}) Please call "
            "`x.shape` rather than `len(x)` for shape information.")

    def __array__(self, dtype=None, copy=None):
        value = eager.value_of(self)
        if value is not None:
            import numpy as np

            return np.asarray(value, dtype=dtype)
        # TF1's error class and text: a graph tensor has no value until a Session runs it.
        raise NotImplementedError(
            f"Cannot convert a symbolic Tensor ({self._name}) to a numpy array.")


def register_operator(name, fn):
    """Binds operator `name` (e.g. "__add__") of Tensor to `fn(self, other)`."""
    _OPERATORS[name] = fn
    setattr(Tensor, name, fn)


def is_tensor(x):
    return isinstance(x, Tensor)
