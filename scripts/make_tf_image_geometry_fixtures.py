"""Records TensorFlow's results for the geometry and image-quality functions of `tf.image`
into tests/data/tf1/image_geometry/ (read by tests/ops/test_image_geometry.py).

TensorFlow is never a flowexec dependency; run this with a scratch install, from the
repository root:

    /work/tfvenv/bin/python scripts/make_tf_image_geometry_fixtures.py

Everything is built in TF1 graph mode (`tf.compat.v1`, eager execution disabled) and run in
a Session. The inputs are deterministic (`numpy.random.default_rng(seed)` draws and
`arange` ramps). Files written:

    cases.npz    <case>/x0, <case>/x1 ...   the inputs (positional arguments)
                 <case>/y<i>                TF's output(s)
                 <case>/dx<i>, <case>/w<i>  (differentiable cases) d(sum(w * y))/dx_i for
                                            the saved weights w
    cases.json   {"tensorflow": version, "cases": [...], "errors": [...]}: per case the
                 `tf.compat.v1.image` function (`tf.image` for TF2-only names), its keyword
                 arguments, the output dtypes, and the static output shapes TF infers for
                 constant inputs and for placeholders of the listed partial shapes (`null` =
                 unknown rank, `null` dims = unknown; or the ValueError TF raised for that
                 placeholder); per error case the function, the input, whether it was fed
                 through a placeholder of unknown shape, and the exception type and first
                 message line TF raised: at graph-build time for static shapes, at
                 `Session.run` for dynamic ones (there, the "assertion failed: [...]" line).

The tables below are the single source of the cases; the test reads the JSON and makes the
same calls with flowexec.
"""

import json
import os

import numpy as np
import tensorflow as tf

tf1 = tf.compat.v1
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "tf1",
                   "image_geometry")


def inputs():
    rng = np.random.default_rng(20240607)
    ramp = lambda *s: np.arange(np.prod(s), dtype=np.float32).reshape(s)  # noqa: E731
    big = rng.random((2, 24, 22, 3)).astype(np.float32)
    return {
        "f3": rng.random((5, 7, 2)).astype(np.float32),
        "f4": rng.random((2, 6, 5, 3)).astype(np.float32),
        "sq3": ramp(4, 4, 1),
        "sq4": ramp(2, 3, 3, 2),
        "u8_3": rng.integers(0, 256, (6, 5, 3)).astype(np.uint8),
        "i32_4": rng.integers(-50, 50, (2, 4, 6, 1)).astype(np.int32),
        "f64_3": rng.standard_normal((7, 4, 2)),
        "f64_4": rng.standard_normal((2, 5, 4, 2)),
        "odd4": rng.random((1, 7, 9, 2)).astype(np.float32),
        "big": big,
        "big_noisy": np.clip(big + 0.1 * rng.standard_normal(big.shape), 0, 1).astype(
            np.float32),
        "big3": rng.random((16, 18, 1)).astype(np.float32),
        "big3_b": rng.random((16, 18, 1)).astype(np.float32),
        "u8_big": rng.integers(0, 256, (1, 16, 15, 3)).astype(np.uint8),
        "u8_big_b": rng.integers(0, 256, (1, 16, 15, 3)).astype(np.uint8),
        "f5": rng.random((2, 2, 12, 13, 1)).astype(np.float32),
        "f5_b": rng.random((2, 2, 12, 13, 1)).astype(np.float32),
        "ms": rng.random((2, 50, 45, 2)).astype(np.float32),
        "ms_b": rng.random((2, 50, 45, 2)).astype(np.float32),
        "ms2": rng.random((1, 30, 24, 1)).astype(np.float32),
        "ms2_b": rng.random((1, 30, 24, 1)).astype(np.float32),
    }


U3, U4 = [None, None, None], [None, None, None, None]
# (case name, function, input keys, keyword arguments, gradient?, placeholder shapes)
CASES = [
    ("central_crop_3d", "central_crop", ["f3"], {"central_fraction": 0.5}, True,
     [U3, [None, None, 2], None]),
    ("central_crop_4d", "central_crop", ["f4"], {"central_fraction": 0.33}, True,
     [U4, [2, None, 5, 3]]),
    ("central_crop_u8", "central_crop", ["u8_3"], {"central_fraction": 0.8}, False, []),
    ("central_crop_one", "central_crop", ["f4"], {"central_fraction": 1.0}, False, [U4]),
    ("central_crop_odd", "central_crop", ["odd4"], {"central_fraction": 0.6}, False, []),
    ("crop_3d", "crop_to_bounding_box", ["f3"],
     {"offset_height": 1, "offset_width": 2, "target_height": 3, "target_width": 4}, True,
     [U3, [5, None, 2], None]),
    ("crop_4d", "crop_to_bounding_box", ["f4"],
     {"offset_height": 0, "offset_width": 1, "target_height": 6, "target_width": 3}, True,
     [U4, [None, 6, 5, None]]),
    ("crop_i32", "crop_to_bounding_box", ["i32_4"],
     {"offset_height": 2, "offset_width": 0, "target_height": 2, "target_width": 6}, False,
     []),
    ("pad_3d", "pad_to_bounding_box", ["f3"],
     {"offset_height": 1, "offset_width": 2, "target_height": 8, "target_width": 10}, True,
     [U3, [None, 7, 2], None]),
    ("pad_4d", "pad_to_bounding_box", ["f4"],
     {"offset_height": 0, "offset_width": 3, "target_height": 7, "target_width": 8}, True,
     [U4]),
    ("pad_u8_same", "pad_to_bounding_box", ["u8_3"],
     {"offset_height": 0, "offset_width": 0, "target_height": 6, "target_width": 5}, False,
     []),
    ("crop_or_pad_crop", "resize_image_with_crop_or_pad", ["f4"],
     {"target_height": 3, "target_width": 2}, True, [U4, [2, None, None, 3]]),
    ("crop_or_pad_pad", "resize_image_with_crop_or_pad", ["f3"],
     {"target_height": 8, "target_width": 10}, True, [U3, None]),
    ("crop_or_pad_mixed", "resize_image_with_crop_or_pad", ["odd4"],
     {"target_height": 10, "target_width": 4}, True, [U4]),
    ("crop_or_pad_u8", "resize_image_with_crop_or_pad", ["u8_3"],
     {"target_height": 3, "target_width": 8}, False, []),
    ("crop_or_pad_same", "resize_image_with_crop_or_pad", ["f3"],
     {"target_height": 5, "target_width": 7}, False, []),
    ("with_pad_bilinear", "resize_image_with_pad", ["f4"],
     {"target_height": 9, "target_width": 4}, False, [U4]),
    ("with_pad_nearest_3d", "resize_image_with_pad", ["u8_3"],
     {"target_height": 10, "target_width": 12, "method": 1}, False, [U3]),
    ("with_pad_bicubic_align", "resize_image_with_pad", ["odd4"],
     {"target_height": 4, "target_width": 4, "method": 2, "align_corners": True}, False, []),
    ("with_pad_area", "resize_image_with_pad", ["f3"],
     {"target_height": 3, "target_width": 5, "method": 3}, False, []),
    ("with_pad_u8_same_size", "resize_image_with_pad", ["u8_3"],
     {"target_height": 6, "target_width": 5}, False, []),
    ("with_pad_v2_bilinear", "resize_with_pad", ["f4"],
     {"target_height": 9, "target_width": 4}, True, [U4]),
    ("with_pad_v2_nearest", "resize_with_pad", ["u8_3"],
     {"target_height": 4, "target_width": 9, "method": "nearest"}, False, []),
    ("with_pad_v2_bicubic", "resize_with_pad", ["odd4"],
     {"target_height": 12, "target_width": 12, "method": "bicubic"}, False, []),
    ("with_pad_v2_area", "resize_with_pad", ["f3"],
     {"target_height": 3, "target_width": 3, "method": "area"}, False, []),
    ("rot90_k1_3d", "rot90", ["f3"], {"k": 1}, True, [U3, [None, None, 2], None]),
    ("rot90_k2_4d", "rot90", ["f4"], {"k": 2}, True, [U4, [2, None, None, 3]]),
    ("rot90_k3_4d", "rot90", ["f4"], {"k": 3}, True, []),
    ("rot90_k0", "rot90", ["f3"], {"k": 0}, False, []),
    ("rot90_kneg", "rot90", ["i32_4"], {"k": -1}, False, []),
    ("rot90_k5_square", "rot90", ["sq3"], {"k": 5}, False, [[4, 4, 1]]),
    ("rot90_square_4d", "rot90", ["sq4"], {}, False, []),
    ("transpose_3d", "transpose_image", ["f3"], {}, True, [U3, [None, 7, 2], None]),
    ("transpose_4d", "transpose_image", ["u8_big"], {}, False, [[1, None, 15, 3]]),
    ("total_variation_3d", "total_variation", ["f3"], {}, True, [U3]),
    ("total_variation_4d", "total_variation", ["f64_4"], {}, True, [U4, [None, 5, 4, 2]]),
    ("total_variation_i32", "total_variation", ["i32_4"], {}, False, []),
    ("image_gradients_f32", "image_gradients", ["f4"], {}, True, [U4, [2, None, 5, 3]]),
    ("image_gradients_f64", "image_gradients", ["f64_4"], {}, True, []),
    ("image_gradients_i32", "image_gradients", ["i32_4"], {}, False, []),
    ("sobel_f32", "sobel_edges", ["f4"], {}, True, [U4, [None, 6, 5, 3]]),
    ("sobel_f64", "sobel_edges", ["f64_4"], {}, True, []),
    ("psnr_f32", "psnr", ["big", "big_noisy"], {"max_val": 1.0}, True, [U4]),
    ("psnr_3d", "psnr", ["big3", "big3_b"], {"max_val": 2.0}, True, []),
    ("psnr_u8", "psnr", ["u8_big", "u8_big_b"], {"max_val": 255}, False, []),
    ("psnr_f64", "psnr", ["f64_4", "f64_4"], {"max_val": 1.0}, False, []),
    ("ssim_f32", "ssim", ["big", "big_noisy"], {"max_val": 1.0}, True, [U4]),
    ("ssim_3d", "ssim", ["big3", "big3_b"], {"max_val": 1.0}, False, [[16, None, 1]]),
    ("ssim_u8", "ssim", ["u8_big", "u8_big_b"], {"max_val": 255}, False, []),
    ("ssim_filter", "ssim", ["big", "big_noisy"],
     {"max_val": 1.0, "filter_size": 5, "filter_sigma": 0.8, "k1": 0.02, "k2": 0.05}, True,
     []),
    ("ssim_5d", "ssim", ["f5", "f5_b"], {"max_val": 1.0, "filter_size": 7}, False, []),
    ("ssim_index_map", "ssim", ["big", "big_noisy"],
     {"max_val": 1.0, "return_index_map": True}, False, []),
    ("ssim_identical", "ssim", ["big", "big"], {"max_val": 1.0}, False, []),
    ("ssim_multiscale_f32", "ssim_multiscale", ["ms", "ms_b"],
     {"max_val": 1.0, "filter_size": 3}, True, []),
    ("ssim_multiscale_factors", "ssim_multiscale", ["ms2", "ms2_b"],
     {"max_val": 1.0, "power_factors": [0.6, 0.4]}, False, []),
]

# (case name, function, input shape, dtype, keyword arguments, feed through a placeholder of
# unknown shape?)
ERRORS = [
    ("crop_rank2", "crop_to_bounding_box", [4, 5], "float32",
     {"offset_height": 0, "offset_width": 0, "target_height": 2, "target_width": 2}, False),
    ("crop_too_wide", "crop_to_bounding_box", [4, 5, 1], "float32",
     {"offset_height": 0, "offset_width": 2, "target_height": 2, "target_width": 4}, False),
    ("crop_too_high", "crop_to_bounding_box", [2, 4, 5, 1], "float32",
     {"offset_height": 3, "offset_width": 0, "target_height": 2, "target_width": 4}, False),
    ("crop_negative_offset", "crop_to_bounding_box", [4, 5, 1], "float32",
     {"offset_height": -1, "offset_width": 0, "target_height": 2, "target_width": 4}, False),
    ("crop_zero_target", "crop_to_bounding_box", [4, 5, 1], "float32",
     {"offset_height": 0, "offset_width": 0, "target_height": 2, "target_width": 0}, False),
    ("crop_zero_dim", "crop_to_bounding_box", [0, 5, 1], "float32",
     {"offset_height": 0, "offset_width": 0, "target_height": 1, "target_width": 1}, False),
    ("crop_too_wide_dynamic", "crop_to_bounding_box", [4, 5, 1], "float32",
     {"offset_height": 0, "offset_width": 2, "target_height": 2, "target_width": 4}, True),
    ("crop_too_high_dynamic", "crop_to_bounding_box", [4, 5, 1], "float32",
     {"offset_height": 3, "offset_width": 0, "target_height": 2, "target_width": 4}, True),
    ("pad_rank5", "pad_to_bounding_box", [1, 2, 4, 5, 1], "float32",
     {"offset_height": 0, "offset_width": 0, "target_height": 5, "target_width": 5}, False),
    ("pad_too_small", "pad_to_bounding_box", [4, 5, 1], "float32",
     {"offset_height": 1, "offset_width": 0, "target_height": 4, "target_width": 5}, False),
    ("pad_too_narrow", "pad_to_bounding_box", [4, 5, 1], "float32",
     {"offset_height": 0, "offset_width": 1, "target_height": 5, "target_width": 5}, False),
    ("pad_negative_offset", "pad_to_bounding_box", [4, 5, 1], "float32",
     {"offset_height": 0, "offset_width": -1, "target_height": 5, "target_width": 5}, False),
    ("pad_too_small_dynamic", "pad_to_bounding_box", [4, 5, 1], "float32",
     {"offset_height": 1, "offset_width": 0, "target_height": 4, "target_width": 5}, True),
    ("crop_or_pad_zero_dim_dynamic", "resize_image_with_crop_or_pad", [4, 0, 1], "float32",
     {"target_height": 2, "target_width": 3}, True),
    ("crop_or_pad_zero_target", "resize_image_with_crop_or_pad", [4, 5, 1], "float32",
     {"target_height": 0, "target_width": 3}, False),
    ("crop_or_pad_rank2", "resize_image_with_crop_or_pad", [4, 5], "float32",
     {"target_height": 2, "target_width": 3}, False),
    ("with_pad_zero_target", "resize_image_with_pad", [4, 5, 1], "float32",
     {"target_height": 3, "target_width": 0}, False),
    ("central_crop_fraction", "central_crop", [4, 5, 1], "float32",
     {"central_fraction": 0.0}, False),
    ("central_crop_fraction_big", "central_crop", [4, 5, 1], "float32",
     {"central_fraction": 1.5}, False),
    ("central_crop_rank5", "central_crop", [1, 1, 4, 5, 1], "float32",
     {"central_fraction": 0.5}, False),
    ("central_crop_rank2", "central_crop", [4, 5], "float32",
     {"central_fraction": 0.5}, False),
    ("rot90_rank2", "rot90", [4, 5], "float32", {"k": 1}, False),
    ("rot90_rank5", "rot90", [1, 1, 4, 5, 1], "float32", {"k": 1}, False),
    ("rot90_k_vector", "rot90", [4, 5, 1], "float32", {"k": [1, 2]}, False),
    ("transpose_rank5", "transpose_image", [1, 1, 4, 5, 1], "float32", {}, False),
    ("transpose_rank2", "transpose_image", [4, 5], "float32", {}, False),
    ("total_variation_rank2", "total_variation", [4, 5], "float32", {}, False),
    ("image_gradients_rank3", "image_gradients", [4, 5, 1], "float32", {}, False),
]


def _shape(t):
    s = t.shape
    return None if s.ndims is None else s.as_list()


def _call(fn_name, args, kwargs):
    # TF2-only names (resize_with_pad) come from tf.image, the rest from tf.compat.v1.image
    fn = getattr(tf1.image, fn_name, None) or getattr(tf.image, fn_name)
    out = fn(*args, **kwargs)
    return list(out) if isinstance(out, (tuple, list)) else [out]


def record_case(sess, data, name, fn_name, keys, kwargs, grad, ph_shapes):
    xs = [data[k] for k in keys]
    entry = {"name": name, "fn": fn_name, "inputs": keys, "kwargs": kwargs, "grad": grad}
    arrays = {f"{name}/x{i}": x for i, x in enumerate(xs)}
    consts = [tf1.constant(x) for x in xs]
    outs = _call(fn_name, consts, kwargs)
    entry["static_shapes"] = [_shape(o) for o in outs]
    entry["dtypes"] = [o.dtype.name for o in outs]
    vals = sess.run(outs)
    for i, v in enumerate(vals):
        arrays[f"{name}/y{i}"] = v
    if grad:
        rng = np.random.default_rng(len(name))
        ws = [rng.standard_normal(np.shape(v)).astype(v.dtype) for v in vals]
        loss = tf1.add_n([tf1.reduce_sum(o * w) for o, w in zip(outs, ws)])
        dxs = sess.run(tf1.gradients(loss, consts))
        for i, w in enumerate(ws):
            arrays[f"{name}/w{i}"] = w
        for i, d in enumerate(dxs):
            arrays[f"{name}/dx{i}"] = d
    entry["placeholder_shapes"] = []
    for shape in ph_shapes:
        phs = [tf1.placeholder(tf.as_dtype(x.dtype), shape) for x in xs]
        try:
            outs = _call(fn_name, phs, kwargs)
        except ValueError as e:  # e.g. central_crop of an image of unknown rank
            entry["placeholder_shapes"].append({"in": shape, "error": str(e)})
            continue
        entry["placeholder_shapes"].append({"in": shape, "out": [_shape(o) for o in outs]})
        got = sess.run(outs, dict(zip(phs, xs)))
        for g, v in zip(got, vals):
            np.testing.assert_allclose(g, v, rtol=1e-5, atol=1e-6)
    return entry, arrays


def record_error(sess, name, fn_name, shape, dtype, kwargs, dynamic):
    x = np.zeros(shape, dtype)
    entry = {"name": name, "fn": fn_name, "shape": shape, "dtype": dtype, "kwargs": kwargs,
             "dynamic": dynamic}
    try:
        if dynamic:
            ph = tf1.placeholder(dtype, None)
            outs = _call(fn_name, [ph], kwargs)
            sess.run(outs, {ph: x})
        else:
            _call(fn_name, [tf1.constant(x)], kwargs)
        raise AssertionError(f"{name}: TF raised nothing")
    except (ValueError, TypeError, tf.errors.OpError) as e:
        msg = e.message if isinstance(e, tf.errors.OpError) else str(e)
        entry["error"] = type(e).__name__
        lines = [ln for ln in msg.splitlines() if "assertion failed" in ln] or msg.splitlines()
        entry["message"] = lines[0].strip()
    return entry


def main():
    tf1.disable_eager_execution()
    data = inputs()
    cases, errors, arrays = [], [], {}
    for row in CASES:
        # ssim_multiscale's gradient goes back through a cond, which needs its intermediates.
        tf1.experimental.output_all_intermediates(row[1] == "ssim_multiscale")
        with tf1.Graph().as_default(), tf1.Session() as sess:
            entry, arr = record_case(sess, data, *row)
        cases.append(entry)
        arrays.update(arr)
    for row in ERRORS:
        with tf1.Graph().as_default(), tf1.Session() as sess:
            errors.append(record_error(sess, *row))
    os.makedirs(OUT, exist_ok=True)
    np.savez_compressed(os.path.join(OUT, "cases.npz"), **arrays)
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"tensorflow": tf.__version__, "cases": cases, "errors": errors}, f,
                  indent=1)
    print(f"wrote {len(cases)} cases, {len(errors)} error cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
