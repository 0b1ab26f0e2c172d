"""ctc_decoders: TF's CTC decoders — CTCGreedyDecoder (`tf.nn.ctc_greedy_decoder`, best path)
and CTCBeamSearchDecoder (`tf.nn.ctc_beam_search_decoder` and `_v2`).

Both take logits [max_time, batch, num_classes] and sequence lengths, and return, per path,
the decoded labels as SparseTensor components (indices [N, 2] = (batch, position), values,
dense_shape [batch, longest]; all int64) and a float matrix of scores.

The greedy decoder takes the first maximum of each frame, drops blanks (num_classes - 1
unless `blank_index` says otherwise) and, with `merge_repeated`, repeats; its score is
`-sum(max logit)` over the frames (TF's: no softmax). The beam search is TF's
(core/util/ctc/ctc_beam_search.h, default scorer): a prefix tree of beam entries, each with
log probabilities of ending in a label, in a blank, and in total; at each frame every beam
is extended by the log-softmax of the frame, then every beam that is still a candidate
grows children, one per non-blank class, which replace the weakest beam when they beat it.
The `top_paths` best beams are returned with their log probabilities; `merge_repeated`
merges repeated labels of a path when it is read back (v2 never does). Like TF's kernels
(CPU only) these run on the host: they are sequential searches, not array programs.
"""

import heapq
import math

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import EXPENSIVE, apply_op, defop
from flowexec.framework.sparse_tensor import SparseTensor
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import shape_fns

__all__ = ["ctc_greedy_decoder", "ctc_beam_search_decoder", "ctc_beam_search_decoder_v2"]

_NEG_INF = -math.inf


def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


def _decoder_infer(op, top_paths):
    inputs, seq_len = op.inputs
    dtype = shape_fns.check_dtype_in(op, (dtypes.float32, dtypes.float64), 0)
    if seq_len.dtype is not dtypes.int32:
        raise TypeError(f"Input 'sequence_length' of '{op.type}' Op has type "
                        f"{seq_len.dtype.name} that does not match expected type of int32.")
    for t, rank in ((inputs, 3), (seq_len, 1)):
        if t.shape.ndims is not None and t.shape.ndims != rank:
            raise shape_fns.shape_error(
                op, f"Shape must be rank {rank} but is rank {t.shape.ndims}")
    batch = inputs.shape.as_list()[1] if inputs.shape.ndims is not None else None
    n = seq_len.shape.as_list()[0] if seq_len.shape.ndims is not None else None
    if batch is not None and n is not None and batch != n:
        raise shape_fns.shape_error(op, f"Dimensions must be equal, but are {batch} and {n}")
    batch = batch if batch is not None else n
    paths = [(dtypes.int64, TensorShape([None, 2]))] * top_paths
    paths += [(dtypes.int64, TensorShape([None]))] * top_paths
    paths += [(dtypes.int64, TensorShape([2]))] * top_paths
    return paths + [(dtype, TensorShape([batch, top_paths]))]


def _check_decoder_inputs(inputs, seq_len):
    """TF's CTCDecodeHelper::ValidateInputsGenerateOutputs."""
    if inputs.ndim != 3:
        raise _invalid("inputs is not a 3-Tensor")
    if inputs.size == 0:
        raise _invalid("inputs must not be empty")
    max_time, batch = inputs.shape[:2]
    if max_time == 0:
        raise _invalid("max_time is 0")
    if seq_len.ndim != 1:
        raise _invalid("sequence_length is not a vector")
    if seq_len.shape[0] != batch:
        raise errors.FailedPreconditionError(
            None, None, f"len(sequence_length) != batch_size.  len(sequence_length):  "
                        f"{seq_len.shape[0]} batch_size: {batch}")
    for b in range(batch):
        if not int(seq_len[b]) <= max_time:
            raise errors.FailedPreconditionError(None, None,
                                                 f"sequence_length({b}) <= {max_time}")


def _store_sequences(xp, paths_by_batch, top_paths):
    """TF's StoreAllDecodedSequences: (indices..., values..., shapes...) per path."""
    batch = len(paths_by_batch)
    indices, values, shapes = [], [], []
    for p in range(top_paths):
        seqs = [paths_by_batch[b][p] for b in range(batch)]
        n = sum(len(s) for s in seqs)
        idx = xp.zeros((n, 2), dtype=xp.int64)
        val = xp.zeros((n,), dtype=xp.int64)
        offset = 0
        for b, s in enumerate(seqs):
            idx[offset:offset + len(s), 0] = b
            idx[offset:offset + len(s), 1] = xp.arange(len(s))
            val[offset:offset + len(s)] = xp.asarray(s, dtype=xp.int64)
            offset += len(s)
        indices.append(idx)
        values.append(val)
        shapes.append(xp.asarray([batch, max((len(s) for s in seqs), default=0)],
                                 dtype=xp.int64))
    return tuple(indices) + tuple(values) + tuple(shapes)


# ----- CTCGreedyDecoder ----------------------------------------------------------------------
@defop("CTCGreedyDecoder", infer=lambda op: _decoder_infer(op, 1), device_types=("CPU",))
def _greedy(xp, inputs, sequence_length, *, merge_repeated=True, blank_index=-1):
    _check_decoder_inputs(inputs, sequence_length)
    max_time, batch, num_classes = inputs.shape
    blank = num_classes + blank_index if blank_index < 0 else blank_index
    if not 0 <= blank < num_classes:
        raise _invalid(f"blank_index expected to be between {-num_classes} and "
                       f"{num_classes - 1} but was {blank_index}")
    best = inputs.argmax(axis=2)                                       # the first maximum
    frames = xp.arange(max_time)[:, None] < sequence_length[None, :]
    top = xp.take_along_axis(inputs, best[:, :, None], axis=2)[:, :, 0]
    log_prob = -xp.where(frames, top, 0).sum(axis=0, dtype=inputs.dtype)
    paths = []
    for b in range(batch):
        seq, prev = [], -1
        for c in best[:int(sequence_length[b]), b].tolist():
            if c != blank and not (merge_repeated and c == prev):
                seq.append(c)
            prev = c
        paths.append([seq])
    return _store_sequences(xp, paths, 1) + (log_prob.reshape(batch, 1).astype(inputs.dtype),)


_greedy.not_differentiable()


# ----- CTCBeamSearchDecoder --------------------------------------------------------------------
class _Entry:
    """A beam: a node of the prefix tree (TF's BeamEntry) with old and new probabilities."""

    __slots__ = ("parent", "label", "children", "new_total", "new_blank", "new_label",
                 "old_total", "old_blank", "old_label")

    def __init__(self, parent, label):
        self.parent, self.label, self.children = parent, label, {}
        self.new_total = self.new_blank = self.new_label = _NEG_INF
        self.old_total = self.old_blank = self.old_label = _NEG_INF

    def active(self):
        return self.new_total != _NEG_INF

    def reset_new(self):
        self.new_total = self.new_blank = self.new_label = _NEG_INF

    def labels(self, merge_repeated):
        out, prev, e = [], -1, self
        while e.parent is not None:
            if not merge_repeated or e.label != prev:
                out.append(e.label)
            prev, e = e.label, e.parent
        return out[::-1]


def _log_sum_exp(a, b):
    if a == _NEG_INF:
        return b
    if b == _NEG_INF:
        return a
    return a + math.log1p(math.exp(b - a)) if a > b else b + math.log1p(math.exp(a - b))


class _Leaves:
    """The beam (TF's gtl::TopN of beam entries): insertion-ordered, with a heap that finds
    the weakest entry (the earliest inserted of equals) in O(log n)."""

    def __init__(self, entries=()):
        self.entries, self.heap, self.count = {}, [], 0
        for e in entries:
            self.push(e)

    def __len__(self):
        return len(self.entries)

    def push(self, e):
        self.entries[id(e)] = e
        heapq.heappush(self.heap, (e.new_total, self.count, e))
        self.count += 1

    def bottom_total(self):
        return self.heap[0][0]

    def pop_bottom(self):
        e = heapq.heappop(self.heap)[2]
        del self.entries[id(e)]
        return e

    def ranked(self):
        """gtl::TopN's Extract: best first (ties keep their order)."""
        return sorted(self.entries.values(), key=lambda e: -e.new_total)


def _beam_search(frames, beam_width, blank):
    """TF's CTCBeamSearchDecoder over `frames` (log-softmax rows, float64 arrays); returns
    the beam after the last frame."""
    root = _Entry(None, -1)
    root.new_total = root.new_blank = 0.0
    leaves = _Leaves([root])
    for row in frames:
        lp = row.tolist()
        branches = leaves.ranked()
        for b in branches:
            b.old_total, b.old_blank, b.old_label = b.new_total, b.new_blank, b.new_label
        for b in branches:
            if b.parent is not None:
                if b.parent.active():
                    prev = b.parent.old_blank if b.label == b.parent.label else b.parent.old_total
                    b.new_label = _log_sum_exp(b.new_label, prev)
                b.new_label += lp[b.label]
            b.new_blank = b.old_total + lp[blank]
            b.new_total = _log_sum_exp(b.new_blank, b.new_label)
        leaves = _Leaves(branches)

        def is_candidate(total):
            return total > _NEG_INF and (len(leaves) < beam_width
                                         or total > leaves.bottom_total())

        for b in branches:
            if not is_candidate(b.old_total):
                continue
            # a child's total is lp[label] + P(b) (+ P(b ending in blank) for b's own label);
            # those that cannot beat the weakest beam now never will in this frame: skip them
            totals = row + b.old_total
            if 0 <= b.label != blank:
                totals[b.label] = lp[b.label] + b.old_blank
            full = len(leaves) == beam_width
            if full:
                chosen = set((totals > leaves.bottom_total()).nonzero()[0].tolist())
                labels = sorted(chosen.union(b.children))
            else:
                labels = range(len(lp))
            for label in labels:
                if label == blank:
                    continue
                c = b.children.get(label)
                if full and label not in chosen:
                    # TF would try and reject this child: an inactive one (a beam dropped in
                    # this frame) then grows no children of its own
                    if not c.active():
                        c.old_total = c.old_blank = c.old_label = _NEG_INF
                    continue
                if c is None:
                    c = b.children[label] = _Entry(b, label)
                if c.active():
                    continue
                c.new_blank = _NEG_INF
                prev = b.old_blank if c.label == b.label else b.old_total
                c.new_label = lp[label] + prev
                c.new_total = c.new_label
                if is_candidate(c.new_total):
                    if len(leaves) == beam_width:
                        leaves.pop_bottom().reset_new()
                    leaves.push(c)
                else:
                    c.old_total = c.old_blank = c.old_label = _NEG_INF
                    c.reset_new()
    return leaves


def _beam_infer(op):
    return _decoder_infer(op, op.attrs["top_paths"])


@defop("CTCBeamSearchDecoder", infer=_beam_infer, cost=EXPENSIVE, device_types=("CPU",))
def _beam(xp, inputs, sequence_length, *, beam_width, top_paths, merge_repeated=True):
    _check_decoder_inputs(inputs, sequence_length)
    max_time, batch, num_classes = inputs.shape
    blank = num_classes - 1
    shifted = inputs - inputs.max(axis=2, keepdims=True)
    log_softmax = shifted - xp.log(xp.exp(shifted).sum(axis=2, keepdims=True))
    log_prob = xp.zeros((batch, top_paths), dtype=inputs.dtype)
    paths = []
    for b in range(batch):
        frames = log_softmax[:int(sequence_length[b]), b].astype("float64")
        leaves = _beam_search(frames, beam_width, blank)
        if top_paths > beam_width:
            raise _invalid("requested more paths than the beam width.")
        if top_paths > len(leaves):
            raise _invalid("Less leaves in the beam search than requested.")
        best = leaves.ranked()[:top_paths]
        paths.append([e.labels(merge_repeated) for e in best])
        log_prob[b] = xp.asarray([e.new_total for e in best], dtype=inputs.dtype)
    return _store_sequences(xp, paths, top_paths) + (log_prob,)


_beam.not_differentiable()


# ----- public API ----------------------------------------------------------------------------
def _sparse_paths(outputs, top_paths):
    return [SparseTensor(outputs[p], outputs[top_paths + p], outputs[2 * top_paths + p])
            for p in range(top_paths)]


def _check_attr(op_type, attr, value):
    if value < 1:
        raise ValueError(f"Attr '{attr}' of '{op_type}' Op passed {value} less than minimum 1.")


def ctc_greedy_decoder(inputs, sequence_length, merge_repeated=True, blank_index=None):
    """Greedy (best path) decoding of `inputs` (op type CTCGreedyDecoder).

    Args:
        inputs: float32/float64 logits [max_time, batch_size, num_classes].
        sequence_length: int32 [batch_size], each <= max_time.
        merge_repeated: emit a class once for consecutive frames that take it.
        blank_index: the blank class (default num_classes - 1; negative counts from the end).

    Returns:
        `(decoded, neg_sum_logits)`: a one-element list holding the decoded SparseTensor
        (int64 values, dense_shape [batch_size, longest]), and [batch_size, 1] holding
        minus the sum of each frame's largest logit.

    Raises:
        FailedPreconditionError: (at run time) a sequence_length above max_time.

    Example:
        >>> decoded, neg_sum = tf.nn.ctc_greedy_decoder(logits, [5, 3])
    """
    with name_scope(None, "CTCGreedyDecoder", [inputs, sequence_length]) as scope:
        inputs = convert_to_tensor(inputs, name="inputs")
        seq = convert_to_tensor(sequence_length, name="sequence_length",
                                preferred_dtype=dtypes.int32)
        out = apply_op("CTCGreedyDecoder", inputs, seq, name=scope,
                       merge_repeated=bool(merge_repeated),
                       blank_index=-1 if blank_index is None else int(blank_index))
    return _sparse_paths(out, 1), out[3]


def ctc_beam_search_decoder(inputs, sequence_length, beam_width=100, top_paths=1,
                            merge_repeated=True):
    """TF's CTC beam search decoding of `inputs` (op type CTCBeamSearchDecoder).

    Args:
        inputs: float32/float64 logits [max_time, batch_size, num_classes]; the blank is
            num_classes - 1.
        sequence_length: int32 [batch_size], each <= max_time.
        beam_width: beams kept at each frame (>= 1).
        top_paths: paths returned (>= 1, <= beam_width).
        merge_repeated: merge repeated labels of a path when reading it back.

    Returns:
        `(decoded, log_probability)`: a list of `top_paths` SparseTensors (path j of every
        batch entry), and their log probabilities [batch_size, top_paths], best first.

    Raises:
        InvalidArgumentError: (at run time) more paths than the beam width or than the
            beams found ("Less leaves in the beam search than requested.").

    Example:
        >>> decoded, log_probs = tf.nn.ctc_beam_search_decoder(logits, [8, 5], top_paths=2)
    """
    _check_attr("CTCBeamSearchDecoder", "beam_width", beam_width)
    _check_attr("CTCBeamSearchDecoder", "top_paths", top_paths)
    with name_scope(None, "CTCBeamSearchDecoder", [inputs, sequence_length]) as scope:
        inputs = convert_to_tensor(inputs, name="inputs")
        seq = convert_to_tensor(sequence_length, name="sequence_length",
                                preferred_dtype=dtypes.int32)
        out = apply_op("CTCBeamSearchDecoder", inputs, seq, name=scope,
                       beam_width=int(beam_width), top_paths=int(top_paths),
                       merge_repeated=bool(merge_repeated))
    return _sparse_paths(out, int(top_paths)), out[-1]


def ctc_beam_search_decoder_v2(inputs, sequence_length, beam_width=100, top_paths=1):
    """`ctc_beam_search_decoder` with `merge_repeated=False` (TF 2's tf.nn.ctc_beam_search_
    decoder; merging is an invalid optimization that returns low-probability paths).

    Example:
        >>> decoded, log_probs = tf.nn.ctc_beam_search_decoder_v2(logits, [8, 5])
    """
    return ctc_beam_search_decoder(inputs, sequence_length=sequence_length,
                                   beam_width=beam_width, top_paths=top_paths,
                                   merge_repeated=False)
