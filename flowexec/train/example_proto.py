"""`tf.train.Example` and its parts, with protobuf's wire format.

TF's `Example` protos (tensorflow/core/example/{example,feature}.proto) are small; flowexec
defines them here instead of depending on generated protobuf classes, with the protobuf
message surface TF code uses: keyword constructors, repeated `value` lists, the `feature` /
`feature_list` maps, `WhichOneof("kind")`, `HasField`, `SerializeToString()`,
`FromString()` / `ParseFromString()`, equality. The bytes are protobuf's: FloatList and
Int64List are packed (unpacked input is accepted too), map entries are written sorted by key
(protobuf's deterministic serialization), so the output equals
`SerializeToString(deterministic=True)` of TF's classes, and either side parses the other's.

    message BytesList { repeated bytes value = 1; }
    message FloatList { repeated float value = 1 [packed = true]; }
    message Int64List { repeated int64 value = 1 [packed = true]; }
    message Feature { oneof kind { BytesList bytes_list = 1; FloatList float_list = 2;
                                   Int64List int64_list = 3; } }
    message Features { map<string, Feature> feature = 1; }
    message FeatureList { repeated Feature feature = 1; }
    message FeatureLists { map<string, FeatureList> feature_list = 1; }
    message Example { Features features = 1; }
    message SequenceExample { Features context = 1; FeatureLists feature_lists = 2; }
"""

import struct

from flowexec.framework.errors import DataLossError
from flowexec.framework.wire_format import fields as _fields
from flowexec.framework.wire_format import key as _field
from flowexec.framework.wire_format import length_delimited as _length_delimited
from flowexec.framework.wire_format import read_varint as _read_varint
from flowexec.framework.wire_format import varint as _varint

_I64_MIN, _I64_MAX = -(2 ** 63), 2 ** 63 - 1


def _signed64(n):
    return n - (1 << 64) if n >= 1 << 63 else n


# ----- messages ----------------------------------------------------------------------------
class _Message:
    """Protobuf-like behaviour shared by the messages below."""

    def SerializeToString(self, deterministic=None):
        """The protobuf wire bytes (map entries sorted by key)."""
        return self._encode()

    @classmethod
    def FromString(cls, data):
        """A new message parsed from protobuf wire bytes."""
        msg = cls()
        msg.ParseFromString(data)
        return msg

    def ParseFromString(self, data):
        """Replaces this message's contents by the parsed `data`; returns its length."""
        self.__init__()
        self._merge(data)
        return len(data)

    def ByteSize(self):
        """The length of the serialized message."""
        return len(self._encode())

    def __eq__(self, other):
        return type(self) is type(other) and self._encode() == other._encode()

    def __ne__(self, other):
        return not self == other

    __hash__ = None


class _List(_Message):
    _TYPE = None

    def __init__(self, value=None):
        self.value = _Repeated(self._check)
        if value is not None:
            self.value.extend(value)

    def __repr__(self):
        return f"{type(self).__name__}(value={list(self.value)!r})"


class _Repeated(list):
    """A list that checks (and converts) each element as protobuf's repeated fields do."""

    def __init__(self, check):
        super().__init__()
        self._check = check

    def append(self, v):
        super().append(self._check(v))

    def extend(self, vs):
        super().extend(self._check(v) for v in vs)

    def __setitem__(self, i, v):
        if isinstance(i, slice):
            super().__setitem__(i, [self._check(x) for x in v])
        else:
            super().__setitem__(i, self._check(v))


class BytesList(_List):
    """A list of byte strings (`value`)."""

    @staticmethod
    def _check(v):
        if not isinstance(v, bytes):
            raise TypeError(f"{v!r} has type {type(v).__name__}, but expected one of: bytes")
        return v

    def _encode(self):
        return b"".join(_length_delimited(1, v) for v in self.value)

    def _merge(self, data):
        for number, wire, v in _fields(data):
            if number == 1 and wire == 2:
                self.value.append(v)


class FloatList(_List):
    """A list of float32 values (`value`; Python floats are rounded to float32)."""

    @staticmethod
    def _check(v):
        if isinstance(v, (bytes, str)) or not hasattr(v, "__float__"):
            raise TypeError(f"{v!r} has type {type(v).__name__}, but expected one of: "
                            "int, float")
        return struct.unpack("<f", struct.pack("<f", float(v)))[0]

    def _encode(self):
        if not self.value:
            return b""
        return _length_delimited(1, struct.pack(f"<{len(self.value)}f", *self.value))

    def _merge(self, data):
        for number, wire, v in _fields(data):
            if number != 1:
                continue
            if wire == 2:
                self.value.extend(struct.unpack(f"<{len(v) // 4}f", v))
            elif wire == 5:
                self.value.append(struct.unpack("<f", v)[0])


class Int64List(_List):
    """A list of int64 values (`value`)."""

    @staticmethod
    def _check(v):
        if isinstance(v, (bool, float, str, bytes)) or not hasattr(v, "__index__"):
            raise TypeError(f"{v!r} has type {type(v).__name__}, but expected one of: int")
        v = int(v)
        if not _I64_MIN <= v <= _I64_MAX:
            raise ValueError(f"Value out of range: {v}")
        return v

    def _encode(self):
        if not self.value:
            return b""
        return _length_delimited(1, b"".join(_varint(v) for v in self.value))

    def _merge(self, data):
        for number, wire, v in _fields(data):
            if number != 1:
                continue
            if wire == 2:
                pos = 0
                while pos < len(v):
                    n, pos = _read_varint(v, pos)
                    self.value.append(_signed64(n))
            elif wire == 0:
                self.value.append(_signed64(v))


_KINDS = (("bytes_list", BytesList), ("float_list", FloatList), ("int64_list", Int64List))


class Feature(_Message):
    """One of `bytes_list`, `float_list`, `int64_list` (the oneof "kind")."""

    def __init__(self, bytes_list=None, float_list=None, int64_list=None):
        given = [(k, v) for k, v in (("bytes_list", bytes_list), ("float_list", float_list),
                                     ("int64_list", int64_list)) if v is not None]
        self._kind, self._value = given[-1] if given else (None, None)
        for k, cls in _KINDS:
            if k == self._kind and not isinstance(self._value, cls):
                raise TypeError(f"Parameter to MergeFrom() must be instance of same class: "
                                f"expected {cls.__name__} got {type(self._value).__name__}.")

    def __getattr__(self, name):
        for k, cls in _KINDS:
            if name == k:
                if self._kind != k:
                    # protobuf: reading an unset submessage gives an empty one; writing to it
                    # selects it in the oneof.
                    self._kind, self._value = k, cls()
                return self._value
        raise AttributeError(name)

    def WhichOneof(self, group):
        """The name of the set field of oneof `group` ("kind"), or None."""
        if group != "kind":
            raise ValueError(f'Protocol message has no oneof "{group}" field.')
        return self._kind

    def HasField(self, name):
        """Whether `name` is the set field of the oneof."""
        return self._kind == name

    def _encode(self):
        if self._kind is None:
            return b""
        number = [k for k, _ in _KINDS].index(self._kind) + 1
        return _length_delimited(number, self._value._encode())

    def _merge(self, data):
        for number, wire, v in _fields(data):
            if 1 <= number <= 3 and wire == 2:
                kind, cls = _KINDS[number - 1]
                if self._kind != kind:
                    self._kind, self._value = kind, cls()
                self._value._merge(v)

    def __repr__(self):
        return f"Feature({self._kind}={self._value!r})" if self._kind else "Feature()"


class _Map(dict):
    def __init__(self, value_type):
        super().__init__()
        self._type = value_type

    def __missing__(self, key):
        self[key] = value = self._type()
        return value

    def __setitem__(self, key, value):
        if not isinstance(key, str):
            raise TypeError(f"{key!r} has type {type(key).__name__}, but expected one of: str")
        if not isinstance(value, self._type):
            raise TypeError(f"expected {self._type.__name__}, got {type(value).__name__}")
        super().__setitem__(key, value)

    def encode(self, number):
        return b"".join(
            _length_delimited(number, _length_delimited(1, k.encode("utf-8"))
                              + _length_delimited(2, self[k]._encode()))
            for k in sorted(self))

    def merge_entry(self, data):
        key, value = "", b""
        for number, wire, v in _fields(data):
            if number == 1 and wire == 2:
                key = v.decode("utf-8")
            elif number == 2 and wire == 2:
                value = v
        self[key] = self._type.FromString(value)


class Features(_Message):
    """`feature`: a map from names to Feature."""

    def __init__(self, feature=None):
        self.feature = _Map(Feature)
        for k, v in (feature or {}).items():
            self.feature[k] = v

    def _encode(self):
        return self.feature.encode(1)

    def _merge(self, data):
        for number, wire, v in _fields(data):
            if number == 1 and wire == 2:
                self.feature.merge_entry(v)

    def __repr__(self):
        return f"Features(feature={dict(self.feature)!r})"


class FeatureList(_Message):
    """`feature`: a list of Feature (one per time step)."""

    def __init__(self, feature=None):
        self.feature = _Repeated(self._check)
        self.feature.extend(feature or [])

    @staticmethod
    def _check(v):
        if not isinstance(v, Feature):
            raise TypeError(f"expected Feature, got {type(v).__name__}")
        return v

    def _encode(self):
        return b"".join(_length_delimited(1, f._encode()) for f in self.feature)

    def _merge(self, data):
        for number, wire, v in _fields(data):
            if number == 1 and wire == 2:
                self.feature.append(Feature.FromString(v))


class FeatureLists(_Message):
    """`feature_list`: a map from names to FeatureList."""

    def __init__(self, feature_list=None):
        self.feature_list = _Map(FeatureList)
        for k, v in (feature_list or {}).items():
            self.feature_list[k] = v

    def _encode(self):
        return self.feature_list.encode(1)

    def _merge(self, data):
        for number, wire, v in _fields(data):
            if number == 1 and wire == 2:
                self.feature_list.merge_entry(v)


class _WithSubmessages(_Message):
    _FIELDS = ()

    def __init__(self, **fields):
        # protobuf's field presence: a submessage given (or parsed) is written even if empty
        self._present = set()
        for name, cls in self._FIELDS:
            value = fields.pop(name, None)
            if value is not None and not isinstance(value, cls):
                raise TypeError(f"expected {cls.__name__} for {name}, got "
                                f"{type(value).__name__}")
            if value is not None:
                self._present.add(name)
            setattr(self, name, value if value is not None else cls())
        if fields:
            raise ValueError(f'Protocol message {type(self).__name__} has no '
                             f'"{next(iter(fields))}" field.')

    def HasField(self, name):
        """Whether submessage `name` is set (given, parsed, or non-empty)."""
        return name in self._present or bool(getattr(self, name)._encode())

    def _encode(self):
        out = b""
        for i, (name, _) in enumerate(self._FIELDS, 1):
            payload = getattr(self, name)._encode()
            if payload or name in self._present:
                out += _length_delimited(i, payload)
        return out

    def _merge(self, data):
        for number, wire, v in _fields(data):
            if 1 <= number <= len(self._FIELDS) and wire == 2:
                name = self._FIELDS[number - 1][0]
                self._present.add(name)
                getattr(self, name)._merge(v)

    def __repr__(self):
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n, _ in self._FIELDS)
        return f"{type(self).__name__}({inner})"


class Example(_WithSubmessages):
    """A training example: `features`, a Features map.

    Example:
        >>> ex = tf.train.Example(features=tf.train.Features(feature={
        ...     "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[3])),
        ...     "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[png]))}))
        >>> data = ex.SerializeToString(); tf.train.Example.FromString(data) == ex
        True
    """

    _FIELDS = (("features", Features),)


class SequenceExample(_WithSubmessages):
    """A sequence example: `context` Features and per-step `feature_lists`."""

    _FIELDS = (("context", Features), ("feature_lists", FeatureLists))


# ----- TF's fast parsing reader ---------------------------------------------------------
# TF's parsing kernels (tensorflow/core/util/example_proto_fast_parsing.cc) do not parse an
# Example into messages: they walk its wire bytes with protobuf's CodedInputStream, and their
# results and errors follow that walk (the last map entry of a key wins, a Feature's first
# field decides its kind, one packed block is read, trailing bytes of a list are ignored).
# `_Stream` is that stream; the functions below are the walks the kernels make.

_KIND_TAGS = {0x0A: "bytes", 0x12: "float", 0x1A: "int64"}
TAG_OF_KIND = {v: k for k, v in _KIND_TAGS.items()}


class _Stream:
    """protobuf's CodedInputStream over `buf`: reads stop at the innermost limit or at the
    end of the data, whichever is first (and "at end" is true at either)."""

    __slots__ = ("buf", "pos", "limit")

    def __init__(self, buf):
        self.buf, self.pos, self.limit = buf, 0, len(buf)

    def _end(self):
        return min(self.limit, len(self.buf))

    def at_end(self):
        return self.pos >= self._end()

    def push_limit(self, n):
        old = self.limit
        self.limit = min(old, self.pos + n)
        return old

    def pop_limit(self, old):
        self.limit = old

    def until_limit(self):
        return self.limit - self.pos

    def peek(self):
        return self.buf[self.pos] if self.pos < self._end() else 0

    def expect_tag(self, tag):
        if self.pos < self._end() and self.buf[self.pos] == tag:
            self.pos += 1
            return True
        return False

    def varint(self, bits=64):
        """The next varint (None when malformed or cut off), truncated to `bits` bits."""
        result = shift = 0
        end = self._end()
        pos = self.pos
        for _ in range(10):
            if pos >= end:
                return None
            b = self.buf[pos]
            pos += 1
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                self.pos = pos
                return result & ((1 << bits) - 1)
            shift += 7
        return None

    def tag(self):
        if self.at_end():
            return 0
        t = self.varint(32)
        return 0 if t is None else t

    def raw(self, n):
        if self._end() - self.pos < n:
            return None
        out = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return out

    def skip(self, n):
        if self._end() - self.pos < n:
            self.pos = self._end()
            return False
        self.pos += n
        return True

    def string(self):
        """A length-delimited payload (after its tag), or None."""
        n = self.varint(32)
        if n is None:
            return None
        return b"" if n == 0 else self.raw(n)

    def skip_field(self):
        """Skips a field of another number (protobuf's unknown field); False for groups."""
        wire = self.tag() & 7
        if wire == 0:
            return self.varint(32) is not None
        if wire == 1:
            return self.raw(8) is not None
        if wire == 2:
            n = self.varint(32)
            if n is None:
                return False
            self.skip(n)
            return True
        if wire == 5:
            return self.raw(4) is not None
        return False


def example_entries(buf):
    """The (key, Feature bytes) map entries of a serialized Example, in wire order, as TF's
    fast parser reads them (several concatenated Examples merge); None if malformed."""
    s = _Stream(buf)
    entries = []
    while not s.at_end():
        if not s.expect_tag(0x0A):
            if not s.skip_field():
                return None
            continue
        n = s.varint(32)
        if n is None:
            return None
        outer = s.push_limit(n)
        while not s.at_end():
            if not s.expect_tag(0x0A):
                return None
            m = s.varint(32)
            if m is None:
                return None
            inner = s.push_limit(m)
            key, value = b"", b""
            for _ in range(2):  # key and value, in either order
                t = s.tag()
                field = s.string() if t in (0x0A, 0x12) else None
                if field is None:
                    return None
                if t == 0x0A:
                    key = field
                else:
                    value = field
            if not s.at_end():
                return None
            s.pop_limit(inner)
            entries.append((key, value))
        s.pop_limit(outer)
    return entries


class UnsupportedKind(Exception):
    """A Feature whose first field is none of the three lists."""


def feature_kind(feature):
    """"bytes", "float", "int64", or None for an empty Feature (which counts as missing).

    Raises:
        UnsupportedKind: the Feature's first byte is not a list's tag.
    """
    if not feature:
        return None
    kind = _KIND_TAGS.get(feature[0])
    if kind is None:
        raise UnsupportedKind()
    return kind


def read_list(kind, feature, capacity=None):
    """The values of Feature `feature` of kind `kind`, as TF's Example parser reads them into
    a buffer of `capacity` values (None: growing): (values, count), where `count` is how many
    values the list claims (beyond `capacity` for a fixed buffer) — or None where TF's reader
    fails (malformed, or more strings than `capacity`)."""
    s = _Stream(memoryview(feature)[1:])
    n = s.varint(32)
    if n is None:
        return None
    s.push_limit(n)
    values = []
    if s.at_end():
        return values, 0
    if kind == "bytes":
        while not s.at_end():
            if not s.expect_tag(0x0A):
                return None
            m = s.varint(32)
            if m is None or (capacity is not None and len(values) == capacity):
                return None
            v = s.raw(m)
            if v is None:
                return None
            values.append(v)
        return values, len(values)
    first = s.peek()
    if kind == "float":
        if first == 0x0A:  # packed: one block; a partial float at its end is ignored
            s.pos += 1
            m = s.varint(32)
            if m is None:
                return None
            count = m // 4
            take = count if capacity is None else min(count, capacity)
            data = s.raw(4 * take)
            if data is None:
                return None
            return list(struct.unpack(f"<{take}f", data)), count
        count = s.until_limit() // 5
        if not _read_numbers(s, kind, values):
            return None
        return values[:capacity] if capacity is not None else values, count
    if not _read_numbers(s, kind, values):
        return None
    return (values[:capacity] if capacity is not None else values), len(values)


_UNPACKED_TAG = {"float": 0x0D, "int64": 0x08}


def _read_number(stream, kind):
    if kind == "float":
        data = stream.raw(4)
        return None if data is None else struct.unpack("<f", data)[0]
    v = stream.varint()
    return None if v is None else _signed64(v)


def _read_numbers(stream, kind, values):
    """Appends a float/int64 list's values (one packed block, or unpacked fields) to
    `values`; False where TF's reader fails."""
    if stream.peek() == 0x0A:
        stream.pos += 1
        m = stream.varint(32)
        if m is None:
            return False
        packed = stream.push_limit(m)
        while not stream.at_end():
            v = _read_number(stream, kind)
            if v is None:
                return False
            values.append(v)
        stream.pop_limit(packed)
        return True
    tag = _UNPACKED_TAG[kind]
    if stream.peek() != tag:
        return False
    while not stream.at_end():
        v = _read_number(stream, kind) if stream.expect_tag(tag) else None
        if v is None:
            return False
        values.append(v)
    return True


class SequenceProtoError(Exception):
    """A SequenceExample whose framing TF's parser cannot read."""


def sequence_example_parts(buf, context_keys, list_keys):
    """{key: Feature bytes} of the requested context features and {key: FeatureList bytes} of
    the requested feature lists of a serialized SequenceExample (the last entry of a key
    wins), as TF's fast sequence parser extracts them.

    Raises:
        SequenceProtoError: the framing (fields, map entries) is malformed.
    """
    s = _Stream(buf)
    context, lists = {}, {}
    while not s.at_end():
        if s.expect_tag(0x0A):
            found, wanted = context, context_keys
        elif s.expect_tag(0x12):
            found, wanted = lists, list_keys
        else:
            if not s.skip_field():
                raise SequenceProtoError()
            continue
        n = s.varint(32)
        if n is None:
            raise SequenceProtoError()
        outer = s.push_limit(n)
        while not s.at_end():
            if not s.expect_tag(0x0A):
                raise SequenceProtoError()
            m = s.varint(32)
            if m is None:
                raise SequenceProtoError()
            inner = s.push_limit(m)
            key = s.string() if s.expect_tag(0x0A) else None
            value = s.string() if key is not None and s.expect_tag(0x12) else None
            if value is None or not s.at_end():
                raise SequenceProtoError()
            s.pop_limit(inner)
            if key in wanted:
                found[key] = value
        s.pop_limit(outer)
    return context, lists


def read_sequence_feature(kind, stream, collect=True):
    """TF's ParseBytes/Float/Int64Feature: the values of the Feature at `stream` (which must
    start with `kind`'s list), or None where it is another kind or malformed."""
    if not stream.expect_tag(TAG_OF_KIND[kind]):
        return None
    n = stream.varint(32)
    if n is None:
        return None
    values = []
    if n == 0:
        return values
    old = stream.push_limit(n)
    if kind == "bytes":
        while not stream.at_end():
            if not stream.expect_tag(0x0A):
                return None
            m = stream.varint(32)
            if m is None:
                return None
            if collect:
                v = stream.raw(m)
                if v is None:
                    return None
                values.append(v)
            else:
                stream.skip(m)
                values.append(None)
    elif not _read_numbers(stream, kind, values):
        return None
    stream.pop_limit(old)
    return values


def feature_list_rows(kind, feature_list):
    """The rows of a FeatureList as TF's sequence parser walks them: yields ("values",
    [values]) for a Feature longer than 2 bytes, ("empty", None) for a 2-byte one (which must
    be an empty list of `kind`), ("none", None) for an empty Feature; ("error", "framing") or
    ("error", "type") and stops where TF's parser fails."""
    s = _Stream(feature_list)
    while not s.at_end():
        n = s.varint(32) if s.expect_tag(0x0A) else None
        if n is None:
            yield "error", "framing"
            return
        if n > 2:
            old = s.push_limit(n)
            values = read_sequence_feature(kind, s)
            if values is None:
                yield "error", "type"
                return
            s.pop_limit(old)
            yield "values", values
        elif n == 2:
            if not (s.expect_tag(TAG_OF_KIND[kind]) and s.varint(32) == 0):
                yield "error", "type"
                return
            yield "empty", None
        elif n != 0:
            yield "error", "framing"
            return
        else:
            yield "none", None


def encode_example_unpacked(entries):
    """The wire bytes of an Example with features [(key, kind or None, values)] (None: no
    `features` field), map entries in the given order, numbers unpacked: what protobuf's
    JSON-to-binary conversion (TF's DecodeJSONExample) writes."""
    if entries is None:
        return b""
    body = b""
    for key, kind, values in entries:
        feature = b""
        if kind == "bytes":
            feature = _length_delimited(1, b"".join(_length_delimited(1, v) for v in values))
        elif kind == "float":
            feature = _length_delimited(2, b"".join(_field(1, 5) + struct.pack("<f", v)
                                                    for v in values))
        elif kind == "int64":
            feature = _length_delimited(3, b"".join(_field(1, 0) + _varint(v)
                                                    for v in values))
        body += _length_delimited(1, _length_delimited(1, key.encode("utf-8"))
                                  + _length_delimited(2, feature))
    return _length_delimited(1, body)


__all__ = ["BytesList", "Example", "Feature", "FeatureList", "FeatureLists", "Features",
           "FloatList", "Int64List", "SequenceExample"]
