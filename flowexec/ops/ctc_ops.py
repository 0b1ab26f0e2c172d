"""ctc_ops: Connectionist Temporal Classification losses — TF's CTCLoss op (`tf.nn.ctc_loss`),
the dense-label loss of `tf.nn.ctc_loss_v2`, `tf.nn.collapse_repeated` and
`tf.nn.ctc_unique_labels`. The decoders are in ctc_decoders.py.

CTCLoss is TF's kernel (core/util/ctc/ctc_loss_calculator.h) in numpy: softmax of the logits,
log-space forward (alpha) and backward (beta) variables over the blank-interleaved label
sequence l' (blank = num_classes - 1), vectorized over the batch and the states of l';
loss = -log p(z|x) and the gradient wrt the logits, `softmax - posterior(class)`, are two
outputs of one op. The gradient of the loss output is the second output times the incoming
gradient, behind PreventGradient (TF: no second derivative of the fused op). Labels come as
SparseTensor components, validated with TF's messages ("Labels length is zero in batch 1",
"Not enough time for target transition sequence (required: 4, available: 3)0You can turn this
error ...", verbatim). Infeasible label sequences (repeats needing more frames than there are)
give loss inf and gradient = softmax, as TF; `ignore_longer_outputs_than_inputs` gives loss 0
and gradient 0 for labels longer than the sequence.

The dense path of `ctc_loss_v2` (TF's python `ctc_loss_dense`, blank 0) is one fused op here,
CTCLossDense: TF's state machine (a start state, label states, blank states; initial and
final state log probs `log(1e-307)` rather than -inf, per-frame normalized forward and
backward scans), banded so a step costs O(states) per sequence instead of TF's dense
[states, states] matrix, with the same results — including TF's large finite loss (~707)
for an infeasible labelling instead of inf.
"""

import math

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.node_def_form import NodeDefForm
from flowexec.framework.registry import EXPENSIVE, apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops, math_ops, shape_fns
from flowexec.ops.constant_op import prevent_gradient

__all__ = ["ctc_loss", "ctc_loss_v2", "collapse_repeated", "ctc_unique_labels"]

_NO_SECOND_DERIVATIVE = (
    "Currently there is no way to take the second  derivative of ctc_loss due to the fused "
    "implementation's interaction  with tf.gradients()")


def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


def _join(values):
    return ",".join(str(int(v)) for v in values)


def _dims(shape):
    return "[" + ",".join(str(int(d)) for d in shape) + "]"


def _lse(xp, a, b):
    """log(exp(a) + exp(b)), -inf where both are -inf (numpy's logaddexp)."""
    return xp.logaddexp(a, b)


def _shift(xp, a, k, fill):
    """a[..., u - k] along the last axis (k > 0: from the left, k < 0: from the right)."""
    out = xp.full_like(a, fill)
    if k > 0:
        out[..., k:] = a[..., :-k]
    else:
        out[..., :k] = a[..., -k:]
    return out


# ----- sparse label validation (TF's SparseTensor::IndicesValid, order {0, 1}) -------------
def indices_valid_error(indices, shape):
    """TF's message for the first index out of bounds, out of order or repeated; None if
    `indices` ([N, rank], row-major order expected) are valid for `shape`."""
    if indices.shape[0] == 0:
        return None
    bounds = ((indices < 0) | (indices >= indices.dtype.type(0) + list(shape))).any(axis=1)
    step = indices[1:] - indices[:-1]
    nonzero = step != 0
    first = nonzero.argmax(axis=1)
    lead = step[range(step.shape[0]), first]
    unordered = bounds.copy()
    unordered[1:] |= ~nonzero.any(axis=1) | (lead < 0)
    if not unordered.any():
        return None
    n = int(unordered.argmax())
    row = _dims(indices[n])
    if bounds[n]:
        return f"indices[{n}] = {row} is out of bounds: need 0 <= index < {_dims(shape)}"
    if not nonzero[n - 1].any():
        return f"indices[{n}] = {row} is repeated"
    return (f"indices[{n}] = {row} is out of order. Many sparse ops require sorted indices.\n"
            "    Use `tf.sparse.reorder` to create a correctly ordered copy.\n\n")


# ----- CTCLoss (TF's op: blank = num_classes - 1) ---------------------------------------------
def _ctc_loss_infer(op):
    inputs, indices, values, seq_len = op.inputs
    dtype = shape_fns.check_dtype_in(op, (dtypes.float32, dtypes.float64), 0)
    for i, want in ((1, dtypes.int64), (2, dtypes.int32), (3, dtypes.int32)):
        if op.inputs[i].dtype is not want:
            raise TypeError(f"Input '{op.op_def.input_names[i]}' of '{op.type}' Op has type "
                            f"{op.inputs[i].dtype.name} that does not match expected type of "
                            f"{want.name}.")
    for t, rank in ((inputs, 3), (indices, 2), (values, 1), (seq_len, 1)):
        if t.shape.ndims is not None and t.shape.ndims != rank:
            raise shape_fns.shape_error(
                op, f"Shape must be rank {rank} but is rank {t.shape.ndims}")
    x = inputs.shape if inputs.shape.ndims is not None else TensorShape([None] * 3)
    n_idx = indices.shape[0] if indices.shape.ndims else None
    n_val = values.shape[0] if values.shape.ndims else None
    _merge_dims(op, n_idx, n_val)
    s = seq_len.shape[0] if seq_len.shape.ndims else None
    batch = _merge_dims(op, x[1], s)
    dims = x.as_list()
    dims[1] = batch
    return [(dtype, TensorShape([batch])), (dtype, TensorShape(dims))]


def _merge_dims(op, a, b):
    a = getattr(a, "value", a)
    b = getattr(b, "value", b)
    if a is not None and b is not None and a != b:
        raise shape_fns.shape_error(op, f"Dimensions must be equal, but are {a} and {b}")
    return a if a is not None else b


def _check_ctc_inputs(xp, inputs, indices, values, seq_len):
    if inputs.ndim != 3:
        raise _invalid("inputs is not a 3-Tensor")
    if seq_len.ndim != 1:
        raise _invalid("sequence_length is not a vector")
    if indices.ndim != 2:
        raise _invalid("labels_indices is not a matrix")
    if values.ndim != 1:
        raise _invalid("labels_values is not a vector")
    max_time, batch = inputs.shape[:2]
    if seq_len.shape[0] != batch:
        raise _invalid(f"len(sequence_length) != batch_size.  len(sequence_length):  "
                       f"{seq_len.shape[0]} batch_size: {batch}")
    if indices.shape[0] != values.shape[0]:
        raise _invalid("labels_indices and labels_values must contain the same number of rows, "
                       f"but saw shapes: {_dims(indices.shape)} vs. "
                       f"{_dims(values.shape)}")
    if batch == 0:
        raise _invalid("batch_size must not be 0")
    max_label_len = int(indices[:, 1].max()) + 1 if indices.shape[0] else 0
    message = indices_valid_error(indices, (batch, max_label_len))
    if message is not None:
        raise _invalid(f"label SparseTensor is not valid: {message}")
    # the values of each batch entry, in order (the indices are sorted and in bounds)
    ends = xp.searchsorted(indices[:, 0], xp.arange(1, batch + 1))
    flat = values.tolist()
    labels = [flat[a:b] for a, b in zip([0] + ends[:-1].tolist(), ends.tolist())]
    for b in range(batch):
        if int(seq_len[b]) > max_time:
            raise _invalid(f"sequence_length({b}) <= {max_time}")
    for b in range(batch):
        if int(seq_len[b]) < 0:
            raise _invalid(f"seq_len({b}) < 0")
    return labels


def _label_primes(labels, seq_len, num_classes, collapse, ignore_longer):
    """TF's PopulateLPrimes: the label sequence l of each batch entry (checked), or errors."""
    blank = num_classes - 1
    out = []
    for b, label in enumerate(labels):
        if not label:
            raise _invalid(f"Labels length is zero in batch {b}")
        seq = []
        finished = False
        for i, v in enumerate(label):
            if i == 0 or not collapse or v != label[i - 1]:
                if v >= blank:
                    finished = True
                else:
                    if finished:
                        raise _invalid(
                            "Saw a non-null label (index >= num_classes - 1) following a null "
                            f"label, batch: {b} num_classes: {num_classes} labels: "
                            f"{_join(label)} labels seen so far: {_join(seq)}")
                    seq.append(v)
        for v in seq:
            if v < 0:
                raise _invalid(f"All labels must be nonnegative integers, batch: {b} labels: "
                               f"{_join(seq)}")
        if not ignore_longer and len(label) > int(seq_len[b]):
            raise _invalid(
                f"Not enough time for target transition sequence (required: {len(label)}, "
                f"available: {int(seq_len[b])}){b}You can turn this error into a warning by "
                "using the flag ignore_longer_outputs_than_inputs")
        out.append(seq)
    return out


def ctc_forward_backward(xp, logits, lprime, n_states, seq_len, blank, merge_repeated):
    """Loss and gradient wrt `logits` [T, B, C] of TF's CTC calculator, for B sequences.

    `lprime` [B, U] holds each blank-interleaved label sequence (padded with `blank` past
    `n_states[b]`), `seq_len` [B] >= 1 the frames of each. Returns loss [B] and gradient
    [T, B, C] (zero past each sequence's frames).
    """
    T, B, C = logits.shape
    U = lprime.shape[1]
    dtype = logits.dtype
    neg_inf = dtype.type(-math.inf)
    m = logits.max(axis=-1, keepdims=True)
    e = xp.exp(logits - m)
    y = e / e.sum(axis=-1, keepdims=True)
    with _quiet(xp):
        log_y = xp.log(y)
    # log y at each state's class: [T, B, U]
    ly = xp.take_along_axis(log_y, xp.broadcast_to(lprime[None], (T, B, U)), axis=2)
    u = xp.arange(U)[None, :]
    valid = u < n_states[:, None]
    is_blank = lprime == blank
    self_ok = xp.logical_or(merge_repeated, is_blank) & valid
    same2 = xp.zeros_like(is_blank)
    same2[:, 2:] = lprime[:, 2:] == lprime[:, :-2]
    skip_in = (u > 1) & ~is_blank & ~(merge_repeated & same2) & valid   # u-2 -> u
    skip_out = _shift(xp, skip_in, -2, False)                            # u -> u+2

    alpha = xp.full((T, B, U), neg_inf, dtype=dtype)
    alpha[0, :, 0] = ly[0, :, 0]
    has_label = n_states > 1
    if U > 1:
        alpha[0, :, 1] = xp.where(has_label, ly[0, :, 1], neg_inf)
    for t in range(1, T):
        prev = alpha[t - 1]
        s = xp.where(self_ok, prev, neg_inf)
        s = _lse(xp, s, _shift(xp, prev, 1, neg_inf))
        s = xp.where(skip_in, _lse(xp, s, _shift(xp, prev, 2, neg_inf)), s)
        alpha[t] = xp.where(valid, s + ly[t], neg_inf)

    beta = xp.full((T, B, U), neg_inf, dtype=dtype)
    rows = xp.arange(B)
    last = seq_len - 1
    beta[last, rows, n_states - 1] = 0
    beta[last, rows, xp.maximum(n_states - 2, 0)] = 0
    for t in range(T - 2, -1, -1):
        nxt = beta[t + 1] + ly[t + 1]
        s = xp.where(self_ok, nxt, neg_inf)
        s = _lse(xp, s, _shift(xp, nxt, -1, neg_inf))
        s = xp.where(skip_out, _lse(xp, s, _shift(xp, nxt, -2, neg_inf)), s)
        s = xp.where(valid, s, neg_inf)
        beta[t] = xp.where((t < last)[:, None], s, beta[t])

    ab = alpha + beta
    log_p = _reduce_lse(xp, ab[0], axis=-1)
    frames = (xp.arange(T)[:, None] < seq_len[None, :])[:, :, None]
    finite = xp.isfinite(log_p)
    with _quiet(xp):
        post = xp.exp(ab - xp.where(finite, log_p, 0)[None, :, None])
    post = xp.where(finite[None, :, None], post, 0)
    onehot = (lprime[:, :, None] == xp.arange(C)[None, None, :]).astype(dtype)
    occupancy = xp.einsum("tbu,buc->tbc", post, onehot)
    grad = xp.where(frames, y - occupancy, 0).astype(dtype)
    return (-log_p).astype(dtype), grad


class _quiet:
    """numpy's errstate(divide/invalid='ignore') when xp has one (log(0) = -inf is meant)."""

    def __init__(self, xp):
        self._state = xp.errstate(divide="ignore", invalid="ignore") \
            if hasattr(xp, "errstate") else None

    def __enter__(self):
        if self._state is not None:
            self._state.__enter__()

    def __exit__(self, *exc):
        if self._state is not None:
            self._state.__exit__(*exc)


def _reduce_lse(xp, a, axis):
    m = a.max(axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0)
    with _quiet(xp):
        out = xp.log(xp.exp(a - m).sum(axis=axis, keepdims=True)) + m
    return xp.squeeze(out, axis=axis)


@defop("CTCLoss", infer=_ctc_loss_infer, cost=EXPENSIVE, device_types=("CPU",))
def _ctc_loss(xp, inputs, labels_indices, labels_values, sequence_length, *,
              preprocess_collapse_repeated=False, ctc_merge_repeated=True,
              ignore_longer_outputs_than_inputs=False):
    labels = _check_ctc_inputs(xp, inputs, labels_indices, labels_values, sequence_length)
    max_time, batch, num_classes = inputs.shape
    blank = num_classes - 1
    seqs = _label_primes(labels, sequence_length, num_classes, preprocess_collapse_repeated,
                         ignore_longer_outputs_than_inputs)
    loss = xp.zeros((batch,), dtype=inputs.dtype)
    grad = xp.zeros(inputs.shape, dtype=inputs.dtype)
    run = [b for b in range(batch) if int(sequence_length[b]) > 0 and not (
        ignore_longer_outputs_than_inputs and len(labels[b]) > int(sequence_length[b]))]
    if not run:
        return loss, grad
    width = 2 * max(len(seqs[b]) for b in run) + 1
    lprime = xp.full((len(run), width), blank, dtype=xp.int64)
    for i, b in enumerate(run):
        lprime[i, 1:2 * len(seqs[b]) + 1:2] = seqs[b]
    n_states = xp.asarray([2 * len(seqs[b]) + 1 for b in run], dtype=xp.int64)
    lengths = sequence_length[run].astype(xp.int64)
    t_max = int(lengths.max())
    l_b, g_b = ctc_forward_backward(xp, inputs[:t_max, run], lprime, n_states, lengths, blank,
                                    bool(ctc_merge_repeated))
    loss[run] = l_b
    grad[:t_max, run] = g_b
    return loss, grad


@_ctc_loss.gradient
def _ctc_loss_grad(op, grad_loss, _):
    grad = prevent_gradient(op.outputs[1], message=_NO_SECOND_DERIVATIVE)
    return [array_ops.expand_dims(grad_loss, -1) * grad, None, None, None]


# ----- CTCLossDense (TF's ctc_loss_dense, fused; blank = 0) ----------------------------------
_LOG_0 = math.log(1e-307)  # TF's "log 0" for the initial and final state log probs


def _dense_infer(op):
    logits, labels, label_length, logit_length = op.inputs
    if logits.dtype is not dtypes.float32:
        raise TypeError(f"Input 'y' of 'Mul' Op has type float32 that does not match type "
                        f"{logits.dtype.name} of argument 'x'.")
    if logits.shape.ndims is not None and logits.shape.ndims != 3:
        raise shape_fns.shape_error(
            op, f"Shape must be rank 3 but is rank {logits.shape.ndims}")
    batch = logits.shape.as_list()[1] if logits.shape.ndims is not None else None
    return [(dtypes.float32, TensorShape([batch])), (dtypes.float32, logits.shape)]


def dense_ctc_loss_and_grad(xp, logits, labels, label_length, logit_length):
    """TF's `ctc_loss_and_grad` (blank 0) on arrays: loss [B] and gradient [T, B, C]."""
    T, B, C = logits.shape
    L = labels.shape[1]
    f32 = logits.dtype
    neg_inf = f32.type(-math.inf)
    log_0 = f32.type(_LOG_0)
    m = logits.max(axis=-1, keepdims=True)
    shifted = logits - m
    with _quiet(xp):
        lp = shifted - xp.log(xp.exp(shifted).sum(axis=-1, keepdims=True))  # log_softmax
    S = 2 * (L + 1)   # 0: start, 1..L: labels, L+1..2L+1: blanks (blank k after label k)
    in_range = (labels >= 0) & (labels < C)
    lab = xp.where(in_range, labels, 0).astype(xp.int64)
    label_obs = xp.take_along_axis(lp, xp.broadcast_to(lab[None], (T, B, L)), axis=2)
    label_obs = xp.where(in_range[None], label_obs, 0)
    obs = xp.concatenate([xp.full((T, B, 1), neg_inf, dtype=f32), label_obs,
                          xp.broadcast_to(lp[:, :, :1], (T, B, L + 1))], axis=2)
    sentinel = S  # an extra state that is always -inf
    k = xp.arange(S)
    # predecessors of each state (forward), successors (backward): three each, sentinel-padded
    pred = xp.full((B, S, 3), sentinel, dtype=xp.int64)
    succ = xp.full((B, S, 3), sentinel, dtype=xp.int64)
    pred[:, :, 0] = k
    succ[:, :, 0] = k
    if L:
        repeat = xp.zeros((B, L), dtype=bool)
        repeat[:, 1:] = labels[:, 1:] == labels[:, :-1]   # label k (1-based) repeats k-1
        labels_k = xp.arange(1, L + 1)
        pred[:, 1:L + 1, 1] = L + labels_k                 # blank k-1 -> label k
        pred[:, 1, 2] = 0                                   # start -> label 1
        pred[:, 2:L + 1, 2] = xp.where(repeat[:, 1:], sentinel, labels_k[1:] - 1)
        succ[:, 1:L + 1, 1] = L + 1 + labels_k             # label k -> blank k
        succ[:, 0, 1] = 1
        succ[:, 1:L, 2] = xp.where(repeat[:, 1:], sentinel, labels_k[1:])
        succ[:, L + 1:2 * L + 1, 1] = labels_k             # blank k -> label k+1
    pred[:, L + 1:, 1] = xp.arange(L + 1)                  # label k (start for k=0) -> blank k
    succ[:, 0, 2] = L + 1                                  # start -> blank 0

    def gather_lse(values, index):
        ext = xp.concatenate([values, xp.full((B, 1), neg_inf, dtype=f32)], axis=1)
        g = xp.take_along_axis(ext[:, None, :], index, axis=2)  # [B, S, 3]
        return _reduce_lse(xp, g, axis=-1)

    fwd = xp.empty((T + 1, B, S), dtype=f32)
    fwd[0] = log_0
    fwd[0, :, 0] = 0
    for t in range(T):
        s = gather_lse(fwd[t], pred) + obs[t]
        fwd[t + 1] = s - _reduce_lse(xp, s, axis=-1)[:, None]
    final = xp.full((B, S), log_0, dtype=f32)
    rows = xp.arange(B)
    final[rows, label_length] = 0
    final[rows, L + 1 + label_length] = 0
    mask = (xp.arange(T)[:, None] < logit_length[None, :])   # [T, B]
    bwd = xp.empty((T + 1, B, S), dtype=f32)
    bwd[T] = final
    cum = xp.zeros((B,), dtype=f32)
    for t in range(T - 1, -1, -1):
        s = gather_lse(bwd[t + 1] + obs[t], succ)
        total = _reduce_lse(xp, s, axis=-1)
        cum = cum + xp.where(mask[t], total, 0)
        bwd[t] = xp.where(mask[t][:, None], s - total[:, None], final)
    post = fwd[1:] + bwd[1:]
    post = post - _reduce_lse(xp, post, axis=-1)[:, :, None]
    post = xp.where(mask[:, :, None], post, neg_inf)
    log_likelihood = bwd[0, :, 0] + cum
    blank_olabel = _reduce_lse(xp, post[:, :, L + 1:], axis=-1)
    # class c >= 1 collects the label states whose label is c
    onehot = (labels[:, :, None] == xp.arange(1, C)[None, None, :]).astype(f32)  # [B, L, C-1]
    with _quiet(xp):
        label_post = xp.einsum("tbl,blc->tbc", xp.exp(post[:, :, 1:L + 1]), onehot)
    grad = xp.exp(lp) - xp.concatenate([xp.exp(blank_olabel)[:, :, None], label_post], axis=2)
    grad = xp.where(mask[:, :, None], grad, 0).astype(f32)
    return (-log_likelihood).astype(f32), grad


@defop("CTCLossDense", infer=_dense_infer, cost=EXPENSIVE, node_def=NodeDefForm(
    flowexec_only=True, reason="TF builds ctc_loss_dense from many graph ops (scans over "
    "frames); flowexec computes it in one kernel"))
def _ctc_loss_dense(xp, logits, labels, label_length, logit_length):
    if labels.ndim != 2 or label_length.shape != (logits.shape[1],) or \
            logit_length.shape != (logits.shape[1],):
        raise _invalid(f"ctc_loss_dense needs labels [batch, max_label_length] and lengths "
                       f"[batch], got labels {_dims(labels.shape)}, label_length "
                       f"{_dims(label_length.shape)}, logit_length {_dims(logit_length.shape)} "
                       f"for logits {_dims(logits.shape)}")
    return dense_ctc_loss_and_grad(xp, logits, labels.astype(xp.int64),
                                   label_length.astype(xp.int64), logit_length.astype(xp.int64))


@_ctc_loss_dense.gradient
def _ctc_loss_dense_grad(op, grad_loss, _):
    grad = prevent_gradient(op.outputs[1], message=_NO_SECOND_DERIVATIVE)
    return [array_ops.reshape(grad_loss, [1, -1, 1]) * grad, None, None, None]


# ----- public API ----------------------------------------------------------------------------
def _get_dim(tensor, i):
    """The static size of dimension i when known, else its run-time size (TF's _get_dim)."""
    d = tensor.shape.as_list()[i] if tensor.shape.ndims is not None else None
    return d if d is not None else array_ops.shape(tensor)[i]


def _to_float32(logits):
    if logits.dtype in (dtypes.float16, dtypes.bfloat16):
        return math_ops.cast(logits, dtypes.float32), logits.dtype
    return logits, None


def ctc_loss(labels, inputs=None, sequence_length=None, preprocess_collapse_repeated=False,
             ctc_merge_repeated=True, ignore_longer_outputs_than_inputs=False, time_major=True,
             logits=None):
    """The CTC loss (Graves et al., 2006) of each sequence (op type CTCLoss).

    The op applies the softmax itself: pass unnormalized logits. Class num_classes - 1 is
    the blank; labels take values in [0, num_classes - 1).

    Args:
        labels: an int32 SparseTensor, `labels.indices[i] = [b, t]` meaning
            `labels.values[i]` is label t of sequence b.
        inputs: float32/float64 logits [max_time, batch, num_classes] ([batch, max_time,
            num_classes] when not `time_major`); `logits` is another name for it.
        sequence_length: int32 [batch], the frames of each sequence.
        preprocess_collapse_repeated: merge repeated labels before computing the loss.
        ctc_merge_repeated: False: repeated non-blank labels are never merged (each frame of
            a label emits it once; a simplified, non-standard CTC).
        ignore_longer_outputs_than_inputs: give loss 0 and gradient 0 for sequences whose
            labels are longer than their frames, instead of an InvalidArgumentError.
        time_major: the layout of `inputs`.
        logits: alias for `inputs`.

    Returns:
        The negative log probabilities, [batch], in the dtype of `inputs`.

    Raises:
        TypeError: `labels` is not a SparseTensor.
        InvalidArgumentError: (at run time) invalid labels ("Labels length is zero in batch
            1", "Not enough time for target transition sequence ..."), as TF.

    Example:
        >>> labels = tf.SparseTensor([[0, 0], [0, 1]], [1, 2], [1, 2])
        >>> loss = tf.nn.ctc_loss(labels, logits, [5])  # logits [5, 1, 4]
    """
    from flowexec.framework.sparse_tensor import SparseTensor

    if not isinstance(labels, SparseTensor):
        raise TypeError(f"Expected argument `labels` to be a SparseTensor. Received "
                        f"labels={labels} of type: {type(labels).__name__}")
    if inputs is not None and logits is not None:
        raise ValueError("Cannot specify both 'logits' and 'inputs'")
    inputs = logits if inputs is None else inputs
    inputs = convert_to_tensor(inputs, name="logits")
    if not time_major:
        inputs = array_ops.transpose(inputs, [1, 0, 2])
    inputs, orig = _to_float32(inputs)
    seq = convert_to_tensor(sequence_length, name="sequence_length",
                            preferred_dtype=dtypes.int32)
    with name_scope(None, "CTCLoss", [inputs, labels.indices, labels.values, seq]) as scope:
        loss, _ = apply_op("CTCLoss", inputs, labels.indices, labels.values, seq, name=scope,
                           preprocess_collapse_repeated=bool(preprocess_collapse_repeated),
                           ctc_merge_repeated=bool(ctc_merge_repeated),
                           ignore_longer_outputs_than_inputs=bool(
                               ignore_longer_outputs_than_inputs))
    return loss if orig is None else math_ops.cast(loss, orig)


def ctc_loss_v2(labels, logits, label_length, logit_length, logits_time_major=True,
                unique=None, blank_index=None, name=None):
    """The CTC loss with dense or sparse labels and a choice of blank (TF 1.x's
    tf.nn.ctc_loss_v2): classic CTC (no preprocessing collapse, repeats merged).

    Args:
        labels: int [batch, max_label_length] zero-padded dense labels, or a SparseTensor.
        logits: float [frames, batch, num_classes] ([batch, frames, num_classes] when not
            `logits_time_major`).
        label_length: int [batch], the length of each dense label row (None for sparse).
        logit_length: int [batch], the frames of each sequence.
        logits_time_major: the layout of `logits`.
        unique: optional `ctc_unique_labels(labels)`; TF uses it for a faster TPU path, the
            loss is the same.
        blank_index: the blank class (dense default 0; required for sparse labels; negative
            counts from num_classes).
        name: name scope (default "ctc_loss_dense").

    Returns:
        The negative log probabilities, [batch].

    Raises:
        ValueError: sparse labels without `blank_index`.

    Example:
        >>> loss = tf.nn.ctc_loss_v2([[1, 2, 0]], logits, [2], [6])  # logits [6, 1, 4]
    """
    from flowexec.framework.sparse_tensor import SparseTensor

    if isinstance(labels, SparseTensor):
        if blank_index is None:
            raise ValueError("Argument `blank_index` must be provided when labels is a "
                             "SparseTensor.")
        logits = convert_to_tensor(logits, name="logits")
        num_classes = _get_dim(logits, 2)
        if blank_index < 0:
            blank_index += num_classes
        if blank_index != num_classes - 1:
            logits = array_ops.concat([logits[:, :, :blank_index],
                                       logits[:, :, blank_index + 1:],
                                       logits[:, :, blank_index:blank_index + 1]], axis=2)
            labels = SparseTensor(labels.indices, math_ops.where(
                math_ops.less(labels.values, blank_index), labels.values,
                labels.values - 1), labels.dense_shape)
        return ctc_loss(labels=labels, inputs=logits, sequence_length=logit_length,
                        time_major=logits_time_major)
    return _ctc_loss_dense(labels, logits, label_length, logit_length, logits_time_major,
                           unique, 0 if blank_index is None else blank_index, name)


def _ctc_loss_dense(labels, logits, label_length, logit_length, logits_time_major, unique,
                    blank_index, name):
    with name_scope(name, "ctc_loss_dense", [logits, labels, label_length, logit_length]):
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, name="labels")
        label_length = convert_to_tensor(label_length, name="label_length")
        logit_length = convert_to_tensor(logit_length, name="logit_length")
        logits, orig = _to_float32(logits)
        if not logits_time_major:
            logits = array_ops.transpose(logits, [1, 0, 2])
        if blank_index != 0:
            if blank_index < 0:
                blank_index += _get_dim(logits, 2)
            logits = array_ops.concat([logits[:, :, blank_index:blank_index + 1],
                                       logits[:, :, :blank_index],
                                       logits[:, :, blank_index + 1:]], axis=2)
            labels = math_ops.where(math_ops.less(labels, blank_index), labels + 1, labels)
        if unique is not None and len(unique) != 2:
            raise ValueError("`unique` must be the pair (unique labels, indices) that "
                             "ctc_unique_labels returns")
        loss, _ = apply_op("CTCLossDense", logits, labels, label_length, logit_length,
                           name="CTCLossDense")
        return loss if orig is None else math_ops.cast(loss, orig)


def collapse_repeated(labels, seq_length, name=None):
    """Merges runs of repeated labels into one label per run.

    Args:
        labels: [batch, max_length] labels.
        seq_length: [batch] the length of each row.
        name: name scope (default "collapse_repeated_labels").

    Returns:
        `(collapsed_labels, new_seq_length)`: the rows collapsed and zero-padded to the
        longest collapsed row, and their lengths (dtype of `seq_length`).

    Example:
        >>> collapse_repeated([[1, 1, 2, 2, 1], [1, 2, 3, 4, 5]], [5, 5])
        >>> # ([[1, 2, 1, 0, 0], [1, 2, 3, 4, 5]], [3, 5])
    """
    with name_scope(name, "collapse_repeated_labels", [labels, seq_length]):
        labels = convert_to_tensor(labels, name="labels")
        seq_length = convert_to_tensor(seq_length, name="seq_length")
        label_mask = array_ops.concat([
            array_ops.ones_like(labels[:, :1], dtypes.bool),
            math_ops.not_equal(labels[:, 1:], labels[:, :-1])], axis=1)
        maxlen = _get_dim(labels, 1)
        seq_mask = array_ops.sequence_mask(seq_length, maxlen=maxlen)
        label_mask = math_ops.logical_and(label_mask, seq_mask)
        new_seq_len = math_ops.reduce_sum(math_ops.cast(label_mask, dtypes.int32), axis=1)
        new_maxlen = math_ops.reduce_max(new_seq_len)
        idx_mask = array_ops.sequence_mask(new_seq_len, maxlen=new_maxlen)
        flat_labels = array_ops.reshape(labels, [-1])
        flat_label_mask = array_ops.reshape(label_mask, [-1])
        flat_idx_mask = array_ops.reshape(idx_mask, [-1])
        idx = array_ops.range(_get_dim(flat_idx_mask, 0))
        flat = array_ops.scatter_nd(
            indices=array_ops.expand_dims(array_ops.boolean_mask(idx, flat_idx_mask), axis=1),
            updates=array_ops.boolean_mask(flat_labels, flat_label_mask),
            shape=array_ops.shape(flat_idx_mask))
        batch_size = _get_dim(labels, 0)
        return (array_ops.reshape(flat, array_ops.stack([batch_size, new_maxlen])),
                math_ops.cast(new_seq_len, seq_length.dtype))


def ctc_unique_labels(labels, name=None):
    """The distinct labels of each row and each label's index among them (for the `unique`
    argument of ctc_loss_v2).

    Args:
        labels: [batch, max_label_length] labels, zero-padded.
        name: name scope (default "ctc_unique_labels").

    Returns:
        `(unique, idx)`: int64 [batch, max_label_length], each row's distinct labels in order
        of first appearance, zero-padded; int32 [batch, max_label_length], the position of
        each label in its row's `unique`.

    Example:
        >>> ctc_unique_labels([[3, 4, 4, 3]])  # ([[3, 4, 0, 0]], [[0, 1, 1, 0]])
    """
    from flowexec.ops.functional_ops import map_fn
    from flowexec.ops.search_ops import unique

    with name_scope(name, "ctc_unique_labels", [labels]):
        labels = convert_to_tensor(labels, name="labels")

        def _unique(x):
            y, idx = unique(x)
            y = array_ops.pad(y, [[0, _get_dim(idx, 0) - _get_dim(y, 0)]])
            return [math_ops.cast(y, dtypes.int64), idx]

        return map_fn(_unique, labels, dtype=[dtypes.int64, dtypes.int32])
