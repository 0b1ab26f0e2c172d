"""Records TensorFlow's results for the colour functions of `tf.image` into
tests/data/tf1/image_color/ (read by tests/ops/test_image_color.py).

Run with a TensorFlow install (not a flowexec dependency), from the repository root:

    /path/to/tf/bin/python scripts/make_tf_image_color_fixtures.py

Everything is built in TF1 graph mode (`tf.compat.v1`) and evaluated in a Session. The inputs
are deterministic: `numpy.random.default_rng(seed)` draws plus hand-written pixels that hit
the kernels' branches (greys, ties between channels, pure colours, black, white, values
outside [0, 1]). Each case saves, in `cases.npz`:

    <case>/x         the input image
    <case>/y         TF's output
    <case>/dx        (differentiable cases) d(sum(w * y))/dx for the saved weights
    <case>/w         those weights

and `cases.json` lists, per case, the `tf.image` function, its keyword arguments (dtypes by
name), whether a gradient was recorded, the static output shapes (for the input's shape, and
for a placeholder of its rank with unknown dimensions), and `via`: a dtype the float32 input
is cast to inside the graph (and the output cast back to float32 from), for bfloat16, which
npz files do not hold. The table below is the single source of the cases; the test reads
the JSON and builds the same calls with flowexec.
"""

import json
import os

import numpy as np
import tensorflow as tf

tf1 = tf.compat.v1
OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "tf1", "image_color")


def special_pixels():
    """Pixels on every branch of RGBToHSV / AdjustHue / AdjustSaturation: greys, ties,
    each channel largest or smallest, pure primaries and secondaries, black, white."""
    px = [[0, 0, 0], [1, 1, 1], [0.5, 0.5, 0.5], [1, 0, 0], [0, 1, 0], [0, 0, 1],
          [1, 1, 0], [0, 1, 1], [1, 0, 1], [0.6, 0.6, 0.2], [0.2, 0.6, 0.6], [0.6, 0.2, 0.6],
          [0.6, 0.2, 0.2], [0.2, 0.6, 0.2], [0.2, 0.2, 0.6], [0.9, 0.5, 0.1], [0.1, 0.5, 0.9],
          [0.5, 0.9, 0.1], [0.5, 0.1, 0.9], [0.9, 0.1, 0.5], [0.1, 0.9, 0.5], [0.3, 0.7, 0.7],
          [0.25, 0.75, 0.5], [0.01, 0.02, 0.03]]
    return np.array(px, np.float32).reshape(2, 3, 4, 3)


def inputs():
    rng = np.random.default_rng(20240601)
    f4 = rng.random((2, 4, 5, 3)).astype(np.float32)
    f3 = rng.random((4, 5, 3)).astype(np.float32)
    u8_4 = rng.integers(0, 256, (2, 4, 5, 3)).astype(np.uint8)
    u8_3 = rng.integers(0, 256, (5, 4, 3)).astype(np.uint8)
    u8_4[0, 0, 0] = [0, 0, 0]
    u8_4[0, 0, 1] = [255, 255, 255]
    u8_4[0, 0, 2] = [255, 0, 128]
    hsv4 = rng.random((2, 4, 5, 3)).astype(np.float32)
    hsv4[0, 0, :, 0] = [0.0, 1 / 6, 0.5, 5 / 6, 0.99999994]  # sector edges
    return {
        "f4": f4,
        "f3": f3,
        "special": special_pixels(),
        "f5": rng.random((2, 2, 3, 4, 3)).astype(np.float32),  # two batch dimensions
        "f64": rng.random((3, 4, 3)),
        "f16": rng.random((3, 4, 3)).astype(np.float16),
        "u8_4": u8_4,
        "u8_3": u8_3,
        "hsv4": hsv4,
        "hsv64": rng.random((2, 3, 3)),
        "wide": (rng.random((3, 4, 3)) * 1.6 - 0.3).astype(np.float32),  # out of [0, 1]
        "gray4": rng.random((2, 4, 5, 1)).astype(np.float32),
        "gray_u8": rng.integers(0, 256, (4, 5, 1)).astype(np.uint8),
        "rows2d": rng.random((6, 3)).astype(np.float32),  # 2-D "images" (colour space only)
        "i16": rng.integers(-32768, 32768, (3, 4, 3)).astype(np.int16),
        "i8": rng.integers(-128, 128, (3, 4, 3)).astype(np.int8),
        "u16": rng.integers(0, 65536, (3, 4, 3)).astype(np.uint16),
        "i32": rng.integers(0, 2 ** 31 - 1, (3, 4, 3)).astype(np.int32),
        "unit_edges": np.array([[[0.0, 0.5, 1.0], [0.25, 0.999, 0.0039]],
                                [[1.5, -0.25, 0.7], [0.1, 0.9, 0.3]]], np.float32),
        "below_one": (rng.random((3, 4, 3)) * 0.98).astype(np.float32),
    }


# (case name, tf.image function, input key, kwargs, record a gradient[, cast via dtype])
CASES = [
    ("rgb_to_hsv_f4", "rgb_to_hsv", "f4", {}, True),
    ("rgb_to_hsv_f3", "rgb_to_hsv", "f3", {}, True),
    ("rgb_to_hsv_special", "rgb_to_hsv", "special", {}, True),  # ties: TF's masks
    ("rgb_to_hsv_f64", "rgb_to_hsv", "f64", {}, True),
    ("rgb_to_hsv_f16", "rgb_to_hsv", "f16", {}, False),
    ("rgb_to_hsv_2d", "rgb_to_hsv", "rows2d", {}, False),
    ("rgb_to_hsv_bf16", "rgb_to_hsv", "f3", {}, False, "bfloat16"),
    ("rgb_to_hsv_wide", "rgb_to_hsv", "wide", {}, False),
    ("hsv_to_rgb_f4", "hsv_to_rgb", "hsv4", {}, False),
    ("hsv_to_rgb_f64", "hsv_to_rgb", "hsv64", {}, False),
    ("hsv_to_rgb_f16", "hsv_to_rgb", "f16", {}, False),
    ("hsv_to_rgb_2d", "hsv_to_rgb", "rows2d", {}, False),
    ("hsv_to_rgb_bf16", "hsv_to_rgb", "hsv4", {}, False, "bfloat16"),
    ("adjust_contrast_f4", "adjust_contrast", "f4", {"contrast_factor": 1.7}, False),
    ("adjust_contrast_f3", "adjust_contrast", "f3", {"contrast_factor": 0.3}, False),
    ("adjust_contrast_f5", "adjust_contrast", "f5", {"contrast_factor": -0.8}, False),
    ("adjust_contrast_u8", "adjust_contrast", "u8_4", {"contrast_factor": 2.5}, False),
    ("adjust_contrast_u8_3d", "adjust_contrast", "u8_3", {"contrast_factor": 0.4}, False),
    ("adjust_contrast_f64", "adjust_contrast", "f64", {"contrast_factor": 1.3}, False),
    ("adjust_saturation_f4", "adjust_saturation", "f4", {"saturation_factor": 0.4}, False),
    ("adjust_saturation_f3", "adjust_saturation", "f3", {"saturation_factor": 2.5}, False),
    ("adjust_saturation_special", "adjust_saturation", "special",
     {"saturation_factor": 1.6}, False),
    ("adjust_saturation_zero", "adjust_saturation", "f4", {"saturation_factor": 0.0}, False),
    ("adjust_saturation_u8", "adjust_saturation", "u8_4", {"saturation_factor": 1.9}, False),
    ("adjust_saturation_u8_3d", "adjust_saturation", "u8_3",
     {"saturation_factor": 0.5}, False),
    ("adjust_saturation_f64", "adjust_saturation", "f64", {"saturation_factor": 0.7}, False),
    ("adjust_saturation_f5", "adjust_saturation", "f5", {"saturation_factor": 1.2}, False),
    ("adjust_saturation_negative", "adjust_saturation", "f3",
     {"saturation_factor": -0.5}, False),
    ("adjust_saturation_wide", "adjust_saturation", "wide",
     {"saturation_factor": 1.4}, False),
    ("adjust_hue_f4", "adjust_hue", "f4", {"delta": 0.2}, False),
    ("adjust_hue_f3_negative", "adjust_hue", "f3", {"delta": -0.45}, False),
    ("adjust_hue_special", "adjust_hue", "special", {"delta": 0.35}, False),
    ("adjust_hue_special_full_turns", "adjust_hue", "special", {"delta": -1.0}, False),
    ("adjust_hue_u8", "adjust_hue", "u8_4", {"delta": 0.3}, False),
    ("adjust_hue_u8_3d", "adjust_hue", "u8_3", {"delta": -0.1}, False),
    ("adjust_hue_f64", "adjust_hue", "f64", {"delta": 0.7}, False),
    ("adjust_hue_f5", "adjust_hue", "f5", {"delta": 0.05}, False),
    ("adjust_hue_wide", "adjust_hue", "wide", {"delta": 0.15}, False),
    # Outside the documented [-1, 1]: graph mode does not check, TF's kernel wraps by loops.
    ("adjust_hue_several_turns", "adjust_hue", "f4", {"delta": 3.7}, False),
    ("adjust_hue_several_turns_back", "adjust_hue", "special", {"delta": -2.3}, False),
    ("adjust_brightness_f4", "adjust_brightness", "f4", {"delta": 0.2}, True),
    ("adjust_brightness_f3", "adjust_brightness", "f3", {"delta": -0.3}, True),
    ("adjust_brightness_u8", "adjust_brightness", "u8_4", {"delta": 0.25}, False),
    ("adjust_brightness_u8_down", "adjust_brightness", "u8_3", {"delta": -0.4}, False),
    ("adjust_brightness_f16", "adjust_brightness", "f16", {"delta": 0.1}, False),
    ("adjust_brightness_f64", "adjust_brightness", "f64", {"delta": 0.1}, True),
    ("adjust_gamma_f4", "adjust_gamma", "f4", {"gamma": 0.6, "gain": 1.3}, True),
    ("adjust_gamma_f3", "adjust_gamma", "f3", {"gamma": 2.2}, True),
    ("adjust_gamma_u8", "adjust_gamma", "u8_4", {"gamma": 0.5, "gain": 1.2}, False),
    ("adjust_gamma_u8_3d", "adjust_gamma", "u8_3", {"gamma": 1.8}, False),
    ("adjust_gamma_f16", "adjust_gamma", "f16", {"gamma": 1.5}, False),
    ("adjust_gamma_f64", "adjust_gamma", "f64", {"gamma": 0.8, "gain": 0.9}, True),
    ("rgb_to_grayscale_f4", "rgb_to_grayscale", "f4", {}, True),
    ("rgb_to_grayscale_f3", "rgb_to_grayscale", "f3", {}, True),
    ("rgb_to_grayscale_u8", "rgb_to_grayscale", "u8_4", {}, False),
    ("rgb_to_grayscale_u8_3d", "rgb_to_grayscale", "u8_3", {}, False),
    ("rgb_to_grayscale_f64", "rgb_to_grayscale", "f64", {}, True),
    ("rgb_to_grayscale_f16", "rgb_to_grayscale", "f16", {}, False),
    ("grayscale_to_rgb_f4", "grayscale_to_rgb", "gray4", {}, True),
    ("grayscale_to_rgb_u8", "grayscale_to_rgb", "gray_u8", {}, False),
    ("rgb_to_yiq_f4", "rgb_to_yiq", "f4", {}, True),
    ("rgb_to_yiq_f64", "rgb_to_yiq", "f64", {}, True),
    ("yiq_to_rgb_f3", "yiq_to_rgb", "f3", {}, True),
    ("rgb_to_yuv_f4", "rgb_to_yuv", "f4", {}, True),
    ("rgb_to_yuv_2d", "rgb_to_yuv", "rows2d", {}, True),
    ("yuv_to_rgb_f3", "yuv_to_rgb", "f3", {}, True),
    ("yuv_to_rgb_f64", "yuv_to_rgb", "f64", {}, True),
    ("convert_u8_to_f32", "convert_image_dtype", "u8_4", {"dtype": "float32"}, False),
    ("convert_u8_to_f16", "convert_image_dtype", "u8_3", {"dtype": "float16"}, False),
    ("convert_u8_to_f64", "convert_image_dtype", "u8_3", {"dtype": "float64"}, False),
    ("convert_f32_to_u8", "convert_image_dtype", "unit_edges", {"dtype": "uint8"}, False),
    ("convert_f32_to_u8_saturate", "convert_image_dtype", "unit_edges",
     {"dtype": "uint8", "saturate": True}, False),
    ("convert_f32_to_i16_saturate", "convert_image_dtype", "unit_edges",
     {"dtype": "int16", "saturate": True}, False),
    ("convert_f32_to_i32", "convert_image_dtype", "below_one", {"dtype": "int32"}, False),
    ("convert_f64_to_u16", "convert_image_dtype", "f64", {"dtype": "uint16"}, False),
    ("convert_f32_to_f64", "convert_image_dtype", "f3", {"dtype": "float64"}, True),
    ("convert_f32_to_f16", "convert_image_dtype", "f3", {"dtype": "float16"}, False),
    ("convert_u8_to_i16", "convert_image_dtype", "u8_3", {"dtype": "int16"}, False),
    ("convert_u8_to_i32", "convert_image_dtype", "u8_3", {"dtype": "int32"}, False),
    ("convert_u16_to_u8", "convert_image_dtype", "u16", {"dtype": "uint8"}, False),
    ("convert_i16_to_u8", "convert_image_dtype", "i16", {"dtype": "uint8"}, False),
    ("convert_i16_to_u8_saturate", "convert_image_dtype", "i16",
     {"dtype": "uint8", "saturate": True}, False),
    ("convert_i8_to_u16_saturate", "convert_image_dtype", "i8",
     {"dtype": "uint16", "saturate": True}, False),
    ("convert_i8_to_i32", "convert_image_dtype", "i8", {"dtype": "int32"}, False),
    ("convert_i32_to_u8", "convert_image_dtype", "i32", {"dtype": "uint8"}, False),
    ("convert_i32_to_f32", "convert_image_dtype", "i32", {"dtype": "float32"}, False),
    ("convert_u8_same", "convert_image_dtype", "u8_3", {"dtype": "uint8"}, False),
]


def _kwargs(kwargs):
    return {k: (tf.as_dtype(v) if k == "dtype" else v) for k, v in kwargs.items()}


def _unknown_dims_shape(fn, x, kwargs, via):
    """TF's static output shape for an input of known rank and unknown dimensions."""
    with tf1.Graph().as_default():
        ph = tf1.placeholder(tf.as_dtype(x.dtype), [None] * x.ndim)
        y = getattr(tf1.image, fn)(tf1.cast(ph, via) if via else ph, **_kwargs(kwargs))
        return y.shape.as_list()


def main():
    os.makedirs(OUT, exist_ok=True)
    xs = inputs()
    arrays, table = {}, {}
    rng = np.random.default_rng(7)
    for name, fn, key, kwargs, grad, *via in CASES:
        x = xs[key]
        via = via[0] if via else None
        graph = tf1.Graph()
        with graph.as_default(), tf1.Session(graph=graph) as sess:
            xt = tf1.constant(x)
            y = getattr(tf1.image, fn)(tf1.cast(xt, via) if via else xt, **_kwargs(kwargs))
            static_shape, out_dtype = y.shape.as_list(), y.dtype.name
            if via:
                y = tf1.cast(y, tf.float32)
            fetch = {"y": y}
            if grad:
                w = rng.standard_normal(y.shape.as_list()).astype(y.dtype.as_numpy_dtype)
                fetch["dx"] = tf1.gradients(tf1.reduce_sum(y * w), xt)[0]
                arrays[f"{name}/w"] = w
            got = sess.run(fetch)
        arrays[f"{name}/x"] = x
        arrays[f"{name}/y"] = got["y"]
        if grad:
            arrays[f"{name}/dx"] = got["dx"]
        table[name] = {"fn": fn, "kwargs": kwargs, "grad": grad, "via": via,
                       "static_shape": static_shape, "dtype": out_dtype,
                       "unknown_dims_shape": _unknown_dims_shape(fn, x, kwargs, via)}
    np.savez_compressed(os.path.join(OUT, "cases.npz"), **arrays)
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"tensorflow": tf.__version__, "cases": table}, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(table)} cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
