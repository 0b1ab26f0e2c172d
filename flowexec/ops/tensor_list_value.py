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
    if dims is _UNSEEN:
        return seen
    if dims is _MIXED:
        return _MIXED
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


_SPARSE_LIMIT = 32  # track the written indices of lists with at most this many


class TensorListValue:
    """An immutable list of arrays of one dtype (see the module docstring).

    Besides the items, a value may know the shape its written elements agree on (`_seen`)
    and, for a list with few written elements (a gradient list), their indices (`_set`):
    both are kept up to date by writes and sums in O(1), so that a loop of writes, or a
    gradient loop adding one element per iteration, costs O(1) Python work per step."""

    __slots__ = ("items", "element_dtype", "element_shape", "ta", "cleared", "_seen", "_set")

    def __init__(self, items, element_dtype, element_shape, ta=None, cleared=None,
                 seen=None, written=None):
        self.items = tuple(items)
        self.element_dtype = element_dtype
        self.element_shape = element_shape
        self.ta = ta
        self.cleared = set(cleared) if cleared else set()
        self._seen = seen  # the written elements' agreed shape (None: not computed yet)
        self._set = written  # frozenset of the written indices, or None (not tracked)

    @classmethod
    def unset(cls, n, element_dtype, element_shape):
        """A list of `n` unwritten elements."""
        return cls((None,) * n, element_dtype, element_shape, seen=_UNSEEN,
                   written=frozenset())

    def replace(self, items=None, element_shape=None, seen=None):
        """A new value with other items (and a more specific element shape); `seen`: the
        shape its written elements agree on, when the caller knows it."""
        return TensorListValue(self.items if items is None else items, self.element_dtype,
                               self.element_shape if element_shape is None else element_shape,
                               self.ta, self.cleared, seen=seen)

    def seen(self, *shapes):
        """The agreed shape of the written elements and of `shapes` (elements to be written);
        it stays valid (if less specific) for a list with fewer of these elements."""
        self.known_shape()
        seen = self._seen
        for shape in shapes:
            seen = _agree(seen, tuple(shape))
        return seen

    @property
    def size(self):
        return len(self.items)

    def _written_items(self):
        if self._set is not None:
            return [self.items[k] for k in self._set]
        return [item for item in self.items if item is not None]

    def known_shape(self):
        """The element shape, completed where every written element agrees on a dimension."""
        if self._seen is None:
            seen = _UNSEEN
            for item in self._written_items():
                seen = _agree(seen, tuple(item.shape))
            self._seen = seen
        return _complete(self.element_shape, self._seen)

    def written(self, items, item, index):
        """A new value with `items`, where `item` was just written at `index`."""
        value = self.replace(items, seen=self.seen(item.shape))
        if self._set is not None and len(self._set) < _SPARSE_LIMIT and index < len(items):
            value._set = self._set | {index}
        return value

    def zeros(self, xp):
        shape = self.known_shape()
        if not fully_defined(shape):
            return None
        return xp.zeros(shape, dtype=self.element_dtype)

    def zeros_like(self):
        """ZerosLike of a list: as long, nothing written (reads as zeros)."""
        return TensorListValue.unset(self.size, self.element_dtype, self.known_shape())

    def __repr__(self):
        kind = f"TensorArray {self.ta.name}" if self.ta is not None else "TensorList"
        return f"<{kind} of {self.size} {shape_str(self.element_shape)} elements>"


def _add_items(xp, total, item):
    if total is None:
        return item
    if total.shape != item.shape:
        raise errors.InvalidArgumentError(
            None, None, f"Trying to add two tensors with incompatible element shapes. One is "
                        f"{shape_str(total.shape)} and the other is {shape_str(item.shape)}")
    return xp.add(total, item)


def add_lists(xp, lists):
    """AddN of lists: elementwise sums of the elements (None is zero), as TF's variant AddN.

    The list with untracked (many) written indices is the base; the others add only their
    written elements where their indices are tracked."""
    first = lists[0]
    for other in lists[1:]:
        if other.size != first.size:
            raise errors.InvalidArgumentError(
                None, None, f"Trying to add two lists of tensors with different lengths. One "
                            f"is {first.size} and the other is {other.size}")
    order = sorted(range(len(lists)), key=lambda j: lists[j]._set is not None)
    base = lists[order[0]]
    items = list(base.items)
    touched = None if base._set is None else set(base._set)
    for j in order[1:]:
        other = lists[j]
        indices = other._set if other._set is not None else range(other.size)
        for k in indices:
            item = other.items[k]
            if item is not None:
                items[k] = _add_items(xp, items[k], item)
        if touched is not None and other._set is not None:
            touched |= other._set
        else:
            touched = None
    seen = _UNSEEN
    shape = first.element_shape
    for lst in lists:
        lst.known_shape()
        seen = _agree(seen, lst._seen)
        try:
            shape = merge_shapes(shape, lst.element_shape)
        except ValueError:
            pass
    written = frozenset(touched) if touched is not None and len(touched) <= _SPARSE_LIMIT \
        else None
    return TensorListValue(items, first.element_dtype, shape, seen=seen, written=written)
