"""Graphs built identically with TensorFlow 1.x (`tensorflow.compat.v1`) and flowexec, whose
TF results are stored in tests/ops/fixtures/conv_tf.npz by scripts/make_conv_fixtures.py.

Imports neither library: `build_cases(tf, data)` receives the module to build with and the
stored inputs. Integer-valued inputs make max pooling tie, so the tie rules are compared too.
"""

import numpy as np


def make_inputs(seed=0):
    """The inputs the fixtures were computed from (stored beside the results)."""
    rng = np.random.default_rng(seed)
    f = np.float32
    return {
        "x": rng.standard_normal((2, 7, 6, 3)).astype(f),
        "w": rng.standard_normal((3, 3, 3, 4)).astype(f),
        "w5": rng.standard_normal((5, 5, 3, 2)).astype(f),
        "dw": rng.standard_normal((3, 3, 3, 2)).astype(f),
        "pw": rng.standard_normal((1, 1, 6, 4)).astype(f),
        "v": rng.standard_normal((2, 4, 3, 4)).astype(f),
        "x3": rng.standard_normal((1, 4, 5, 5, 2)).astype(f),
        "w3": rng.standard_normal((2, 3, 3, 2, 3)).astype(f),
        "ties": rng.integers(0, 3, (2, 7, 6, 3)).astype(f),
        "dy_pool": rng.standard_normal((2, 4, 3, 3)).astype(f),
        "img": rng.uniform(0, 255, (2, 5, 4, 3)).astype(f),
        "gamma": rng.uniform(0.5, 1.5, (3,)).astype(f),
        "beta": rng.standard_normal((3,)).astype(f),
        "run_mean": rng.standard_normal((3,)).astype(f),
        "run_var": rng.uniform(0.5, 2, (3,)).astype(f),
        "deep": rng.standard_normal((2, 3, 2, 8)).astype(f),
        "wg": rng.standard_normal((3, 3, 1, 6)).astype(f),
    }


def _grads(tf, y, xs):
    w = tf.constant(np.linspace(-1, 1, int(np.prod(y.shape.as_list()))).reshape(
        y.shape.as_list()).astype(np.float32))
    return tf.gradients(tf.reduce_sum(y * w), xs)


def build_cases(tf, data):
    """([names], [tensors]) of every fixture, built with the module `tf`."""
    c = {k: tf.constant(data[k]) for k in make_inputs()}
    nn = tf.nn
    out = {}
    y = nn.conv2d(c["x"], c["w"], [1, 2, 2, 1], "SAME")
    out["conv2d_same_s2"] = y
    out["conv2d_same_s2_dx"], out["conv2d_same_s2_dw"] = _grads(tf, y, [c["x"], c["w"]])
    y = nn.conv2d(c["x"], c["w5"], [1, 1, 1, 1], "SAME", dilations=[1, 2, 1, 1])
    out["conv2d_dilated"] = y
    out["conv2d_dilated_dx"], out["conv2d_dilated_dw"] = _grads(tf, y, [c["x"], c["w5"]])
    y = nn.conv2d(c["x"], c["w"], [1, 1, 2, 1], [[0, 0], [2, 0], [1, 1], [0, 0]])
    out["conv2d_explicit"] = y
    out["conv2d_explicit_dx"], out["conv2d_explicit_dw"] = _grads(tf, y, [c["x"], c["w"]])
    y = nn.conv2d(c["x"], c["w"], [1, 3, 2, 1], "VALID")
    out["conv2d_valid_s32"] = y
    out["conv2d_valid_s32_dx"], out["conv2d_valid_s32_dw"] = _grads(tf, y, [c["x"], c["w"]])
    out["conv2d_transpose"] = nn.conv2d_transpose(c["v"], c["w"], [2, 7, 6, 3], [1, 2, 2, 1],
                                                  "SAME")
    y = nn.depthwise_conv2d(c["x"], c["dw"], [1, 2, 2, 1], "SAME")
    out["depthwise_s2"] = y
    out["depthwise_s2_dx"], out["depthwise_s2_dw"] = _grads(tf, y, [c["x"], c["dw"]])
    out["separable"] = nn.separable_conv2d(c["x"], c["dw"], c["pw"], [1, 1, 1, 1], "VALID",
                                           rate=[2, 2])
    y = nn.conv3d(c["x3"], c["w3"], [1, 2, 1, 2, 1], "SAME")
    out["conv3d"] = y
    out["conv3d_dx"], out["conv3d_dw"] = _grads(tf, y, [c["x3"], c["w3"]])
    y = nn.max_pool(c["ties"], [1, 3, 3, 1], [1, 2, 2, 1], "SAME")
    out["max_pool_ties"] = y
    out["max_pool_ties_dx"], = _grads(tf, y, [c["ties"]])
    y = nn.avg_pool(c["x"], [1, 3, 2, 1], [1, 2, 2, 1], "SAME")
    out["avg_pool_same"] = y
    out["avg_pool_same_dx"], = _grads(tf, y, [c["x"]])
    y = nn.max_pool(c["x"], [1, 2, 2, 1], [1, 1, 2, 1], "VALID")
    out["max_pool_valid"] = y
    out["max_pool_valid_dx"], = _grads(tf, y, [c["x"]])
    for incl in (False, True):
        y, am = nn.max_pool_with_argmax(c["ties"], [1, 2, 2, 1], [1, 2, 2, 1], "SAME",
                                        include_batch_in_index=incl)
        out[f"argmax_{incl}"] = am
    y, am = nn.max_pool_with_argmax(c["x"], [1, 3, 2, 1], [1, 2, 2, 1], "SAME")
    out["argmax_pool"] = y
    out["argmax_pool_dx"], = _grads(tf, y, [c["x"]])
    y = nn.max_pool3d(c["x3"], [1, 2, 2, 2, 1], [1, 2, 2, 2, 1], "SAME")
    out["max_pool3d"] = y
    out["max_pool3d_dx"], = _grads(tf, y, [c["x3"]])
    y = nn.avg_pool3d(c["x3"], [1, 2, 3, 3, 1], [1, 1, 2, 2, 1], "SAME")
    out["avg_pool3d"] = y
    out["avg_pool3d_dx"], = _grads(tf, y, [c["x3"]])
    out.update(_normalization_and_image_cases(tf, c))
    names = sorted(out)
    return names, [out[n] for n in names]


def _normalization_and_image_cases(tf, c):
    nn = tf.nn
    out = {}
    y = nn.lrn(c["deep"], depth_radius=2, bias=1.5, alpha=0.3, beta=0.75)
    out["lrn"] = y
    out["lrn_dx"], = _grads(tf, y, [c["deep"]])
    y, m, v = nn.fused_batch_norm(c["x"], c["gamma"], c["beta"], epsilon=0.01)
    out["fbn_train_y"], out["fbn_train_mean"], out["fbn_train_var"] = y, m, v
    out["fbn_train_dx"], out["fbn_train_dgamma"], out["fbn_train_dbeta"] = _grads(
        tf, y, [c["x"], c["gamma"], c["beta"]])
    y, m, v = nn.fused_batch_norm(c["x"], c["gamma"], c["beta"], c["run_mean"], c["run_var"],
                                  is_training=False)
    out["fbn_infer_y"] = y
    out["fbn_infer_dx"], out["fbn_infer_dgamma"], out["fbn_infer_dbeta"] = _grads(
        tf, y, [c["x"], c["gamma"], c["beta"]])
    out["depth_to_space"] = nn.depth_to_space(c["deep"], 2)
    out["space_to_depth"] = nn.space_to_depth(c["x"][:, :6], 2)
    img = c["img"]
    for tag, kw in (("legacy", {}), ("align", {"align_corners": True}),
                    ("half", {"half_pixel_centers": True})):
        y = tf.image.resize_bilinear(img, [7, 3], **kw)
        out[f"bilinear_{tag}"] = y
        out[f"bilinear_{tag}_dx"], = _grads(tf, y, [img])
        y = tf.image.resize_nearest_neighbor(img, [8, 3], **kw)
        out[f"nearest_{tag}"] = y
        out[f"nearest_{tag}_dx"], = _grads(tf, y, [img])
    for tag, kw in (("legacy", {}), ("align", {"align_corners": True}),
                    ("half", {"half_pixel_centers": True})):
        y = tf.image.resize_bicubic(img, [7, 6], **kw)
        out[f"bicubic_{tag}"] = y
        out[f"bicubic_{tag}_dx"], = _grads(tf, y, [img])
        out[f"bicubic_{tag}_down"] = tf.image.resize_bicubic(img, [3, 3], **kw)
    for tag, size, kw in (("down", [3, 2], {}), ("up", [7, 6], {}),
                          ("odd", [2, 3], {}), ("align", [3, 3], {"align_corners": True})):
        out[f"area_{tag}"] = tf.image.resize_area(img, size, **kw)
    out["resize_images_bicubic"] = tf.image.resize_images(
        img, [6, 5], method=tf.image.ResizeMethod.BICUBIC)
    out["resize_images_area"] = tf.image.resize_images(
        img, [3, 3], method=tf.image.ResizeMethod.AREA, align_corners=True)
    out["conv2d_grouped"] = nn.conv2d(c["x"], c["wg"], [1, 1, 1, 1], "SAME")
    out["resize_images_nearest_down"] = tf.image.resize_images(
        img, [3, 2], method=tf.image.ResizeMethod.NEAREST_NEIGHBOR)
    out["per_image_standardization"] = tf.image.per_image_standardization(img)
    out["flip_left_right"] = tf.image.flip_left_right(img)
    out["flip_up_down"] = tf.image.flip_up_down(img[0])
    return out
