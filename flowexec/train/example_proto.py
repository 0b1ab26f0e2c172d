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

_I64_MIN, _I64_MAX = -(2 ** 63), 2 ** 63 - 1


# ----- wire format -----------------------------------------------------------------------
def _varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _read_varint(buf, pos):
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise DataLossError(None, None, "Error parsing message: truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise DataLossError(None, None, "Error parsing message: varint too long")


def _field(number, wire_type):
    return _varint((number << 3) | wire_type)


def _length_delimited(number, payload):
    return _field(number, 2) + _varint(len(payload)) + payload


def _fields(buf):
    """Yields (field number, wire type, value) of a serialized message."""
    buf = memoryview(bytes(buf))
    pos = 0
    while pos < len(buf):
        key, pos = _read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(buf, pos)
        elif wire == 1:
            value, pos = bytes(buf[pos:pos + 8]), pos + 8
        elif wire == 2:
            n, pos = _read_varint(buf, pos)
            value, pos = bytes(buf[pos:pos + n]), pos + n
        elif wire == 5:
            value, pos = bytes(buf[pos:pos + 4]), pos + 4
        else:
            raise DataLossError(None, None, f"Error parsing message: wire type {wire}")
        if pos > len(buf):
            raise DataLossError(None, None, "Error parsing message: truncated field")
        yield number, wire, value


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
        for name, cls in self._FIELDS:
            value = fields.pop(name, None)
            if value is not None and not isinstance(value, cls):
                raise TypeError(f"expected {cls.__name__} for {name}, got "
                                f"{type(value).__name__}")
            setattr(self, name, value if value is not None else cls())
        if fields:
            raise ValueError(f'Protocol message {type(self).__name__} has no '
                             f'"{next(iter(fields))}" field.')

    def HasField(self, name):
        """Whether submessage `name` is non-empty."""
        return bool(getattr(self, name)._encode())

    def _encode(self):
        out = b""
        for i, (name, _) in enumerate(self._FIELDS, 1):
            payload = getattr(self, name)._encode()
            if payload:
                out += _length_delimited(i, payload)
        return out

    def _merge(self, data):
        for number, wire, v in _fields(data):
            if 1 <= number <= len(self._FIELDS) and wire == 2:
                getattr(self, self._FIELDS[number - 1][0])._merge(v)

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


__all__ = ["BytesList", "Example", "Feature", "FeatureList", "FeatureLists", "Features",
           "FloatList", "Int64List", "SequenceExample"]
