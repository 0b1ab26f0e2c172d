"""Non-max suppression ops of `tf.image`: NonMaxSuppressionV3/V4/V5 and
NonMaxSuppressionWithOverlaps (TF's kernels step for step).

Candidates are the boxes whose score is `> score_threshold`, kept in a priority queue ordered
by score, ties to the lower box index. The best candidate is compared with the boxes selected
since it was last looked at, newest first; an IoU `> iou_threshold` drops it (hard NMS). With
`soft_nms_sigma > 0` (V5) each comparison instead multiplies its score by
`exp(-0.5 * iou**2 / sigma)` whatever the IoU (as TF's current kernel, `iou_threshold` is then
only range-checked); a candidate whose score changed goes back into the queue, one whose
score did not is selected. IoU is computed in float32 on corner-normalized boxes (`y1 > y2`
allowed): 0 when either area is `<= 0`, else `inter / (area_i + area_j - inter)`; thresholds
and IoUs are compared in the scores' type (a float16 NMS rounds them to float16, as TF).
Like TF's, they have no gradient.
"""

import heapq
import math

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import EXPENSIVE, apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import shape_fns, window
from flowexec.ops.image_checks import (check_dim, invalid, iou_fn, merge_dim, no_gradient,
                                       shape_str)

_NMS_TYPES = (dtypes.float16, dtypes.float32)


# ----- non-max suppression -------------------------------------------------------------------
def _nms_infer(op):
    kind = op.type
    if kind == "NonMaxSuppressionWithOverlaps":
        ov = window.check_rank(op, 0, 2)
        n = merge_dim(op, ov[0], ov[1])
    else:
        shape_fns.check_dtype_in(op, _NMS_TYPES, 0)
        boxes = window.check_rank(op, 0, 2)
        check_dim(op, boxes[1], 4)
        n = boxes[0]
    scores = window.check_rank(op, 1, 1)
    merge_dim(op, n, scores[0])
    for i in range(2, len(op.inputs)):
        window.check_rank(op, i, 0)
    size = None
    if op.attrs.get("pad_to_max_output_size"):
        v = shape_fns.constant_value(op.inputs[2])
        size = None if v is None else int(v)
    out = [(dtypes.int32, TensorShape([size]))]
    if kind == "NonMaxSuppressionV5":
        out.append((op.inputs[1].dtype, TensorShape([size])))
    if kind in ("NonMaxSuppressionV4", "NonMaxSuppressionV5"):
        out.append((dtypes.int32, TensorShape([])))
    return out


def _nms_cost(op):
    n = op.inputs[1].shape.num_elements()
    return EXPENSIVE if n is None else float(n * n)


def _check_output_size(xp, max_output_size):
    if max_output_size.ndim != 0:
        raise invalid(f"max_output_size must be 0-D, got shape {shape_str(max_output_size)}")
    size = int(max_output_size)
    if size < 0:
        raise invalid("output size must be non-negative")
    return size


def _check_scalar(value, what):
    if value.ndim != 0:
        raise invalid(f"{what} must be 0-D, got shape {shape_str(value)}")
    return value


def _check_boxes_scores(boxes, scores):
    if boxes.ndim != 2:
        raise invalid(f"boxes must be 2-D{shape_str(boxes)}")
    if boxes.shape[1] != 4:
        raise invalid(f"boxes must have 4 columns{shape_str(boxes)}")
    if scores.ndim != 1:
        raise invalid(f"scores must be 1-D{shape_str(scores)}")
    if scores.shape[0] != boxes.shape[0]:
        raise invalid("scores has incompatible shape")


def _select(xp, similarity, scores, output_size, threshold, score_threshold, sigma=0.0):
    """TF's DoNonMaxSuppressionOp: (selected indices, their scores), both host lists.

    As TF's kernel, thresholds and similarities are compared in the scores' type T (float16
    rounds them); the rest is float32 (exact for float32 scores)."""
    f32 = xp.float32
    t = scores.dtype.type
    scores = xp.asarray(scores, dtype=f32)
    threshold, score_threshold = f32(t(threshold)), f32(t(score_threshold))
    host = [float(s) for s in scores.tolist()]
    heap = [(-s, i, 0) for i, s in enumerate(host) if f32(s) > score_threshold]
    heapq.heapify(heap)
    soft = sigma > 0
    scale = f32(-0.5) / f32(sigma) if soft else f32(0)
    selected, selected_scores = [], []
    while len(selected) < output_size and heap:
        neg, i, begin = heapq.heappop(heap)
        original = f32(-neg)
        score = original
        hard = False
        if begin < len(selected):
            js = selected[begin:][::-1]  # newest first, as TF walks them
            sims = similarity(i, xp.asarray(js, dtype=xp.int64)).astype(t).astype(f32)
            if not soft:
                hard = bool(xp.any(sims > threshold))
            else:
                for sim in sims.tolist():
                    sim = f32(sim)
                    # soft NMS ignores the threshold: every overlap decays the score
                    score = f32(score * f32(math.exp(float(scale * sim * sim))))
                    if score <= score_threshold:
                        break
        if hard:
            continue
        if score == original:
            selected.append(i)
            selected_scores.append(score)
        elif score > score_threshold:
            heapq.heappush(heap, (-float(score), i, len(selected)))
    return selected, selected_scores


def _padded(xp, selected, scores, size, pad, score_dtype):
    n = len(selected)
    idx = selected + [0] * (size - n) if pad else selected
    out = [xp.asarray(idx, dtype=xp.int32).reshape(len(idx))]
    if scores is not None:
        s = [float(v) for v in scores] + [0.0] * (len(idx) - n)
        out.append(xp.asarray(s, dtype=score_dtype).reshape(len(idx)))
    return out, xp.asarray(n, dtype=xp.int32)


def _iou_threshold(value, name="iou_threshold"):
    t = float(_check_scalar(value, name))
    if not 0 <= t <= 1:
        raise invalid(f"{name} must be in [0, 1]")
    return t


@defop("NonMaxSuppressionV3", infer=_nms_infer, cost=_nms_cost)
def _nms_v3(xp, boxes, scores, max_output_size, iou_threshold, score_threshold):
    size = _check_output_size(xp, max_output_size)
    thr = _iou_threshold(iou_threshold)
    st = float(_check_scalar(score_threshold, "score_threshold"))
    _check_boxes_scores(boxes, scores)
    sel, _ = _select(xp, iou_fn(xp, boxes), scores, size, thr, st)
    return xp.asarray(sel, dtype=xp.int32).reshape(len(sel))


@defop("NonMaxSuppressionV4", infer=_nms_infer, cost=_nms_cost)
def _nms_v4(xp, boxes, scores, max_output_size, iou_threshold, score_threshold, *,
            pad_to_max_output_size=False):
    size = _check_output_size(xp, max_output_size)
    thr = _iou_threshold(iou_threshold)
    st = float(_check_scalar(score_threshold, "score_threshold"))
    _check_boxes_scores(boxes, scores)
    sel, _ = _select(xp, iou_fn(xp, boxes), scores, size, thr, st)
    (idx,), valid = _padded(xp, sel, None, size, pad_to_max_output_size, None)
    return idx, valid


@defop("NonMaxSuppressionV5", infer=_nms_infer, cost=_nms_cost)
def _nms_v5(xp, boxes, scores, max_output_size, iou_threshold, score_threshold,
            soft_nms_sigma, *, pad_to_max_output_size=False):
    size = _check_output_size(xp, max_output_size)
    thr = _iou_threshold(iou_threshold)
    st = float(_check_scalar(score_threshold, "score_threshold"))
    sigma = float(_check_scalar(soft_nms_sigma, "soft_nms_sigma"))
    if sigma < 0:
        raise invalid("soft_nms_sigma_val must be >= 0")
    _check_boxes_scores(boxes, scores)
    sel, sc = _select(xp, iou_fn(xp, boxes), scores, size, thr, st, sigma)
    (idx, out_scores), valid = _padded(xp, sel, sc, size, pad_to_max_output_size,
                                       scores.dtype)
    return idx, out_scores, valid


@defop("NonMaxSuppressionWithOverlaps", infer=_nms_infer, cost=_nms_cost)
def _nms_overlaps(xp, overlaps, scores, max_output_size, overlap_threshold, score_threshold):
    size = _check_output_size(xp, max_output_size)
    thr = float(_check_scalar(overlap_threshold, "overlap_threshold"))
    st = float(_check_scalar(score_threshold, "score_threshold"))
    if overlaps.ndim != 2:
        raise invalid(f"overlaps must be 2-D{shape_str(overlaps)}")
    if overlaps.shape[0] != overlaps.shape[1]:
        raise invalid(f"overlaps must be square{shape_str(overlaps)}")
    if scores.ndim != 1 or scores.shape[0] != overlaps.shape[0]:
        raise invalid("scores has incompatible shape")
    ov = xp.asarray(overlaps, dtype=xp.float32)
    sel, _ = _select(xp, lambda i, js: ov[i, js], scores, size, thr, st)
    return xp.asarray(sel, dtype=xp.int32).reshape(len(sel))


for _od, _name in ((_nms_v3, "NonMaxSuppressionV3"), (_nms_v4, "NonMaxSuppressionV4"),
                   (_nms_v5, "NonMaxSuppressionV5")):
    no_gradient(_od, _name)
_nms_overlaps.not_differentiable()  # TF: ops.NotDifferentiable('NonMaxSuppressionWithOverlaps')


def _thresholds(iou_threshold, score_threshold, dtype=None):
    return (convert_to_tensor(iou_threshold, dtype=dtype, name="iou_threshold"),
            convert_to_tensor(score_threshold, dtype=dtype, name="score_threshold"))


def non_max_suppression(boxes, scores, max_output_size, iou_threshold=0.5,
                        score_threshold=float("-inf"), name=None):
    """Greedily selects boxes by descending score, dropping those that overlap a selected box
    by IoU > `iou_threshold` (op NonMaxSuppressionV3).

    Args:
        boxes: float `[num_boxes, 4]`, rows `[y1, x1, y2, x2]` (any diagonal pair of corners).
        scores: float `[num_boxes]`.
        max_output_size: int32 scalar, the most boxes to select.
        iou_threshold: float in [0, 1].
        score_threshold: boxes scoring `<= score_threshold` are never selected.
        name: name scope (default "non_max_suppression").

    Returns:
        int32 `[M]` indices into `boxes`, best first (equal scores: lower index first).

    Raises:
        ValueError: at build time, shapes of the wrong rank or not 4 coordinates.
        InvalidArgumentError: at run time, `iou_threshold` outside [0, 1] or a negative
            `max_output_size`.

    Example:
        >>> keep = tf.image.non_max_suppression(boxes, scores, 10, iou_threshold=0.6)
        >>> kept_boxes = tf.gather(boxes, keep)
    """
    with name_scope(name, "non_max_suppression"):
        iou, score = _thresholds(iou_threshold, score_threshold)
        return apply_op("NonMaxSuppressionV3", convert_to_tensor(boxes, name="boxes"),
                        convert_to_tensor(scores, name="scores"),
                        convert_to_tensor(max_output_size, name="max_output_size"), iou, score)


def non_max_suppression_with_scores(boxes, scores, max_output_size, iou_threshold=0.5,
                                    score_threshold=float("-inf"), soft_nms_sigma=0.0,
                                    name=None):
    """Non-max suppression returning the selected scores, with optional Soft-NMS (Bodla et
    al.): with `soft_nms_sigma > 0` overlapping boxes are down-weighted by
    `exp(-0.5 * iou ** 2 / soft_nms_sigma)` instead of dropped, whatever their IoU (op
    NonMaxSuppressionV5; as TF's kernel, `iou_threshold` then plays no part).

    Args:
        boxes, scores, max_output_size, iou_threshold, score_threshold: as
            `non_max_suppression`.
        soft_nms_sigma: float >= 0; 0 is hard NMS.
        name: name scope (default "non_max_suppression_with_scores").

    Returns:
        `(selected_indices, selected_scores)`, int32 `[M]` and `[M]` like `scores`.

    Example:
        >>> idx, sc = tf.image.non_max_suppression_with_scores(boxes, scores, 5,
        ...                                                    soft_nms_sigma=0.5)
    """
    with name_scope(name, "non_max_suppression_with_scores"):
        scores = convert_to_tensor(scores, name="scores")
        iou, score = _thresholds(iou_threshold, score_threshold, scores.dtype)
        sigma = convert_to_tensor(soft_nms_sigma, dtype=scores.dtype, name="soft_nms_sigma")
        idx, out_scores, _ = apply_op(
            "NonMaxSuppressionV5", convert_to_tensor(boxes, name="boxes"), scores,
            convert_to_tensor(max_output_size, name="max_output_size"), iou, score, sigma,
            pad_to_max_output_size=False)
        return idx, out_scores


def non_max_suppression_padded(boxes, scores, max_output_size, iou_threshold=0.5,
                               score_threshold=float("-inf"), pad_to_max_output_size=False,
                               name=None):
    """TF1's padded non-max suppression of one image (op NonMaxSuppressionV4).

    Args:
        boxes, scores, max_output_size, iou_threshold, score_threshold: as
            `non_max_suppression`.
        pad_to_max_output_size: pad the indices with 0 to `max_output_size` entries.
        name: name scope (default "non_max_suppression_padded").

    Returns:
        `(selected_indices, valid_outputs)`: int32 `[M]` (`[max_output_size]` when padded)
        and the int32 scalar count of real selections.

    Example:
        >>> idx, n = tf.image.non_max_suppression_padded(boxes, scores, 8,
        ...                                              pad_to_max_output_size=True)
    """
    with name_scope(name, "non_max_suppression_padded"):
        iou, score = _thresholds(iou_threshold, score_threshold)
        return apply_op("NonMaxSuppressionV4", convert_to_tensor(boxes, name="boxes"),
                        convert_to_tensor(scores, name="scores"),
                        convert_to_tensor(max_output_size, name="max_output_size"), iou, score,
                        pad_to_max_output_size=bool(pad_to_max_output_size))


def non_max_suppression_overlaps(overlaps, scores, max_output_size, overlap_threshold=0.5,
                                 score_threshold=float("-inf"), name=None):
    """Non-max suppression on a given pairwise overlap matrix (op
    NonMaxSuppressionWithOverlaps): a candidate is dropped when `overlaps[candidate,
    selected] > overlap_threshold` for some selected box.

    Args:
        overlaps: float32 `[num_boxes, num_boxes]`.
        scores: float32 `[num_boxes]`.
        max_output_size: int32 scalar.
        overlap_threshold: float (no range check, as TF).
        score_threshold: as `non_max_suppression`.
        name: name scope (default "non_max_suppression_overlaps").

    Returns:
        int32 `[M]` selected indices.

    Example:
        >>> keep = tf.image.non_max_suppression_overlaps(ious, scores, 3, 0.7)
    """
    with name_scope(name, "non_max_suppression_overlaps"):
        thr = convert_to_tensor(overlap_threshold, name="overlap_threshold")
        score = convert_to_tensor(score_threshold, name="score_threshold")
        return apply_op("NonMaxSuppressionWithOverlaps",
                        convert_to_tensor(overlaps, name="overlaps"),
                        convert_to_tensor(scores, name="scores"),
                        convert_to_tensor(max_output_size, name="max_output_size"), thr, score)


__all__ = [
    "non_max_suppression",
    "non_max_suppression_overlaps",
    "non_max_suppression_padded",
    "non_max_suppression_with_scores",
]
