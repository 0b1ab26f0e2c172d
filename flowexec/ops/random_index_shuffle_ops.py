"""RandomIndexShuffle: `tf.random_index_shuffle`, the position of `index` in a pseudorandom
permutation of `[0, max_index]` fixed by a 3-word `seed`.

TF's kernel (tensorflow/core/kernels/random_index_shuffle.cc), reproduced bit for bit: a
Simon block cipher (Feistel, `rounds` rounds, the seed's three words as its first round
keys) on blocks of `max(ceil(log2(max_index)) rounded up to even, 16)` bits, cycle-walking
until the result is at most `max_index`; for fixed seed and max_index the map is a bijection.
Scalars and vectors broadcast as TF's: `index`, `max_index` scalars or `[n]`, `seed` `[3]`
or `[n, 3]`. Only odd or fewer than 4 rounds differ: TF's kernel reads past its round keys
there (undefined results); flowexec raises InvalidArgumentError. Not differentiable.

Example:
    >>> tf.random_index_shuffle(tf.range(10), [1, 2, 3], 9)  # [2 0 6 4 8 1 7 9 5 3]
"""

import math

import numpy as np

from flowexec import errors
from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import shape_fns

_TYPES = (dtypes.int32, dtypes.uint32, dtypes.int64, dtypes.uint64)
_MIN_BLOCK_BITS = 16
_C = 0xfffffffc
_Z = 0x7369f885192c0ef5


def _rotl(x, r, w, mask):
    return ((x << r) | (x >> (w - r))) & mask


def _rotr(x, r, w, mask):
    return ((x >> r) | (x << (w - r))) & mask


def _simon_f(x, w, mask):
    return (_rotl(x, 1, w, mask) & _rotl(x, 8, w, mask)) ^ _rotl(x, 2, w, mask)


def _round_keys(key, rounds, w):
    mask = (1 << w) - 1
    z = _Z & mask
    keys = [k & mask for k in key]
    for i in range(3, rounds):
        keys.append((_C & mask) ^ (z & 1) ^ keys[i - 3] ^ _rotr(keys[i - 1], 3, w, mask)
                    ^ _rotr(keys[i - 1], 4, w, mask))
        z >>= 1
    return keys


def _encrypt(value, keys, w):
    mask = (1 << w) - 1
    left, right = (value >> w) & mask, value & mask
    for i in range(0, len(keys), 2):
        left ^= _simon_f(right, w, mask) ^ keys[i]
        right ^= _simon_f(left, w, mask) ^ keys[i + 1]
    return (left << w) | right


def index_shuffle(index, key, max_index, rounds=4):
    """TF's `random::index_shuffle` on Python ints: `index` in [0, max_index]'s
    permutation for `key` (three uint32 words)."""
    if max_index == 0:
        return 0
    bits = int(math.ceil(math.log2(float(max_index))))  # as TF, in double precision
    bits = min(max(bits + bits % 2, _MIN_BLOCK_BITS), 64)
    w = bits // 2
    keys = _round_keys(key, rounds, w)
    x = index
    while True:
        x = _encrypt(x, keys, w)
        if x <= max_index:
            return x


def _infer(op):
    index, seed, max_index = op.inputs
    shape_fns.check_dtype_in(op, _TYPES, 0)
    shape_fns.check_dtype_in(op, _TYPES, 1)
    if max_index.dtype is not index.dtype:
        raise TypeError(f"Input 'max_index' of 'RandomIndexShuffle' Op has type "
                        f"{max_index.dtype.name} that does not match type {index.dtype.name} "
                        f"of argument 'index'.")
    _check_shapes(op, index.shape, seed.shape, max_index.shape,
                  lambda detail: shape_fns.shape_error(op, detail))
    if index.shape.ndims is None or seed.shape.ndims is None or max_index.shape.ndims is None:
        return [(index.dtype, TensorShape(None))]
    if index.shape.ndims == 0 and seed.shape.ndims == 1 and max_index.shape.ndims == 0:
        return [(index.dtype, TensorShape([]))]
    n = None
    for dim in (index.shape[0] if index.shape.ndims else None,
                seed.shape[0] if seed.shape.ndims == 2 else None,
                max_index.shape[0] if max_index.shape.ndims else None):
        n = n if dim is None else dim
    return [(index.dtype, TensorShape([n]))]


def _check_shapes(op, index, seed, max_index, error):
    """TF's shape function checks, on static or run-time shapes (TensorShape)."""
    for s in (index, max_index):
        if s.ndims is not None and s.ndims > 1:
            raise error(f"Shape must be at most rank 1 but is rank {s.ndims}")
    if seed.ndims is not None and (seed.ndims not in (1, 2) or seed[-1] not in (None, 3)):
        raise error(f"Seed must have shape [3] or [n, 3] but got {seed.proto_str()}.")
    n = index[0] if index.ndims == 1 else None
    if seed.ndims == 2 and n is not None and seed[0] not in (None, n):
        raise error(f"Seed has shape {seed.proto_str()} but must have shape [{n}, 3]. "
                    f"since index had shape {index.proto_str()}.")
    if n is None and seed.ndims == 2:
        n = seed[0]
    if max_index.ndims == 1 and n is not None and max_index[0] not in (None, n):
        raise error(f"Max index has shape {max_index.proto_str()} but must have shape [{n}].")


@defop("RandomIndexShuffle", infer=_infer, device_types=("CPU",))
def _random_index_shuffle(xp, index, seed, max_index, *, rounds):
    index, seed, max_index = (np.asarray(a) for a in (index, seed, max_index))
    _check_shapes(None, *(TensorShape(a.shape) for a in (index, seed, max_index)),
                  lambda detail: errors.InvalidArgumentError(None, None, detail))
    if rounds < 4 or rounds % 2:
        raise errors.InvalidArgumentError(
            None, None, f"rounds must be an even number >= 4 but was {rounds} (TF's kernel "
                        f"reads past its round keys there)")
    scalar = index.ndim == 0 and seed.ndim == 1 and max_index.ndim == 0
    n = max(index.size, max_index.size, seed.size // 3)
    seeds = seed.reshape(-1, 3).astype(np.uint32)  # static_cast<uint32_t>, as TF
    out = np.empty(n, index.dtype)
    for i in range(n):
        x = int(index.reshape(-1)[i if index.ndim else 0])
        top = int(max_index.reshape(-1)[i if max_index.ndim else 0])
        if x < 0:
            raise errors.InvalidArgumentError(None, None, f"index must be >= 0 but was {x}")
        if top < x:
            raise errors.InvalidArgumentError(
                None, None, f"max_index must be >= index, but {top} < {x}")
        key = [int(k) for k in seeds[i if seed.ndim == 2 else 0]]
        out[i] = index_shuffle(x, key, top, rounds)
    return xp.asarray(out.reshape(()) if scalar else out)


_random_index_shuffle.not_differentiable()


def random_index_shuffle(index, seed, max_index, rounds=4, name=None):
    """The position of `index` in the permutation of `[0, max_index]` that `seed` fixes.

    Args:
        index: int32/uint32/int64/uint64 scalar or vector, in `[0, max_index]`.
        seed: `[3]` or `[n, 3]` integer Tensor (each word taken as uint32).
        max_index: scalar or vector of `index`'s dtype.
        rounds: the cipher's rounds, an even number >= 4 (default 4, as TF).
        name: op name (default "RandomIndexShuffle").

    Returns:
        A Tensor of `index`'s dtype: a scalar when all inputs are scalars (seed `[3]`), else
        `[n]`.

    Raises:
        TypeError, ValueError: TF's dtype and shape errors at graph build.
        InvalidArgumentError: at run time, "index must be >= 0 but was -1", "max_index must
            be >= index, but 0 < 3".

    Example:
        >>> random_index_shuffle(5, [7, 8, 9], 100)  # 91
    """
    index = convert_to_tensor(index, name="index")
    seed = convert_to_tensor(seed, name="seed")
    max_index = convert_to_tensor(max_index, dtype=index.dtype, name="max_index")
    return apply_op("RandomIndexShuffle", index, seed, max_index,
                    name=name or "RandomIndexShuffle", rounds=int(rounds))


__all__ = ["random_index_shuffle"]


def stateless_index_shuffle(index, seed, max_index):
    """`tf.random.experimental.index_shuffle`: the position of `index` in the permutation of
    `[0, max_index]` that a `[2]` (or `[n, 2]`) stateless seed fixes, bit for bit TF's.

    As TF, the seed is padded in front with 498247692 to the op's `[3]` (`[n, 3]`) key, and 4
    rounds are used.

    Args:
        index: int32/int64/uint32/uint64 scalar or vector in `[0, max_index]`.
        seed: `[2]` or `[n, 2]` integer Tensor.
        max_index: scalar or vector of `index`'s dtype (inclusive upper bound).

    Returns:
        A Tensor of `index`'s dtype (a scalar for scalar inputs).

    Raises:
        InvalidArgumentError: at run time, TF's range errors.

    Example:
        >>> tf.random.experimental.index_shuffle(tf.range(4), [5, 9], 3)  # [2, 0, 1, 3]
    """
    from flowexec.ops import array_ops as _a

    seed = convert_to_tensor(seed, name="seed")
    rank = seed.shape.ndims
    pads = [[1, 0]] + ([[0, 0]] * (rank - 1) if rank else [])
    seed = _a.pad(seed, pads, constant_values=498247692)
    return random_index_shuffle(index, seed, max_index, rounds=4)
