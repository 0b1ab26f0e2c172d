"""TensorFlow's detection ops of tf.image, recorded for flowexec's tests
(tests/data/tf1/image_detection/*.npz, read by tests/ops/test_image_detection.py).

TensorFlow is never a flowexec dependency; run this with a scratch virtualenv's Python:

    /work/tfvenv/bin/python scripts/make_tf_image_detection_fixtures.py

Every input is built here from fixed numpy seeds, and saved beside TF's outputs, so a test
reruns exactly what TF ran (graph mode, tf.compat.v1):

- nms.npz: for each case `<case>/boxes`, `/scores`, `/max_output_size`, `/iou_threshold`,
  `/score_threshold`, `/soft_nms_sigma` and TF's `/v3` (NonMaxSuppressionV3 indices),
  `/v3_half` (V3 on the boxes and scores cast to float16), `/v4_idx`, `/v4_valid` (V4
  padded), `/v5_idx`, `/v5_scores`, `/v5_valid` (V5 padded).
  Cases include tied scores, flipped corners (y2 < y1), zero-area and identical boxes, a
  score threshold, soft-NMS sigmas, max_output_size 0 and larger than the box count.
- overlaps.npz: `<case>/overlaps`, `/scores`, thresholds and TF's `/selected`.
- crop.npz: `<case>/image`, `/boxes`, `/box_ind`, `/crop_size`, `/method`,
  `/extrapolation_value`, TF's `/crops`, and, for float images, `/grads` (the upstream
  gradient), TF's `/d_image` (CropAndResizeGradImage) and `/d_boxes` (CropAndResizeGradBoxes).
  Boxes outside the image, flipped, of one row/column, crops of size 1.
- draw.npz: `<case>/images`, `/boxes`, optional `/colors` and TF's `/out`.
- sample.npz: `<case>/image_size`, `/boxes`, `/min_object_covered`, the attributes, and TF's
  `/begin`, `/size`, `/bboxes` for 5 consecutive runs of one op in one Session.
"""

import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "tf1", "image_detection")


def nms_cases():
    rng = np.random.default_rng(7)
    cases = {}
    # random boxes on a coarse grid: many overlaps, some ties
    c = rng.integers(0, 8, size=(40, 2)).astype(np.float32) / 8
    hw = rng.integers(1, 5, size=(40, 2)).astype(np.float32) / 8
    boxes = np.concatenate([c, c + hw], axis=1)
    flip = rng.random(40) < 0.3
    boxes[flip] = boxes[flip][:, [2, 3, 0, 1]]  # y2 < y1 and x2 < x1
    scores = np.round(rng.random(40), 1).astype(np.float32)  # tied scores
    cases["random_ties"] = (boxes, scores, 20, 0.5, -np.inf, 0.0)
    cases["random_ties_thr"] = (boxes, scores, 40, 0.3, 0.25, 0.0)
    cases["random_soft"] = (boxes, scores, 40, 0.7, 0.0, 0.5)
    cases["random_soft_small"] = (boxes, scores, 12, 1.0, 0.1, 0.1)
    # soft NMS decays every overlap, also those above iou_threshold
    cases["random_soft_low_iou"] = (boxes, scores, 40, 0.2, -np.inf, 0.5)
    degenerate = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [0.5, 0.5, 0.5, 0.9],
                           [1, 1, 0, 0], [0.2, 0.2, 0.2, 0.2], [0, 0.1, 1, 1.1],
                           [0.9, 0.9, 0.95, 0.95]], np.float32)
    dscores = np.array([0.9, 0.9, 0.95, 0.8, 0.99, 0.9, 0.3], np.float32)
    cases["degenerate"] = (degenerate, dscores, 10, 0.5, -np.inf, 0.0)
    cases["degenerate_zero_max"] = (degenerate, dscores, 0, 0.5, -np.inf, 0.0)
    cases["degenerate_iou0"] = (degenerate, dscores, 10, 0.0, -np.inf, 0.0)
    cases["degenerate_iou1_soft"] = (degenerate, dscores, 10, 1.0, -np.inf, 1.0)
    cases["degenerate_all_below"] = (degenerate, dscores, 10, 0.5, 0.99, 0.0)
    big = rng.random((300, 4)).astype(np.float32)
    cases["big"] = (big, rng.random(300).astype(np.float32), 50, 0.4, 0.2, 0.0)
    cases["big_soft"] = (big, rng.random(300).astype(np.float32), 60, 0.6, -np.inf, 0.3)
    return cases


def crop_cases():
    rng = np.random.default_rng(3)
    image = rng.standard_normal((2, 5, 7, 3)).astype(np.float32)
    boxes = np.array([[0, 0, 1, 1], [0.1, 0.2, 0.7, 0.9], [0.8, 0.9, 0.1, 0.2],
                      [-0.3, -0.2, 0.5, 1.4], [0.5, 0.5, 0.5, 0.5], [0.25, 0.0, 0.25, 1.0],
                      [1.2, 0.3, 1.5, 0.6]], np.float32)
    ind = np.array([0, 1, 1, 0, 1, 0, 1], np.int32)
    cases = {
        "bilinear": (image, boxes, ind, [4, 6], "bilinear", 0.0),
        "bilinear_extrap": (image, boxes, ind, [3, 5], "bilinear", -1.5),
        "nearest": (image, boxes, ind, [4, 6], "nearest", 0.25),
        "bilinear_1x1": (image, boxes, ind, [1, 1], "bilinear", 0.0),
        "nearest_1xN": (image, boxes, ind, [1, 5], "nearest", 0.0),
        "bilinear_Nx1": (image, boxes, ind, [6, 1], "bilinear", 0.0),
        "uint8": (rng.integers(0, 255, (2, 5, 7, 3)).astype(np.uint8), boxes, ind, [4, 3],
                  "bilinear", 0.0),
        "float64": (image.astype(np.float64), boxes, ind, [3, 4], "bilinear", 0.0),
        "one_pixel_image": (image[:, :1, :1], boxes[:3], ind[:3], [2, 2], "bilinear", 0.0),
    }
    return cases


def draw_cases():
    rng = np.random.default_rng(5)
    boxes = np.array([[[0, 0, 1, 1], [0.2, 0.1, 0.6, 0.7], [-0.2, 0.3, 0.5, 1.3],
                       [0.6, 0.6, 0.2, 0.9], [1.2, 0, 1.5, 1], [0.5, 0.5, 0.5, 0.5],
                       [-0.5, -0.5, 1.5, 1.5]] + [[0.1 * k, 0.05 * k, 0.9, 0.95]
                                                  for k in range(6)]], np.float32)
    cases = {}
    for depth in (1, 3, 4):
        images = rng.random((2, 6, 9, depth)).astype(np.float32)
        cases[f"depth{depth}"] = (images, np.repeat(boxes, 2, axis=0), None)
    colors = np.array([[0.1, 0.2, 0.3, 0.4], [0.9, 0.8, 0.7, 0.6]], np.float32)
    cases["colors"] = (rng.random((1, 6, 9, 3)).astype(np.float32), boxes, colors)
    cases["colors_gray"] = (rng.random((1, 6, 9, 1)).astype(np.float32), boxes, colors[:, :1])
    cases["colors_empty"] = (rng.random((1, 6, 9, 3)).astype(np.float32), boxes,
                             np.zeros((0, 4), np.float32))
    cases["half"] = (rng.random((1, 5, 5, 3)).astype(np.float16), boxes, None)
    return cases


def sample_cases():
    boxes = np.array([[[0.1, 0.2, 0.6, 0.9], [0.3, 0.3, 0.4, 0.5]]], np.float32)
    return {
        "default": ([200, 300, 3], boxes, 0.1, dict(seed=1, seed2=2)),
        "seed_only": ([480, 640, 3], boxes, 0.5, dict(seed=7)),
        "tight": ([100, 120, 3], boxes, 0.9, dict(seed=3, seed2=4, aspect_ratio_range=[0.5, 2.0],
                                                  area_range=[0.1, 0.5], max_attempts=20)),
        "no_boxes": ([64, 48, 1], np.zeros((1, 0, 4), np.float32), 0.1,
                     dict(seed=11, seed2=12, use_image_if_no_bounding_boxes=True)),
        "impossible": ([50, 50, 3], boxes, 1.0, dict(seed=5, seed2=6, area_range=[0.05, 0.06],
                                                     max_attempts=3)),
        "small_image": ([3, 4, 3], np.array([[[0, 0, 1, 1]]], np.float32), 0.0,
                        dict(seed=9, seed2=1, area_range=[0.3, 1.0])),
        "int64_size": (np.array([37, 91, 3], np.int64), boxes, 0.3,
                       dict(seed=21, seed2=22, aspect_ratio_range=[0.2, 5.0])),
    }


def main():
    import tensorflow.compat.v1 as tf
    from tensorflow.python.ops import gen_image_ops

    tf.disable_eager_execution()
    os.makedirs(OUT, exist_ok=True)

    out = {}
    for name, (boxes, scores, size, iou, st, sigma) in nms_cases().items():
        with tf.Graph().as_default(), tf.Session() as sess:
            v3 = gen_image_ops.non_max_suppression_v3(boxes, scores, size, iou, st)
            v4 = gen_image_ops.non_max_suppression_v4(boxes, scores, size, iou, st,
                                                      pad_to_max_output_size=True)
            v5 = gen_image_ops.non_max_suppression_v5(boxes, scores, size, iou, st, sigma,
                                                      pad_to_max_output_size=True)
            v3h = gen_image_ops.non_max_suppression_v3(boxes.astype(np.float16),
                                                       scores.astype(np.float16), size, iou,
                                                       st)
            r3, r4, r5, r3h = sess.run([v3, v4, v5, v3h])
        out.update({f"{name}/boxes": boxes, f"{name}/scores": scores,
                    f"{name}/max_output_size": np.int32(size),
                    f"{name}/iou_threshold": np.float32(iou),
                    f"{name}/score_threshold": np.float32(st),
                    f"{name}/soft_nms_sigma": np.float32(sigma), f"{name}/v3": r3,
                    f"{name}/v3_half": r3h,
                    f"{name}/v4_idx": r4[0], f"{name}/v4_valid": r4[1],
                    f"{name}/v5_idx": r5[0], f"{name}/v5_scores": r5[1],
                    f"{name}/v5_valid": r5[2]})
    np.savez_compressed(os.path.join(OUT, "nms.npz"), **out)

    out = {}
    rng = np.random.default_rng(11)
    ov = np.round(rng.random((30, 30)), 1).astype(np.float32)  # not symmetric, ties
    sc = np.round(rng.random(30), 1).astype(np.float32)
    for name, (thr, st, size) in {"half": (0.5, -np.inf, 30), "strict": (0.2, 0.3, 10),
                                  "above_one": (2.0, -np.inf, 30)}.items():
        with tf.Graph().as_default(), tf.Session() as sess:
            sel = sess.run(tf.image.non_max_suppression_overlaps(ov, sc, size, thr, st))
        out.update({f"{name}/overlaps": ov, f"{name}/scores": sc,
                    f"{name}/max_output_size": np.int32(size),
                    f"{name}/overlap_threshold": np.float32(thr),
                    f"{name}/score_threshold": np.float32(st), f"{name}/selected": sel})
    np.savez_compressed(os.path.join(OUT, "overlaps.npz"), **out)

    out = {}
    for name, (image, boxes, ind, size, method, extra) in crop_cases().items():
        with tf.Graph().as_default(), tf.Session() as sess:
            x = tf.constant(image)
            b = tf.constant(boxes)
            crops = tf.image.crop_and_resize(x, b, ind, size, method=method,
                                             extrapolation_value=extra)
            rec = {"image": image, "boxes": boxes, "box_ind": ind,
                   "crop_size": np.array(size, np.int32), "method": np.array(method),
                   "extrapolation_value": np.float32(extra)}
            if image.dtype.kind == "f":
                grads = np.random.default_rng(1).standard_normal(
                    (len(boxes), size[0], size[1], image.shape[3])).astype(np.float32)
                d_image, d_boxes = tf.gradients(crops, [x, b], grad_ys=tf.constant(grads))
                rec["crops"], rec["d_image"], rec["d_boxes"] = sess.run(
                    [crops, d_image, d_boxes])
                rec["grads"] = grads
            else:
                rec["crops"] = sess.run(crops)
        out.update({f"{name}/{k}": v for k, v in rec.items()})
    np.savez_compressed(os.path.join(OUT, "crop.npz"), **out)

    out = {}
    for name, (images, boxes, colors) in draw_cases().items():
        with tf.Graph().as_default(), tf.Session() as sess:
            if colors is None:
                drawn = gen_image_ops.draw_bounding_boxes(images, boxes)
            else:
                drawn = gen_image_ops.draw_bounding_boxes_v2(images, boxes, colors)
                out[f"{name}/colors"] = colors
            out[f"{name}/out"] = sess.run(drawn)
        out[f"{name}/images"] = images
        out[f"{name}/boxes"] = boxes
    np.savez_compressed(os.path.join(OUT, "draw.npz"), **out)

    out = {}
    for name, (size, boxes, covered, attrs) in sample_cases().items():
        with tf.Graph().as_default(), tf.Session() as sess:
            op = tf.image.sample_distorted_bounding_box(
                np.asarray(size) if isinstance(size, np.ndarray) else size, boxes,
                min_object_covered=covered, **attrs)
            runs = [sess.run(op) for _ in range(5)]
        out[f"{name}/image_size"] = np.asarray(size)
        out[f"{name}/boxes"] = boxes
        out[f"{name}/min_object_covered"] = np.float32(covered)
        for k, v in attrs.items():
            out[f"{name}/attr_{k}"] = np.asarray(v)
        for i, k in enumerate(("begin", "size", "bboxes")):
            out[f"{name}/{k}"] = np.stack([r[i] for r in runs])
    np.savez_compressed(os.path.join(OUT, "sample.npz"), **out)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
