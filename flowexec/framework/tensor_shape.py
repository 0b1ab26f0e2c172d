"""Partially known shapes (TensorShape, Dimension) with TensorFlow 1's rules and messages.

A shape has unknown rank (`dims is None`) or a tuple of dimensions, each an int or None.

Indexing a TensorShape (`shape[0]`, `shape.dims`, iteration) yields plain ints and None, as
TF 1.15 does under `enable_v2_tensorshape()`; TF1's `Dimension` class exists (`tf.Dimension`)
and is accepted wherever a dimension is, and `repr(shape)` prints TF1's
`TensorShape([Dimension(2), Dimension(None)])`. Everything here is immutable and thread-safe.
"""


class KnownDimension(int):
    """An int that answers TF1's `Dimension` API (`.value`), returned by `shape[i]`."""

    __slots__ = ()

    @property
    def value(self):
        return int(self)

    def __repr__(self):
        return f"Dimension({int(self)})"

    __str__ = int.__repr__


class Dimension:
    """One dimension of a shape: a non-negative int, or unknown (`value is None`).

    Comparisons and arithmetic with an unknown dimension give None / an unknown dimension,
    as in TensorFlow 1.

    Example:
        >>> Dimension(3) + 2
        Dimension(5)
        >>> (Dimension(None) == 3) is None
        True
    """

    __slots__ = ("_value",)

    def __init__(self, value):
        if value is None:
            self._value = None
        elif isinstance(value, Dimension):
            self._value = value._value
        elif _is_dtype(value):
            raise TypeError(f"Cannot convert {value} to Dimension")
        else:
            self._value = int(value)
            if not isinstance(value, (bytes, str)) and self._value != value:
                raise ValueError(f"Ambiguous dimension: {value}")
            if self._value < 0:
                raise ValueError(f"Dimension {self._value} must be >= 0")

    @property
    def value(self):
        """The int value, or None when unknown."""
        return self._value

    def __repr__(self):
        return f"Dimension({self._value!r})"

    def __str__(self):
        return "?" if self._value is None else str(self._value)

    def __int__(self):
        return self._value

    def __index__(self):
        return self._value

    def __hash__(self):
        return hash(self._value)

    def __reduce__(self):
        return Dimension, (self._value,)

    def is_compatible_with(self, other):
        """True when either is unknown or both are equal."""
        other = as_dimension(other)
        return self._value is None or other.value is None or self._value == other.value

    def assert_is_compatible_with(self, other):
        if not self.is_compatible_with(other):
            raise ValueError(f"Dimensions {self} and {other} are not compatible")

    def merge_with(self, other):
        """The more specific of two compatible dimensions; ValueError when incompatible."""
        other = as_dimension(other)
        self.assert_is_compatible_with(other)
        return Dimension(other.value if self._value is None else self._value)

    # Comparisons: None when either side is unknown (TF1 semantics).
    def _cmp(self, other, fn):
        try:
            other = as_dimension(other)
        except (TypeError, ValueError):
            return NotImplemented
        if self._value is None or other.value is None:
            return None
        return fn(self._value, other.value)

    def __eq__(self, other):
        return self._cmp(other, lambda a, b: a == b)

    def __ne__(self, other):
        return self._cmp(other, lambda a, b: a != b)

    def __lt__(self, other):
        return self._cmp(other, lambda a, b: a < b)

    def __le__(self, other):
        return self._cmp(other, lambda a, b: a <= b)

    def __gt__(self, other):
        return self._cmp(other, lambda a, b: a > b)

    def __ge__(self, other):
        return self._cmp(other, lambda a, b: a >= b)

    # Arithmetic: unknown in, unknown out.
    def _arith(self, other, fn):
        try:
            other = as_dimension(other)
        except (TypeError, ValueError):
            return NotImplemented
        if self._value is None or other.value is None:
            return Dimension(None)
        return Dimension(fn(self._value, other.value))

    def __add__(self, other):
        return self._arith(other, lambda a, b: a + b)

    def __radd__(self, other):
        return self._arith(other, lambda a, b: b + a)

    def __sub__(self, other):
        return self._arith(other, lambda a, b: a - b)

    def __rsub__(self, other):
        return self._arith(other, lambda a, b: b - a)

    def __mul__(self, other):
        return self._arith(other, lambda a, b: a * b)

    def __rmul__(self, other):
        return self._arith(other, lambda a, b: b * a)

    def __floordiv__(self, other):
        return self._arith(other, lambda a, b: a // b)

    def __rfloordiv__(self, other):
        return self._arith(other, lambda a, b: b // a)

    def __mod__(self, other):
        return self._arith(other, lambda a, b: a % b)

    def __rmod__(self, other):
        return self._arith(other, lambda a, b: b % a)

    def __truediv__(self, other):
        raise TypeError(f"unsupported operand type(s) for /: 'Dimension' and "
                        f"'{type(other).__name__}', please use // instead")

    def __rtruediv__(self, other):
        raise TypeError(f"unsupported operand type(s) for /: '{type(other).__name__}' and "
                        "'Dimension', please use // instead")


def _is_dtype(value):
    from flowexec.framework.dtypes import DType

    return isinstance(value, DType)


def as_dimension(value):
    """`value` if it is a Dimension, else `Dimension(value)`."""
    return value if isinstance(value, Dimension) else Dimension(value)


def dimension_value(dimension):
    """The int (or None) of a Dimension, int or None."""
    return dimension.value if isinstance(dimension, Dimension) else dimension


def dimension_at_index(shape, index):
    """`Dimension` of `shape[index]`; unknown when the rank is unknown."""
    shape = as_shape(shape)
    if shape.rank is None:
        return Dimension(None)
    return Dimension(shape[index])


def _as_dim(d):
    if d is None:
        return None
    if isinstance(d, int) and not isinstance(d, bool):
        if d < 0:
            raise ValueError(f"Dimension {d} must be >= 0")
        return d
    return Dimension(d).value


class TensorShape:
    """The static shape of a tensor, possibly partially known.

    Example:
        >>> TensorShape([None, 3]).merge_with([2, None])
        TensorShape([Dimension(2), Dimension(3)])
        >>> print(TensorShape([None, 3]))
        (?, 3)
    """

    __slots__ = ("_dims",)

    def __init__(self, dims):
        if dims is None:
            self._dims = None
        elif isinstance(dims, TensorShape):
            self._dims = dims._dims
        elif isinstance(dims, (bytes, str)):
            raise TypeError("A string has ambiguous TensorShape, please wrap in a list or "
                            f"convert to an int: {dims}")
        else:
            try:
                seq = tuple(dims)
            except TypeError:
                seq = (dims,)
            self._dims = tuple(_as_dim(d) for d in seq)

    @property
    def dims(self):
        """The dimensions as a list of ints / None, or None when the rank is unknown."""
        return None if self._dims is None else list(self._dims)

    @property
    def ndims(self):
        return None if self._dims is None else len(self._dims)

    rank = ndims

    def as_list(self):
        """The dimensions as a list of ints / None.

        Raises:
            ValueError: the rank is unknown.
        """
        if self._dims is None:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        return list(self._dims)

    def as_tuple(self):
        return self._dims

    def is_fully_defined(self):
        return self._dims is not None and all(d is not None for d in self._dims)

    def assert_is_fully_defined(self):
        if not self.is_fully_defined():
            raise ValueError(f"Shape {self} is not fully defined")

    def num_elements(self):
        """The number of elements, or None when the shape is not fully defined."""
        if not self.is_fully_defined():
            return None
        n = 1
        for d in self._dims:
            n *= d
        return n

    def is_compatible_with(self, other):
        """True when some fully defined shape is compatible with both."""
        other = as_shape(other)
        if self._dims is None or other._dims is None:
            return True
        if len(self._dims) != len(other._dims):
            return False
        return all(a is None or b is None or a == b for a, b in zip(self._dims, other._dims))

    def assert_is_compatible_with(self, other):
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {as_shape(other)} are incompatible")

    def merge_with(self, other):
        """The most specific shape compatible with both.

        Raises:
            ValueError: the shapes are incompatible.
        """
        other = as_shape(other)
        if self._dims is None:
            return other
        if other._dims is None:
            return self
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {other} are not compatible")
        return TensorShape([a if a is not None else b for a, b in zip(self._dims, other._dims)])

    def most_specific_compatible_shape(self, other):
        """The most specific shape that both `self` and `other` are compatible with."""
        other = as_shape(other)
        if self._dims is None or other._dims is None or len(self._dims) != len(other._dims):
            return unknown_shape()
        return TensorShape([a if a == b else None for a, b in zip(self._dims, other._dims)])

    def assert_same_rank(self, other):
        other = as_shape(other)
        if self.ndims is not None and other.ndims is not None and self.ndims != other.ndims:
            raise ValueError(f"Shapes {self} and {other} must have the same rank")

    def assert_has_rank(self, rank):
        if self.ndims not in (None, rank):
            raise ValueError(f"Shape {self} must have rank {rank}")

    def with_rank(self, rank):
        """This shape with rank `rank` (unknown dims when the rank was unknown)."""
        if self._dims is None:
            return unknown_shape(rank=rank)
        if len(self._dims) != rank:
            raise ValueError(f"Shape {self} must have rank {rank}")
        return self

    def with_rank_at_least(self, rank):
        if self.ndims is not None and self.ndims < rank:
            raise ValueError(f"Shape {self} must have rank at least {rank}")
        return self

    def with_rank_at_most(self, rank):
        if self.ndims is not None and self.ndims > rank:
            raise ValueError(f"Shape {self} must have rank at most {rank}")
        return self

    def concatenate(self, other):
        """The dimensions of `self` followed by those of `other` (unknown if either is)."""
        other = as_shape(other)
        if self._dims is None or other._dims is None:
            return unknown_shape()
        return TensorShape(self._dims + other._dims)

    def __add__(self, other):
        return self.concatenate(other)

    def __radd__(self, other):
        return as_shape(other).concatenate(self)

    def __len__(self):
        if self._dims is None:
            raise ValueError("Cannot take the length of shape with unknown rank.")
        return len(self._dims)

    def __iter__(self):
        if self._dims is None:
            raise ValueError("Cannot iterate over a shape with unknown rank.")
        return iter(self._dims)

    def __getitem__(self, key):
        """A known dimension as an int that also has TF1's `.value` (so both
        `shape[1] + 1` and `shape[1].value` work); None when unknown."""
        if self._dims is not None:
            if isinstance(key, slice):
                return TensorShape(self._dims[key])
            d = self._dims[key]
            return None if d is None else KnownDimension(d)
        if not isinstance(key, slice):
            return None
        start = 0 if key.start is None else key.start
        if key.step is not None:
            raise ValueError("Steps are not yet handled")
        if key.stop is None or start < 0 or key.stop < 0:
            return unknown_shape()
        return unknown_shape(rank=key.stop - start)

    def __eq__(self, other):
        try:
            other = as_shape(other)
        except (TypeError, ValueError):
            return NotImplemented
        return self._dims == other._dims

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self):
        return hash(self._dims)

    def __bool__(self):
        """True when the rank is known (TF: the shape carries information)."""
        return self._dims is not None

    def __reduce__(self):
        return TensorShape, (self.dims,)

    def __str__(self):
        if self._dims is None:
            return "<unknown>"
        if len(self._dims) == 1:
            return f"({_dim_str(self._dims[0])},)"
        return "(" + ", ".join(_dim_str(d) for d in self._dims) + ")"

    def __repr__(self):
        if self._dims is None:
            return "TensorShape(None)"
        return "TensorShape([" + ", ".join(f"Dimension({d})" for d in self._dims) + "])"

    def proto_str(self):
        """TF runtime messages' form: `[10]`, `[?,3]`, `<unknown>`."""
        if self._dims is None:
            return "<unknown>"
        return "[" + ",".join(_dim_str(d) for d in self._dims) + "]"


def _dim_str(d):
    return "?" if d is None else str(d)


def merge_error(old, new):
    """The message TF's C++ shape inference gives when `new` cannot refine `old`, or None.

    Example: "Dimension 1 in both shapes must be equal, but are 3 and 4. Shapes are [2,3]
    and [2,4]." (used by `Tensor.set_shape` and ops that merge shapes).
    """
    old, new = as_shape(old), as_shape(new)
    if old.ndims is None or new.ndims is None:
        return None
    if old.ndims != new.ndims:
        return f"Shapes must be equal rank, but are {old.ndims} and {new.ndims}"
    for i, (a, b) in enumerate(zip(old.as_tuple(), new.as_tuple())):
        if a is not None and b is not None and a != b:
            return (f"Dimension {i} in both shapes must be equal, but are {a} and {b}. "
                    f"Shapes are {old.proto_str()} and {new.proto_str()}.")
    return None


def as_shape(shape):
    """Converts a list, tuple, int, None, Dimension or TensorShape to a TensorShape."""
    if isinstance(shape, TensorShape):
        return shape
    return TensorShape(shape)


def unknown_shape(rank=None, ndims=None):
    """A shape of unknown rank, or of known `rank` with every dimension unknown."""
    if rank is None:
        rank = ndims
    return TensorShape(None if rank is None else [None] * rank)


def scalar():
    return TensorShape(())


def vector(length):
    return TensorShape([length])


def matrix(rows, cols):
    return TensorShape([rows, cols])
