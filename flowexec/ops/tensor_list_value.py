"""What a TensorList `variant` tensor holds: `TensorListValue`, an immutable host object.

Invariants: a value is never changed once an op has output it (every list op returns a new
value; the element arrays are shared, never written), so a While loop may keep each
iteration's list and a gradient may read a list after later ops used it. The one exception
is TF 1.x's `clear_after_read`: a read marks its index on the value it read (`cleared`), as
TF 1.x's TensorArray resource does, so that a second read of that value fails.

An element is an array, or None where nothing was written: None reads as zeros when the
element shape is known (a gradient list starts all None), as TF's lists and TF 1.x's
TensorArray do. `element_shape` is None (unknown rank) or a tuple with None for unknown
dimensions. `ta` is None for a plain TensorList, or the `TensorArraySemantics` of the
tf.TensorArray whose flow the list is (TF 1.x's checks, messages naming the array).
"""

from flowexec.framework import errors


class TensorArraySemantics:
    """TF 1.x TensorArray checks carried by its flow's lists (immutable)."""

    __slots__ = ("name", "dynamic_size", "clear_after_read", "infer_shape", "aggregate")

    def __init__(self, name, dynamic_size, clear_after_read, infer_shape, aggregate=False):
        self.name = name
        self.dynamic_size = dynamic_size
        self.clear_after_read = clear_after_read
        self.infer_shape = infer_shape
        self.aggregate = aggregate  # a gradient TensorArray: writes to one index add up


def shape_str(shape):
    if shape is None:
        return "<unknown>"
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


_DECODED = {}


def decode_shape(value):
    """An element_shape input (-1 scalar: unknown rank; -1 in a vector: unknown dimension)."""
    if value is None:
        return None
    ndim = getattr(value, "ndim", 1)
    key = (ndim, value.dtype.str, value.tobytes()) if hasattr(value, "tobytes") else None
    if key is not None and key in _DECODED:
        return _DECODED[key]
    if not ndim:
        shape = None
    else:
        dims = value.tolist() if hasattr(value, "tolist") else list(value)
        shape = tuple(None if int(d) < 0 else int(d) for d in dims)
    if key is not None and len(_DECODED) < 4096:  # a few shapes per program: small
        _DECODED[key] = shape
    return shape


def merge_shapes(a, b):
    """The more specific of two compatible element shapes, or raises ValueError."""
    if a is None:
        return b
    if b is None:
        return a
    if len(a) != len(b):
        raise ValueError(f"{shape_str(a)} vs. {shape_str(b)}")
    out = []
    for x, y in zip(a, b):
        if x is not None and y is not None and x != y:
            raise ValueError(f"{shape_str(a)} vs. {shape_str(b)}")
        out.append(x if x is not None else y)
    return tuple(out)


def fully_defined(shape):
    return shape is not None and None not in shape


_UNSEEN = "unseen"  # no element written yet


def _agree(seen, dims):
    """The dimensions two written shapes agree on (None where they differ); _MIXED ranks."""
    if seen is _UNSEEN:
        return dims
    if seen is _MIXED or len(seen) != len(dims):
        return _MIXED
    return tuple(a if a == b else None for a, b in zip(seen, dims))


_MIXED = "mixed ranks"


def _complete(shape, seen):
    if seen is _UNSEEN or seen is _MIXED:
        return shape
    try:
        return merge_shapes(shape, seen)
    except ValueError:
        return shape


class TensorListValue:
    """An immutable list of arrays of one dtype (see the module docstring)."""

    __slots__ = ("items", "element_dtype", "element_shape", "ta", "cleared", "_seen")

    def __init__(self, items, element_dtype, element_shape, ta=None, cleared=None):
        self.items = tuple(items)
        self.element_dtype = element_dtype
        self.element_shape = element_shape
        self.ta = ta
        self.cleared = set(cleared) if cleared else set()
        self._seen = None  # the written elements' agreed shape, computed on first use

    def replace(self, items=None, element_shape=None):
        """A new value with other items (and a more specific element shape)."""
        return TensorListValue(self.items if items is None else items, self.element_dtype,
                               self.element_shape if element_shape is None else element_shape,
                               self.ta, self.cleared)

    @property
    def size(self):
        return len(self.items)

    def known_shape(self):
        """The element shape, completed where every written element agrees on a dimension."""
        if self._seen is None:
            seen = _UNSEEN
            for item in self.items:
                if item is not None:
                    seen = _agree(seen, tuple(item.shape))
            self._seen = seen
        return _complete(self.element_shape, self._seen)

    def written(self, items, item):
        """A new value with `items`, where `item` was just written (the shape kept up to
        date in O(1), so that a loop of writes stays linear)."""
        value = self.replace(items)
        self.known_shape()
        value._seen = _agree(self._seen, tuple(item.shape))
        return value

    def zeros(self, xp):
        shape = self.known_shape()
        if not fully_defined(shape):
            return None
        return xp.zeros(shape, dtype=self.element_dtype)

    def zeros_like(self):
        """ZerosLike of a list: as long, nothing written (reads as zeros)."""
        return TensorListValue([None] * self.size, self.element_dtype, self.known_shape())

    def __repr__(self):
        kind = f"TensorArray {self.ta.name}" if self.ta is not None else "TensorList"
        return f"<{kind} of {self.size} {shape_str(self.element_shape)} elements>"


def add_lists(xp, lists):
    """AddN of lists: elementwise sums of the elements (None is zero), as TF's variant AddN."""
    first = lists[0]
    for i, other in enumerate(lists[1:], 1):
        if other.size != first.size:
            raise errors.InvalidArgumentError(
                None, None, f"Trying to add two lists of tensors with different lengths. One "
                            f"is {first.size} and the other is {other.size}")
    items = []
    for k in range(first.size):
        present = [t.items[k] for t in lists if t.items[k] is not None]
        if not present:
            items.append(None)
            continue
        total = present[0]
        for p in present[1:]:
            if p.shape != total.shape:
                raise errors.InvalidArgumentError(
                    None, None, f"Trying to add two tensors with incompatible element shapes. "
                                f"One is {shape_str(total.shape)} and the other is "
                                f"{shape_str(p.shape)}")
            total = xp.add(total, p)
        items.append(total)
    shape = first.known_shape()
    for other in lists[1:]:
        try:
            shape = merge_shapes(shape, other.known_shape())
        except ValueError:
            pass
    return TensorListValue(items, first.element_dtype, shape)
