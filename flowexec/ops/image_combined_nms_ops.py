"""CombinedNonMaxSuppression (`tf.image.combined_non_max_suppression`): greedy NMS per batch
image and class, then the best `max_total_size` detections of each image over all classes,
TF's CPU kernel step for step, ties included.

Per (image, class), the boxes scoring `> score_threshold` enter a `std::priority_queue`
ordered by score only, so among equal scores TF's order is the one libstdc++'s binary heap
gives (`push_heap` / `pop_heap`), reproduced here operation for operation. A candidate is
dropped when its float32 IoU (corner-normalized boxes, 0 for an empty box) with a box
already selected for that class is `> iou_threshold`; at most `min(max_output_size_per_class,
num_boxes)` are kept per class. The kept candidates of an image sit in a vector of
`size_per_class * num_classes` slots (class by class, empty slots `score -1`), sorted by
descending score with libstdc++'s `std::sort` (introsort, not stable: reproduced too, so ties
and the `-1` placeholders order as TF's); the first `min(#kept, max_total_size)` (or
`min(#kept, max_total_size, per_class * num_classes)` with `pad_per_class`) become the output,
boxes clipped to [0, 1] with `clip_boxes`, zero-padded to `max_total_size` (to `min(
max_total_size, per_class * num_classes)` with `pad_per_class`). As TF's, the op has no
gradient.
"""

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import EXPENSIVE, apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import shape_fns, window
from flowexec.ops.image_checks import (check_dim, invalid, iou_fn, merge_dim, no_gradient,
                                       shape_str)
from flowexec.ops.image_glimpse_ops import check_input_types

_INT_MAX = 2 ** 31 - 1


# ----- libstdc++'s heap and sort, for TF's tie order -----------------------------------------
def _push_heap(a, hole, top, value, less):
    parent = (hole - 1) // 2
    while hole > top and less(a[parent], value):
        a[hole] = a[parent]
        hole = parent
        parent = (hole - 1) // 2
    a[hole] = value


def _adjust_heap(a, first, hole, length, value, less):
    """std::__adjust_heap on a[first:first + length] (hole relative to first)."""
    top = hole
    child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if less(a[first + child], a[first + child - 1]):
            child -= 1
        a[first + hole] = a[first + child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        a[first + hole] = a[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and less(a[first + parent], value):
        a[first + hole] = a[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    a[first + hole] = value


class _PriorityQueue:
    """std::priority_queue over std::vector: push = push_back + push_heap, pop = pop_heap +
    pop_back."""

    def __init__(self, less):
        self.a = []
        self.less = less

    def push(self, value):
        self.a.append(value)
        _push_heap(self.a, len(self.a) - 1, 0, value, self.less)

    def pop(self):
        a = self.a
        top = a[0]
        last = len(a) - 1
        if last > 0:
            value = a[last]
            a[last] = a[0]
            _adjust_heap(a, 0, 0, last, value, self.less)
        a.pop()
        return top

    def __len__(self):
        return len(self.a)


def _heap_sort(a, first, last, less):
    n = last - first
    if n >= 2:
        parent = (n - 2) // 2
        while True:
            _adjust_heap(a, first, parent, n, a[first + parent], less)
            if parent == 0:
                break
            parent -= 1
    while last - first > 1:
        last -= 1
        value = a[last]
        a[last] = a[first]
        _adjust_heap(a, first, 0, last - first, value, less)


def _move_median_to_first(a, result, x, y, z, less):
    if less(a[x], a[y]):
        if less(a[y], a[z]):
            m = y
        elif less(a[x], a[z]):
            m = z
        else:
            m = x
    elif less(a[x], a[z]):
        m = x
    elif less(a[y], a[z]):
        m = z
    else:
        m = y
    a[result], a[m] = a[m], a[result]


def _unguarded_partition(a, first, last, pivot, less):
    while True:
        while less(a[first], a[pivot]):
            first += 1
        last -= 1
        while less(a[pivot], a[last]):
            last -= 1
        if not first < last:
            return first
        a[first], a[last] = a[last], a[first]
        first += 1


def _introsort_loop(a, first, last, depth, less):
    while last - first > 16:
        if depth == 0:
            _heap_sort(a, first, last, less)
            return
        depth -= 1
        mid = first + (last - first) // 2
        _move_median_to_first(a, first, first + 1, mid, last - 1, less)
        cut = _unguarded_partition(a, first + 1, last, first, less)
        _introsort_loop(a, cut, last, depth, less)
        last = cut


def _linear_insert(a, last, less):
    value = a[last]
    nxt = last - 1
    while less(value, a[nxt]):
        a[last] = a[nxt]
        last = nxt
        nxt -= 1
    a[last] = value


def _insertion_sort(a, first, last, less):
    for i in range(first + 1, last):
        if less(a[i], a[first]):
            value = a[i]
            a[first + 1:i + 1] = a[first:i]
            a[first] = value
        else:
            _linear_insert(a, i, less)


def std_sort(a, less):
    """libstdc++'s std::sort of list `a` in place (introsort + final insertion sort)."""
    n = len(a)
    if n < 2:
        return
    _introsort_loop(a, 0, n, 2 * (n.bit_length() - 1), less)
    if n > 16:
        _insertion_sort(a, 0, 16, less)
        for i in range(16, n):
            _linear_insert(a, i, less)
    else:
        _insertion_sort(a, 0, n, less)


# ----- the op --------------------------------------------------------------------------------
def _combined_infer(op):
    f32, i32 = dtypes.float32, dtypes.int32
    check_input_types(op, (f32, f32, i32, i32, f32, f32))
    boxes = window.check_rank(op, 0, 4)
    scores = window.check_rank(op, 1, 3)
    for i in range(2, 6):
        window.check_rank(op, i, 0)
    batch = merge_dim(op, boxes[0], scores[0])
    merge_dim(op, boxes[1], scores[1])
    check_dim(op, boxes[3], 4)
    q, classes = boxes[2], scores[2]
    if q is not None and classes is not None and q != 1 and q != classes:
        raise shape_fns.shape_error(op, "third dimension of boxes must be either 1 or equal to "
                                        "the third dimension of scores")
    batch = boxes[0]
    per_class = shape_fns.constant_value(op.inputs[2])
    total = shape_fns.constant_value(op.inputs[3])
    if op.attrs.get("pad_per_class"):
        out = None
        if per_class is not None and total is not None and classes is not None:
            out = min(int(total), int(per_class) * classes)
    else:
        out = None if total is None else int(total)
        if out is not None and out < 0:
            raise shape_fns.shape_error(op, "Dimension size, given by scalar input 3, must be "
                                            f"non-negative but is {out}")
    return [(f32, TensorShape([batch, out, 4])), (f32, TensorShape([batch, out])),
            (f32, TensorShape([batch, out])), (i32, TensorShape([batch]))]


def _combined_cost(op):
    n = op.inputs[1].shape.num_elements()
    return EXPENSIVE if n is None else float(n * 64)


def _scalar(t, what):
    if t.ndim != 0:
        raise invalid(f"{what} must be 0-D, got shape {shape_str(t)}")
    return t


def _check(boxes, scores, per_class, total, iou, score_thr):
    if boxes.shape[0] != scores.shape[0]:
        raise invalid("boxes and scores must have same batch size")
    m = int(_scalar(per_class, "max_size_per_class"))
    if m <= 0:
        raise invalid("max_size_per_class must be positive")
    t = int(_scalar(total, "max_total_size"))
    if t <= 0:
        raise invalid("max_total_size must be > 0")
    iou_v = float(_scalar(iou, "iou_threshold"))
    st = float(_scalar(score_thr, "score_threshold"))
    if not 0 <= iou_v <= 1:
        raise invalid("iou_threshold must be in [0, 1]")
    if boxes.ndim != 4:
        raise invalid(f"boxes must be 4-D{shape_str(boxes)}")
    if scores.ndim != 3:
        raise invalid(f"scores must be 3-D{shape_str(scores)}")
    if boxes.shape[2] not in (1, scores.shape[2]):
        raise invalid("third dimension of boxes must be either 1 or num classes")
    if boxes.shape[3] != 4:
        raise invalid("boxes must have 4 columns")
    if scores.shape[1] != boxes.shape[1]:
        raise invalid("scores has incompatible shape")
    return m, t, iou_v, st


def _nms_class(xp, boxes, scores, size, iou_thr, score_thr):
    """TF's DoNMSPerClass: the selected (box index, score), best first."""
    f32 = xp.float32
    iou = iou_fn(xp, boxes)
    host = scores.tolist()
    thr = f32(score_thr)
    queue = _PriorityQueue(lambda a, b: a[0] < b[0])
    for i, s in enumerate(host):
        if f32(s) > thr:
            queue.push((s, i))
    iou_thr = f32(iou_thr)
    selected = []
    sel_idx = xp.zeros(0, dtype=xp.int64)
    while len(selected) < size and len(queue):
        s, i = queue.pop()
        if selected and bool(xp.any(iou(i, sel_idx) > iou_thr)):
            continue
        selected.append((i, s))
        sel_idx = xp.asarray([k for k, _ in selected], dtype=xp.int64)
    return selected


@defop("CombinedNonMaxSuppression", infer=_combined_infer, cost=_combined_cost,
       host_inputs=(2, 3, 4, 5))
def _combined_nms(xp, boxes, scores, max_output_size_per_class, max_total_size, iou_threshold,
                  score_threshold, *, pad_per_class=False, clip_boxes=True):
    m, total, iou_thr, score_thr = _check(boxes, scores, max_output_size_per_class,
                                          max_total_size, iou_threshold, score_threshold)
    batch, num_boxes, q, _ = boxes.shape
    num_classes = scores.shape[2]
    size_per_class = min(m, num_boxes)
    per_batch = total
    max_total = min(_INT_MAX, m * num_classes)
    if pad_per_class:
        per_batch = min(total, max_total)
    boxes = boxes.astype(xp.float32)
    scores = scores.astype(xp.float32)
    host_boxes = boxes.tolist()
    out_boxes = [[0.0] * 4 for _ in range(batch * per_batch)]
    out_scores = [0.0] * (batch * per_batch)
    out_classes = [0.0] * (batch * per_batch)
    valid = []
    less = lambda a, b: a[1] > b[1]  # noqa: E731  TF's rc_cmp: descending score
    for b in range(batch):
        slots = [(-1, -1.0, -1, (0.0, 0.0, 0.0, 0.0))] * (size_per_class * num_classes)
        for c in range(num_classes):
            k = c if q > 1 else 0
            sel = _nms_class(xp, boxes[b, :, k], scores[b, :, c], size_per_class, iou_thr,
                             score_thr)
            for n, (i, s) in enumerate(sel):
                slots[n + size_per_class * c] = (i, s, c, tuple(host_boxes[b][i][k]))
        std_sort(slots, less)
        count = sum(1 for r in slots if r[0] > -1)
        keep = min(count, total) if not pad_per_class else min(per_batch, count)
        valid.append(keep)
        for n, (_, s, c, coords) in enumerate(slots[:keep]):
            if clip_boxes:
                coords = [max(min(v, 1.0), 0.0) for v in coords]
            out_boxes[b * per_batch + n] = list(coords)
            out_scores[b * per_batch + n] = s
            out_classes[b * per_batch + n] = float(c)
    return (xp.asarray(out_boxes, dtype=xp.float32).reshape(batch, per_batch, 4),
            xp.asarray(out_scores, dtype=xp.float32).reshape(batch, per_batch),
            xp.asarray(out_classes, dtype=xp.float32).reshape(batch, per_batch),
            xp.asarray(valid, dtype=xp.int32).reshape(batch))


no_gradient(_combined_nms, "CombinedNonMaxSuppression")


def combined_non_max_suppression(boxes, scores, max_output_size_per_class, max_total_size,
                                 iou_threshold=0.5, score_threshold=float("-inf"),
                                 pad_per_class=False, clip_boxes=True, name=None):
    """Greedy non-max suppression per image and class, then the best `max_total_size`
    detections of each image over all classes (op CombinedNonMaxSuppression).

    Args:
        boxes: float32 `[batch, num_boxes, q, 4]`, `q` 1 (boxes shared by the classes) or
            `num_classes`; rows `[y1, x1, y2, x2]`.
        scores: float32 `[batch, num_boxes, num_classes]`.
        max_output_size_per_class: int32 scalar > 0, boxes kept per class.
        max_total_size: int32 scalar > 0, boxes kept per image.
        iou_threshold: float in [0, 1].
        score_threshold: boxes scoring `<= score_threshold` are never selected.
        pad_per_class: pad to `min(max_total_size, max_output_size_per_class * num_classes)`
            instead of `max_total_size`.
        clip_boxes: clip the output coordinates to [0, 1].
        name: name scope (default "combined_non_max_suppression").

    Returns:
        `(nmsed_boxes, nmsed_scores, nmsed_classes, valid_detections)`: float32 `[batch, N,
        4]`, `[batch, N]`, `[batch, N]` (class ids as floats), zero-padded, and int32
        `[batch]` counts of real detections.

    Raises:
        ValueError: at build time, shapes of the wrong rank, batch or box counts that differ,
            not 4 coordinates, or `q` neither 1 nor `num_classes`.
        InvalidArgumentError: at run time, the same on run-time shapes, non-positive sizes or
            `iou_threshold` outside [0, 1].

    Example:
        >>> b, s, c, n = combined_non_max_suppression(boxes, scores, 10, 20,
        ...                                           score_threshold=0.3)
    """
    with name_scope(name, "combined_non_max_suppression"):
        iou = convert_to_tensor(iou_threshold, dtype=dtypes.float32, name="iou_threshold")
        st = convert_to_tensor(score_threshold, dtype=dtypes.float32, name="score_threshold")
        return apply_op(
            "CombinedNonMaxSuppression",
            convert_to_tensor(boxes, dtype=dtypes.float32, name="boxes"),
            convert_to_tensor(scores, dtype=dtypes.float32, name="scores"),
            convert_to_tensor(max_output_size_per_class, dtype=dtypes.int32,
                              name="max_output_size_per_class"),
            convert_to_tensor(max_total_size, dtype=dtypes.int32, name="max_total_size"),
            iou, st, pad_per_class=bool(pad_per_class), clip_boxes=bool(clip_boxes))


__all__ = ["combined_non_max_suppression"]
