"""sparse_cross_ops: feature crosses — TF 1.x's `tf.sparse.cross` and `tf.sparse.cross_hashed`
(op type SparseCross).

Each input is a SparseTensor [batch, k] or a dense Tensor [batch, k] of strings or ints; per
batch row the result holds every combination of one feature from each input (the
SparseTensor inputs first, then the dense ones, as TF's kernel orders its columns; the last
varies fastest), as the features joined by "_X_" (ints in decimal), or hashed: FarmHash
Fingerprint64 of a string feature (an int64 feature as it is) chained with TF's
FingerprintCat64 from `hash_key`, modulo `num_buckets` (or int64's max). A row where some
input has no feature gets none. The values equal TF's (tests/data/tf1/sparse/ops.npz).
Host-only, not differentiable.
"""

import numpy as np

from flowexec.framework import dtypes, errors
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.sparse_tensor import SparseTensor
from flowexec.framework.tensor import Tensor
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import math_ops
from flowexec.ops.hash_ops import fingerprint64

__all__ = ["sparse_cross", "sparse_cross_hashed"]

_DEFAULT_HASH_KEY = 0xDECAFCAFFE
_MASK = (1 << 64) - 1
_KMUL = 0xC6A4A7935BD1E995


def _shift_mix(v):
    return v ^ (v >> 47)


def fingerprint_cat64(fp1, fp2):
    """TF's FingerprintCat64: two 64-bit fingerprints combined."""
    result = fp1 ^ _KMUL
    result ^= (_shift_mix((fp2 * _KMUL) & _MASK) * _KMUL) & _MASK
    result = (result * _KMUL) & _MASK
    result = (_shift_mix(result) * _KMUL) & _MASK
    return _shift_mix(result)


def _infer(op):
    n_sparse = op.attrs["N"]
    for i in range(n_sparse):
        if op.inputs[i].dtype is not dtypes.int64 or op.inputs[2 * n_sparse + i].dtype \
                is not dtypes.int64:
            raise TypeError("SparseCross's indices and shapes must be int64")
    return [(dtypes.int64, TensorShape([None, 2])), (op.attrs["out_type"], TensorShape([None])),
            (dtypes.int64, TensorShape([2]))]


def _columns(n_sparse, args):
    """Per input, per batch row, the list of its features (sparse inputs first)."""
    inds, vals, shapes = args[:n_sparse], args[n_sparse:2 * n_sparse], args[2 * n_sparse:3 *
                                                                          n_sparse]
    dense = args[3 * n_sparse:]
    batch = None
    for s in shapes:
        if s.shape != (2,):
            raise errors.InvalidArgumentError(None, None, "Sparse input shape must be a 2-D "
                                                          "vector")
        batch = int(s[0]) if batch is None else batch
    for d in dense:
        if d.ndim != 2:
            raise errors.InvalidArgumentError(None, None, "Dense inputs should be a matrix "
                                                          f"but received shape {list(d.shape)}")
        batch = d.shape[0] if batch is None else batch
    for s in shapes:
        if int(s[0]) != batch:
            raise errors.InvalidArgumentError(
                None, None, f"Expected batch size {batch} got {int(s[0])}")
    for d in dense:
        if d.shape[0] != batch:
            raise errors.InvalidArgumentError(
                None, None, f"Expected batch size {batch} got {d.shape[0]}")
    columns = []
    for ind, val in zip(inds, vals):
        rows = [[] for _ in range(batch)]
        for (b, _), v in zip(ind.tolist(), val.tolist()):
            rows[b].append(v)
        columns.append(rows)
    for d in dense:
        columns.append([list(r) for r in d.tolist()])
    return batch, columns


def _feature_string(v):
    if isinstance(v, bytes):
        return v
    if isinstance(v, str):
        return v.encode("utf-8")
    return str(int(v)).encode()


def _feature_hash(v):
    if isinstance(v, (bytes, str)):
        return fingerprint64(_feature_string(v))
    return int(v) & _MASK


@defop("SparseCross", infer=_infer, device_types=("CPU",))
def _sparse_cross(xp, *args, hashed_output, num_buckets, hash_key, N, out_type, **_):
    batch, columns = _columns(N, args)
    out_ind, out_val = [], []
    for b in range(batch):
        feats = [c[b] for c in columns]
        if not feats or any(not f for f in feats):
            continue
        counts = [len(f) for f in feats]
        perm = [0] * len(feats)
        k = 0
        while True:
            picked = [f[p] for f, p in zip(feats, perm)]
            if hashed_output:
                h = hash_key & _MASK
                for v in picked:
                    h = fingerprint_cat64(h, _feature_hash(v))
                out_val.append(h % num_buckets if num_buckets > 0 else h % (2 ** 63 - 1))
            else:
                out_val.append(b"_X_".join(_feature_string(v) for v in picked))
            out_ind.append([b, k])
            k += 1
            i = len(perm) - 1  # the last input varies fastest
            while i >= 0:
                perm[i] += 1
                if perm[i] < counts[i]:
                    break
                perm[i] = 0
                i -= 1
            if i < 0:
                break
    width = max((k for _, k in out_ind), default=-1) + 1
    if hashed_output:
        values = np.array(out_val, dtype=np.uint64).astype(np.int64)
    else:
        values = np.empty(len(out_val), dtype=object)
        values[:] = out_val
    return (np.array(out_ind, dtype=np.int64).reshape(-1, 2), values,
            np.array([batch, width], dtype=np.int64))


_sparse_cross.not_differentiable()


def _cross(inputs, hashed_output=False, num_buckets=0, hash_key=None, name=None):
    if not isinstance(inputs, list):
        raise TypeError("Inputs must be a list")
    if not all(isinstance(i, (SparseTensor, Tensor)) for i in inputs):
        raise TypeError("All inputs must be SparseTensors")
    sparse = [i for i in inputs if isinstance(i, SparseTensor)]
    dense = [i for i in inputs if not isinstance(i, SparseTensor)]
    values = [s.values for s in sparse]
    internal_type = dtypes.string
    for i, v in enumerate(values):
        if v.dtype != dtypes.string:
            values[i] = math_ops.cast(v, dtypes.int64)
            internal_type = dtypes.int64
    for i, d in enumerate(dense):
        if d.dtype != dtypes.string:
            dense[i] = math_ops.cast(d, dtypes.int64)
            internal_type = dtypes.int64
    ind, val, shape = apply_op(
        "SparseCross", *[s.indices for s in sparse], *values, *[s.dense_shape for s in sparse],
        *dense, name=name or "SparseCross", N=len(sparse), hashed_output=bool(hashed_output),
        num_buckets=int(num_buckets), hash_key=int(hash_key or _DEFAULT_HASH_KEY),
        sparse_types=[v.dtype for v in values], dense_types=[d.dtype for d in dense],
        out_type=dtypes.int64 if hashed_output else dtypes.string,
        internal_type=internal_type)
    return SparseTensor(ind, val, shape)


def sparse_cross(inputs, name=None):
    """The string crosses of a list of SparseTensors and dense Tensors (op type SparseCross).

    Example:
        >>> a = tf.SparseTensor([[0, 0], [1, 0], [1, 1]], ["a", "b", "c"], [2, 2])
        >>> sess.run(tf.sparse.cross([a, tf.constant([["f"], ["g"]])])).values
        array([b'a_X_f', b'b_X_g', b'c_X_g'], dtype=object)
    """
    return _cross(inputs, hashed_output=False, name=name)


def sparse_cross_hashed(inputs, num_buckets=0, hash_key=None, name=None):
    """The hashed crosses (int64; modulo `num_buckets` when > 0) of a list of SparseTensors
    and dense Tensors (op type SparseCross with hashed_output)."""
    return _cross(inputs, hashed_output=True, num_buckets=num_buckets, hash_key=hash_key,
                  name=name)

