"""edit_distance_op: TF's EditDistance op (`tf.edit_distance`), the Levenshtein distance
between the sequences of two SparseTensors.

Both SparseTensors have rank R >= 2 and indices in row-major order; the entries sharing their
first R - 1 coordinates form one sequence (the last coordinate only orders it). The output
has shape `max(hypothesis_shape, truth_shape)[:-1]`: for each position, the edit distance
between the hypothesis and truth sequences there (values compared for equality, any dtype,
strings too), divided by the truth's length when `normalize`. As TF: a position with no
truth gives the hypothesis length (inf when normalized and the hypothesis is not empty), one
with no hypothesis the truth length (1 when normalized), and one with neither 0.
"""

from flowexec.framework import dtypes, errors
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.sparse_tensor import SparseTensor, SparseTensorValue
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import shape_fns

__all__ = ["edit_distance"]


def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


def _debug(shape):
    return "[" + ",".join(str(int(d)) for d in shape) + "]"


def _infer(op):
    h_idx, h_val, h_shape, t_idx, t_val, t_shape = op.inputs
    for i in (0, 2, 3, 5):
        if op.inputs[i].dtype is not dtypes.int64:
            raise TypeError(f"Input '{op.op_def.input_names[i]}' of 'EditDistance' Op has type "
                            f"{op.inputs[i].dtype.name} that does not match expected type of "
                            "int64.")
    if t_val.dtype is not h_val.dtype:
        raise TypeError(f"Input 'truth_values' of 'EditDistance' Op has type "
                        f"{t_val.dtype.name} that does not match type {h_val.dtype.name} of "
                        "argument 'hypothesis_values'.")
    for t, rank in ((h_idx, 2), (h_val, 1), (h_shape, 1), (t_idx, 2), (t_val, 1),
                    (t_shape, 1)):
        if t.shape.ndims is not None and t.shape.ndims != rank:
            raise shape_fns.shape_error(
                op, f"Shape must be rank {rank} but is rank {t.shape.ndims}")
    h = shape_fns.constant_value(h_shape)
    t = shape_fns.constant_value(t_shape)
    if h is None or t is None:
        return [(dtypes.float32, TensorShape(None))]
    if h.size != t.size:
        raise shape_fns.shape_error(op, "Num elements of hypothesis_shape does not match "
                                    f"truth_shape: {h.size} vs. {t.size}")
    return [(dtypes.float32, TensorShape([max(int(a), int(b)) for a, b in
                                          zip(h.reshape(-1)[:-1], t.reshape(-1)[:-1])]))]


def _validate(h_idx, h_val, h_shape, t_idx, t_val, t_shape):
    """TF's ValidateShapes (edit_distance_op.cc), in its order."""
    for arr, name, kind in ((h_idx, "hypothesis_indices", 2), (t_idx, "truth_indices", 2),
                            (h_val, "hypothesis_values", 1), (t_val, "truth_values", 1),
                            (h_shape, "hypothesis_shape", 1), (t_shape, "truth_shape", 1)):
        if arr.ndim != kind:
            what = "a matrix" if kind == 2 else "a vector"
            raise _invalid(f"{name} should be {what}, but got shape: {_debug(arr.shape)}")
    if h_val.size != h_idx.shape[0]:
        raise _invalid("Expected hypothesis_values.NumElements == #rows(hypothesis_indices), "
                       f"their shapes are: {_debug(h_val.shape)} and {_debug(h_idx.shape)}")
    if h_shape.size != h_idx.shape[1]:
        raise _invalid("Expected hypothesis_shape.NumElements == #cols(hypothesis_indices), "
                       f"their shapes are: {_debug(h_shape.shape)} and {_debug(h_idx.shape)}")
    if t_shape.size < 2:
        raise _invalid("Input SparseTensors must have rank at least 2, but truth_shape rank "
                       f"is: {t_shape.size}")
    if t_val.size != t_idx.shape[0]:
        raise _invalid("Expected truth_values.NumElements == #rows(truth_indices), their "
                       f"shapes are: {_debug(t_val.shape)} and {_debug(t_idx.shape)}")
    if t_shape.size != t_idx.shape[1]:
        raise _invalid("Expected truth_shape.NumElements == #cols(truth_indices), their "
                       f"shapes are: {_debug(t_shape.shape)} and {_debug(t_idx.shape)}")
    if t_shape.size != h_shape.size:
        raise _invalid("Expected truth and hypothesis to have matching ranks, but their "
                       f"shapes are: {_debug(t_shape.shape)} and {_debug(h_shape.shape)}")


def _groups(indices, values):
    """Runs of consecutive entries sharing all but the last coordinate (TF's group())."""
    keys = [tuple(row[:-1]) for row in indices.tolist()]
    vals = values.tolist()
    out = []
    for k, v in zip(keys, vals):
        if out and out[-1][0] == k:
            out[-1][1].append(v)
        else:
            out.append((k, [v]))
    return out


def levenshtein(a, b):
    """Edit distance between sequences `a` and `b` (insertions, deletions, substitutions)."""
    if len(a) < len(b):
        a, b = b, a
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            cur = min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
            prev, row[j] = row[j], cur
    return row[-1]


@defop("EditDistance", infer=_infer, device_types=("CPU",))
def _edit_distance(xp, hypothesis_indices, hypothesis_values, hypothesis_shape, truth_indices,
                   truth_values, truth_shape, *, normalize=True):
    _validate(hypothesis_indices, hypothesis_values, hypothesis_shape, truth_indices,
              truth_values, truth_shape)
    dims = [max(int(a), int(b)) for a, b in zip(hypothesis_shape.tolist()[:-1],
                                                truth_shape.tolist()[:-1])]
    size = 1
    for d in dims:
        size *= d
    if size <= 0:
        raise _invalid(f"Got output shape {_debug(dims)} which has 0 elements")
    strides = [1] * len(dims)
    for d in range(len(dims) - 2, -1, -1):
        strides[d] = strides[d + 1] * dims[d + 1]
    out = [0.0] * size

    def put(key, value):
        loc = sum(k * s for k, s in zip(key, strides))
        if not 0 <= loc < size:
            raise errors.InternalError(None, None, f"Got an inner product {loc} which would "
                                       "require writing to outside of the buffer for the "
                                       f"output tensor (max elements {size})")
        out[loc] = value

    hyp = _groups(hypothesis_indices, hypothesis_values)
    truth = _groups(truth_indices, truth_values)
    i = j = 0
    while i < len(hyp) and j < len(truth):
        (hk, hs), (tk, ts) = hyp[i], truth[j]
        if hk == tk:
            d = float(levenshtein(ts, hs))
            put(tk, d / len(ts) if normalize else d)
            i, j = i + 1, j + 1
        elif tk > hk:   # no truth here
            put(hk, _missing_truth(len(hs), normalize))
            i += 1
        else:           # no hypothesis here
            put(tk, 1.0 if normalize else float(len(ts)))
            j += 1
    for hk, hs in hyp[i:]:
        put(hk, _missing_truth(len(hs), normalize))
    for tk, ts in truth[j:]:
        put(tk, 1.0 if normalize else float(len(ts)))
    return xp.asarray(out, dtype=xp.float32).reshape(dims)


def _missing_truth(n, normalize):
    return float("inf") if normalize and n else float(n)


_edit_distance.not_differentiable()


def edit_distance(hypothesis, truth, normalize=True, name="edit_distance"):
    """Levenshtein distance between the sequences of two SparseTensors (op type
    EditDistance).

    Args:
        hypothesis: a SparseTensor (or SparseTensorValue) of rank R >= 2: the sequences
            predicted, one per position of its first R - 1 dimensions.
        truth: a SparseTensor of the same rank and dtype: the reference sequences.
        normalize: divide each distance by the length of its truth sequence.
        name: the op's name.

    Returns:
        float32 Tensor of rank R - 1, shaped `max(hypothesis_shape, truth_shape)[:-1]`.

    Raises:
        TypeError: `hypothesis` or `truth` is not a SparseTensor.

    Example:
        >>> hyp = tf.SparseTensor([[0, 0], [0, 1]], ["a", "b"], [1, 2])
        >>> truth = tf.SparseTensor([[0, 0]], ["a"], [1, 1])
        >>> tf.edit_distance(hyp, truth)  # [1.0]: one insertion over a truth of length 1
    """
    if not isinstance(hypothesis, (SparseTensor, SparseTensorValue)):
        raise TypeError("Hypothesis must be a SparseTensor.")
    if not isinstance(truth, (SparseTensor, SparseTensorValue)):
        raise TypeError("Truth must be a SparseTensor.")
    hypothesis = _as_sparse(hypothesis)
    truth = _as_sparse(truth)
    return apply_op("EditDistance", hypothesis.indices, hypothesis.values,
                    hypothesis.dense_shape, truth.indices, truth.values, truth.dense_shape,
                    name=name, normalize=bool(normalize))


def _as_sparse(value):
    return SparseTensor.from_value(value) if isinstance(value, SparseTensorValue) else value
