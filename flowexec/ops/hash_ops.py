"""hash_ops: hashing strings to buckets and fingerprints, bit for bit as TensorFlow does.

- `string_to_hash_bucket_fast` (StringToHashBucketFast): FarmHash `Fingerprint64` (farmhashna's
  Hash64, the function TF calls through `tensorflow::Fingerprint64`) modulo `num_buckets`;
- `string_to_hash_bucket` (StringToHashBucket, deprecated): TF's own `Hash64`
  (core/lib/hash/hash.cc: a MurmurHash2-64 variant with seed 0xDECAFCAFFE) modulo
  `num_buckets`;
- `string_to_hash_bucket_strong` (StringToHashBucketStrong): SipHash-2-4 keyed with the two
  uint64 words of `key`, modulo `num_buckets`;
- `fingerprint` (Fingerprint, method "farmhash64"): each row's Fingerprint64 as 8
  little-endian bytes (uint8 [rows, 8]); numeric rows hash their little-endian bytes, string
  rows of several elements hash the concatenated fingerprints of their elements.

The hash functions are plain Python over 64-bit integers (masked), checked against TF's
outputs in tests/ops/test_hash_ops.py; they run on the host at a few MB/s. None of the ops
is differentiable.
"""

import struct

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.errors import InvalidArgumentError
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import shape_fns

__all__ = ["fingerprint", "string_to_hash_bucket", "string_to_hash_bucket_fast",
           "string_to_hash_bucket_strong"]

_HOST = ("CPU",)
_M64 = (1 << 64) - 1

# ----- FarmHash Fingerprint64 (farmhashna::Hash64) -----------------------------------------
_K0 = 0xC3A5C85C97CB3127
_K1 = 0xB492B66FBE98F273
_K2 = 0x9AE16A3B2F90404F
_KMUL = 0x9DDFEA08EB382D69


def _fetch64(s, i):
    return int.from_bytes(s[i:i + 8], "little")


def _fetch32(s, i):
    return int.from_bytes(s[i:i + 4], "little")


def _rot(v, shift):
    return ((v >> shift) | (v << (64 - shift))) & _M64 if shift else v


def _shift_mix(v):
    return v ^ (v >> 47)


def _hash_len16(u, v, mul=_KMUL):
    a = ((u ^ v) * mul) & _M64
    a ^= a >> 47
    b = ((v ^ a) * mul) & _M64
    b ^= b >> 47
    return (b * mul) & _M64


def _len0to16(s):
    n = len(s)
    if n >= 8:
        mul = _K2 + n * 2
        a = (_fetch64(s, 0) + _K2) & _M64
        b = _fetch64(s, n - 8)
        c = (_rot(b, 37) * mul + a) & _M64
        d = ((_rot(a, 25) + b) * mul) & _M64
        return _hash_len16(c, d, mul)
    if n >= 4:
        mul = _K2 + n * 2
        a = _fetch32(s, 0)
        return _hash_len16((n + (a << 3)) & _M64, _fetch32(s, n - 4), mul)
    if n > 0:
        y = s[0] + (s[n >> 1] << 8)
        z = n + (s[n - 1] << 2)
        return (_shift_mix(((y * _K2) ^ (z * _K0)) & _M64) * _K2) & _M64
    return _K2


def _len17to32(s):
    n = len(s)
    mul = _K2 + n * 2
    a = (_fetch64(s, 0) * _K1) & _M64
    b = _fetch64(s, 8)
    c = (_fetch64(s, n - 8) * mul) & _M64
    d = (_fetch64(s, n - 16) * _K2) & _M64
    return _hash_len16((_rot((a + b) & _M64, 43) + _rot(c, 30) + d) & _M64,
                       (a + _rot((b + _K2) & _M64, 18) + c) & _M64, mul)


def _len33to64(s):
    n = len(s)
    mul = _K2 + n * 2
    a = (_fetch64(s, 0) * _K2) & _M64
    b = _fetch64(s, 8)
    c = (_fetch64(s, n - 8) * mul) & _M64
    d = (_fetch64(s, n - 16) * _K2) & _M64
    y = (_rot((a + b) & _M64, 43) + _rot(c, 30) + d) & _M64
    z = _hash_len16(y, (a + _rot((b + _K2) & _M64, 18) + c) & _M64, mul)
    e = (_fetch64(s, 16) * mul) & _M64
    f = _fetch64(s, 24)
    g = ((y + _fetch64(s, n - 32)) * mul) & _M64
    h = ((z + _fetch64(s, n - 24)) * mul) & _M64
    return _hash_len16((_rot((e + f) & _M64, 43) + _rot(g, 30) + h) & _M64,
                       (e + _rot((f + a) & _M64, 18) + g) & _M64, mul)


def _weak32(s, i, a, b):
    w, x, y, z = (_fetch64(s, i + k) for k in (0, 8, 16, 24))
    a = (a + w) & _M64
    b = _rot((b + a + z) & _M64, 21)
    c = a
    a = (a + x + y) & _M64
    b = (b + _rot(a, 44)) & _M64
    return (a + z) & _M64, (b + c) & _M64


def fingerprint64(s):
    """FarmHash's Fingerprint64 (farmhashna::Hash64) of the bytes `s`, as TF computes it."""
    s = bytes(s)
    n = len(s)
    if n <= 16:
        return _len0to16(s)
    if n <= 32:
        return _len17to32(s)
    if n <= 64:
        return _len33to64(s)
    seed = 81
    x = seed
    y = (seed * _K1 + 113) & _M64
    z = (_shift_mix((y * _K2 + 113) & _M64) * _K2) & _M64
    v0 = v1 = w0 = w1 = 0
    x = (x * _K2 + _fetch64(s, 0)) & _M64
    end = ((n - 1) // 64) * 64
    last64 = n - 64
    pos = 0
    while True:
        x = (_rot((x + y + v0 + _fetch64(s, pos + 8)) & _M64, 37) * _K1) & _M64
        y = (_rot((y + v1 + _fetch64(s, pos + 48)) & _M64, 42) * _K1) & _M64
        x ^= w1
        y = (y + v0 + _fetch64(s, pos + 40)) & _M64
        z = (_rot((z + w0) & _M64, 33) * _K1) & _M64
        v0, v1 = _weak32(s, pos, (v1 * _K1) & _M64, (x + w0) & _M64)
        w0, w1 = _weak32(s, pos + 32, (z + w1) & _M64, (y + _fetch64(s, pos + 16)) & _M64)
        z, x = x, z
        pos += 64
        if pos == end:
            break
    mul = _K1 + ((z & 0xFF) << 1)
    pos = last64
    w0 = (w0 + ((n - 1) & 63)) & _M64
    v0 = (v0 + w0) & _M64
    w0 = (w0 + v0) & _M64
    x = (_rot((x + y + v0 + _fetch64(s, pos + 8)) & _M64, 37) * mul) & _M64
    y = (_rot((y + v1 + _fetch64(s, pos + 48)) & _M64, 42) * mul) & _M64
    x ^= (w1 * 9) & _M64
    y = (y + v0 * 9 + _fetch64(s, pos + 40)) & _M64
    z = (_rot((z + w0) & _M64, 33) * mul) & _M64
    v0, v1 = _weak32(s, pos, (v1 * mul) & _M64, (x + w0) & _M64)
    w0, w1 = _weak32(s, pos + 32, (z + w1) & _M64, (y + _fetch64(s, pos + 16)) & _M64)
    z, x = x, z
    return _hash_len16((_hash_len16(v0, w0, mul) + _shift_mix(y) * _K0 + z) & _M64,
                       (_hash_len16(v1, w1, mul) + x) & _M64, mul)


# ----- TF's legacy Hash64 (core/lib/hash/hash.cc) ----------------------------------------
_MURMUR_M = 0xC6A4A7935BD1E995


def hash64(s, seed=0xDECAFCAFFE):
    """TensorFlow's `Hash64(data, n, seed)` of the bytes `s` (StringToHashBucket's hash)."""
    s = bytes(s)
    n = len(s)
    m = _MURMUR_M
    h = (seed ^ (n * m)) & _M64
    full = n - n % 8
    for i in range(0, full, 8):
        k = (_fetch64(s, i) * m) & _M64
        k ^= k >> 47
        k = (k * m) & _M64
        h = ((h ^ k) * m) & _M64
    rest = s[full:]
    if rest:
        for j, byte in enumerate(rest):
            h ^= byte << (8 * j)
        h = (h * m) & _M64
    h ^= h >> 47
    h = (h * m) & _M64
    h ^= h >> 47
    return h


# ----- SipHash-2-4 ----------------------------------------------------------------------
def _sip_round(v0, v1, v2, v3):
    # `_rot` rotates right (farmhash's Rotate); SipHash's ROTL(x, b) is `_rot(x, 64 - b)`.
    v0 = (v0 + v1) & _M64
    v1 = _rot(v1, 64 - 13) ^ v0
    v0 = _rot(v0, 64 - 32)
    v2 = (v2 + v3) & _M64
    v3 = _rot(v3, 64 - 16) ^ v2
    v0 = (v0 + v3) & _M64
    v3 = _rot(v3, 64 - 21) ^ v0
    v2 = (v2 + v1) & _M64
    v1 = _rot(v1, 64 - 17) ^ v2
    v2 = _rot(v2, 64 - 32)
    return v0, v1, v2, v3


def siphash24(k0, k1, s):
    """SipHash-2-4 of the bytes `s` under the key (k0, k1) (TF's StrongKeyedHash)."""
    s = bytes(s)
    v0 = k0 ^ 0x736F6D6570736575
    v1 = k1 ^ 0x646F72616E646F6D
    v2 = k0 ^ 0x6C7967656E657261
    v3 = k1 ^ 0x7465646279746573
    n = len(s)
    full = n - n % 8
    for i in range(0, full, 8):
        m = _fetch64(s, i)
        v3 ^= m
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
        v0 ^= m
    b = ((n & 0xFF) << 56) | int.from_bytes(s[full:], "little")
    v3 ^= b
    v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    v0 ^= b
    v2 ^= 0xFF
    for _ in range(4):
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3


# ----- ops --------------------------------------------------------------------------------
def _bytes_of(v):
    if isinstance(v, bytes):
        return v
    if isinstance(v, str):
        return v.encode("utf-8")
    return bytes(v)


def _buckets(xp, x, num_buckets, hash_fn):
    a = xp.asarray(x, dtype=object)
    flat = [hash_fn(_bytes_of(v)) % num_buckets for v in a.reshape(-1).tolist()]
    return xp.asarray(flat, dtype=xp.int64).reshape(a.shape)


def _bucket_infer(op):
    shape_fns.check_dtype_in(op, (dtypes.string,), 0)
    if op.attrs["num_buckets"] < 1:
        raise ValueError(f"Value for attr 'num_buckets' of {op.attrs['num_buckets']} must be "
                         f"at least minimum 1\n\t; NodeDef: {{{{node {op.name}}}}}")
    return [(dtypes.int64, op.inputs[0].shape)]


@defop("StringToHashBucketFast", infer=_bucket_infer, device_types=_HOST)
def _to_hash_bucket_fast(xp, input, *, num_buckets):
    return _buckets(xp, input, num_buckets, fingerprint64)


_to_hash_bucket_fast.not_differentiable()


@defop("StringToHashBucket", infer=_bucket_infer, device_types=_HOST)
def _to_hash_bucket(xp, string_tensor, *, num_buckets):
    return _buckets(xp, string_tensor, num_buckets, hash64)


_to_hash_bucket.not_differentiable()


def _strong_infer(op):
    key = op.attrs["key"]
    if len(key) != 2:
        raise ValueError(f"Key must have 2 elements: {list(key)}")
    return _bucket_infer(op)


@defop("StringToHashBucketStrong", infer=_strong_infer, device_types=_HOST)
def _to_hash_bucket_strong(xp, input, *, num_buckets, key):
    k0, k1 = (int(k) & _M64 for k in key)
    return _buckets(xp, input, num_buckets, lambda s: siphash24(k0, k1, s))


_to_hash_bucket_strong.not_differentiable()


def _string_input(value, name):
    t = convert_to_tensor(value, name=name, preferred_dtype=dtypes.string)
    if t.dtype is not dtypes.string:
        raise TypeError(f"Value passed to parameter '{name}' has DataType {t.dtype.name} not in "
                        f"list of allowed values: string")
    return t


def string_to_hash_bucket_fast(input, num_buckets, name=None):
    """Each string's FarmHash Fingerprint64 modulo `num_buckets` (int64, op type
    StringToHashBucketFast). Deterministic across runs, processes and machines.

    Example:
        >>> string_to_hash_bucket_fast(["Hello", "TensorFlow", "2.x"], 3)  # [0, 2, 2]
    """
    with name_scope(name, "StringToHashBucketFast", [input]) as scope:
        x = _string_input(input, "input")
        return apply_op("StringToHashBucketFast", x, name=scope, num_buckets=int(num_buckets))


def string_to_hash_bucket(string_tensor, num_buckets, name=None, input=None):
    """Each string hashed (TF's legacy Hash64) modulo `num_buckets` (op type
    StringToHashBucket). Deprecated in TF: prefer `string_to_hash_bucket_fast`."""
    if input is not None:
        string_tensor = input
    with name_scope(name, "StringToHashBucket", [string_tensor]) as scope:
        x = _string_input(string_tensor, "string_tensor")
        return apply_op("StringToHashBucket", x, name=scope, num_buckets=int(num_buckets))


def string_to_hash_bucket_strong(input, num_buckets, key, name=None):
    """Each string's SipHash-2-4 under `key` (a list of two ints) modulo `num_buckets` (op
    type StringToHashBucketStrong): buckets an adversary cannot steer without the key.

    Example:
        >>> string_to_hash_bucket_strong(["Hello", "TF"], 3, [1, 2])
    """
    key = [int(k) for k in key]
    with name_scope(name, "StringToHashBucketStrong", [input]) as scope:
        x = _string_input(input, "input")
        return apply_op("StringToHashBucketStrong", x, name=scope,
                        num_buckets=int(num_buckets), key=key)


def _fingerprint_infer(op):
    data, method = op.inputs
    if method.dtype is not dtypes.string:
        shape_fns.check_dtype_in(op, (dtypes.string,), 1)
    if method.shape.ndims not in (None, 0):
        raise shape_fns.shape_error(op, f"Shape must be rank 0 but is rank {method.shape.ndims}")
    if data.shape.ndims == 0:
        raise shape_fns.shape_error(op, "Shape must be at least rank 1 but is rank 0")
    rows = data.shape[0] if data.shape.ndims else None
    return [(dtypes.uint8, TensorShape([rows, 8]))]


def _le_bytes(xp, row):
    """A numeric row's bytes as TF lays the tensor out in memory (little-endian)."""
    return xp.ascontiguousarray(row).astype(row.dtype.newbyteorder("<"), copy=False).tobytes()


@defop("Fingerprint", infer=_fingerprint_infer, device_types=_HOST)
def _fingerprint(xp, data, method):
    m = method.item() if hasattr(method, "item") else method
    m = _bytes_of(m)
    if m != b"farmhash64":
        raise InvalidArgumentError(None, None,
                                   f"Unsupported fingerprint method: {m.decode(errors='replace')}")
    if data.ndim < 1:
        raise InvalidArgumentError(None, None,
                                   f"`data` should have at least one dimension: {list(data.shape)}")
    rows = data.shape[0]
    flat = data.reshape(rows, -1) if rows else data.reshape(0, 0)
    if data.dtype == object:
        if flat.shape[1:] == (1,):
            keys = [_bytes_of(v) for v in flat.reshape(-1).tolist()]
        else:
            keys = [b"".join(struct.pack("<Q", fingerprint64(_bytes_of(v))) for v in r)
                    for r in flat.tolist()]
    else:
        keys = [_le_bytes(xp, r) for r in flat]
    out = b"".join(struct.pack("<Q", fingerprint64(k)) for k in keys)
    return xp.frombuffer(out, dtype=xp.uint8).reshape(rows, 8).copy()


_fingerprint.not_differentiable()


def fingerprint(data, method="farmhash64", name=None):
    """A fingerprint of each row (`data[i]`) of `data`: uint8 [rows, 8], the little-endian
    bytes of FarmHash's Fingerprint64 (op type Fingerprint). The same on every platform and
    in every TF release that has "farmhash64".

    Numeric rows hash their elements' little-endian bytes; string rows of one element hash
    the string, of several, the concatenated fingerprints of their strings.

    Example:
        >>> fingerprint(["a", "b"])  # uint8 [2, 8]
    """
    with name_scope(name, "Fingerprint", [data]) as scope:
        x = convert_to_tensor(data, name="data")
        m = convert_to_tensor(method, dtype=dtypes.string, name="method")
        return apply_op("Fingerprint", x, m, name=scope)
