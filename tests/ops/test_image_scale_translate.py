"""ScaleAndTranslate / ScaleAndTranslateGrad (flowexec/ops/image_scale_ops.py) and TF2's
resize through them (`_resize_v2`, resize_with_pad in flowexec/ops/image_geometry_ops.py)
against TF's recorded values (tests/data/tf1/image_glimpse/scale.npz, resize.npz):
forward within 1e-5 relative + 1e-5 absolute (float32, TF's order of sums; sin/exp may
differ by an ulp), gradients within 1e-5; finite differences of the registered gradient,
dynamic shapes, TF's messages."""

import os

import numpy as np
import pytest

import flowexec as tf
from flowexec.framework.registry import apply_op
from flowexec.ops import image_geometry_ops as geo
from flowexec.ops import image_scale_ops as st
from tests.ops.harness import OpCase, check_forward, check_gradient
from tests.ops.npz_fixtures import load_npz_cases

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "tf1", "image_glimpse")
RTOL = ATOL = 1e-5


def _load(name):
    top, cases = load_npz_cases(os.path.join(DATA, name))
    for r in cases.values():
        r.setdefault("images", top["image"])
    return cases


_SCALE = _load("scale.npz")
_RESIZE = _load("resize.npz")


@pytest.mark.parametrize("name", sorted(_SCALE))
def test_scale_and_translate_and_its_gradient_match_tf(name):
    r = _SCALE[name]
    with tf.Graph().as_default():
        x = tf.placeholder(tf.as_dtype(r["images"].dtype), [None] * 4)
        y = st.scale_and_translate(x, r["size"], r["scale"], r["translation"],
                                   str(r["kernel_type"]), bool(r["antialias"]))
        fetch = [y]
        if "d_images" in r:
            grads = np.random.default_rng(1).standard_normal(r["out"].shape).astype(np.float32)
            (d,) = tf.gradients(y, [x], grad_ys=tf.constant(grads))
            assert d.op.type == "ScaleAndTranslateGrad"
            fetch.append(d)
        with tf.Session() as sess:
            got = sess.run(fetch, {x: r["images"]})
    assert got[0].dtype == np.float32 and got[0].shape == r["out"].shape
    scale = max(1.0, float(np.abs(r["images"]).max()))
    np.testing.assert_allclose(got[0], r["out"], rtol=RTOL, atol=ATOL * scale, err_msg=name)
    if len(got) > 1:
        np.testing.assert_allclose(got[1], r["d_images"], rtol=RTOL, atol=ATOL, err_msg=name)


def test_fixture_covers_every_kernel_both_ways():
    kernels = {str(r["kernel_type"]) for r in _SCALE.values()}
    assert kernels == set(st.KERNELS)
    assert {bool(r["antialias"]) for r in _SCALE.values()} == {True, False}
    # antialias changes downscaled values, not upscaled ones
    for k in st.KERNELS:
        assert not np.allclose(_SCALE[f"{k}_down_aa1"]["out"], _SCALE[f"{k}_down_aa0"]["out"])
        np.testing.assert_array_equal(_SCALE[f"{k}_up_aa1"]["out"], _SCALE[f"{k}_up_aa0"]["out"])


def _resize_build(r):
    images = r["images"]
    if "target" in r:
        return geo.resize_with_pad(images, int(r["target"][0]), int(r["target"][1]),
                                   method=str(r["method"]), antialias=bool(r["antialias"]))
    return geo._resize_v2(tf.constant(images), tf.constant(r["size"]), str(r["method"]),
                          bool(r["antialias"]))


@pytest.mark.parametrize("name", sorted(_RESIZE))
def test_tf2_resize_methods_and_antialias_match_tf(name):
    r = _RESIZE[name]
    with tf.Graph().as_default():
        out = _resize_build(r)
        with tf.Session() as sess:
            got = sess.run(out)
    assert got.dtype == r["out"].dtype and got.shape == r["out"].shape
    np.testing.assert_allclose(got, r["out"], rtol=RTOL, atol=ATOL * 255, err_msg=name)


@pytest.mark.parametrize("method, antialias, op_type", [
    ("bilinear", True, "ScaleAndTranslate"), ("bilinear", False, "ResizeBilinear"),
    ("bicubic", True, "ScaleAndTranslate"), ("lanczos5", False, "ScaleAndTranslate"),
    ("nearest", True, "ResizeNearestNeighbor"), ("area", True, "ResizeArea"),
])
def test_resize_v2_picks_tfs_op(method, antialias, op_type):
    with tf.Graph().as_default() as g:
        geo.resize_with_pad(tf.zeros([5, 4, 1]), 8, 8, method=method, antialias=antialias)
        types = {op.type for op in g.get_operations()}
    assert op_type in types
    if op_type != "ScaleAndTranslate":
        assert "ScaleAndTranslate" not in types


def _st_case(name, kernel, antialias, size, scale, tr):
    return OpCase(
        name, lambda x: st.scale_and_translate(x, size, scale, tr, kernel, antialias),
        lambda x: x, lambda rng: [rng.standard_normal((2, 5, 6, 2)).astype(np.float32)],
        grad_atol=2e-3, grad_rtol=2e-3)


_GRAD_CASES = [_st_case(f"{k}_{aa}", k, aa, size, scale, tr)
               for k in ("lanczos3", "triangle", "mitchellcubic", "gaussian", "box")
               for aa in (True, False)
               for size, scale, tr in ([[3, 9], [0.6, 1.5], [0.4, -0.8]],)]


@pytest.mark.parametrize("case", _GRAD_CASES, ids=[c.name for c in _GRAD_CASES])
def test_gradient_matches_finite_differences(case):
    # the op is linear in the images, so a large step is exact up to float32 rounding
    check_gradient(case, eps=0.25)


def test_gradient_of_integer_images_is_none_and_grad_op_has_no_gradient():
    with tf.Graph().as_default():
        xi = tf.constant(np.ones((1, 3, 3, 1), np.uint8))
        y = st.scale_and_translate(xi, [4, 4], [1.3, 1.3], [0.0, 0.0])
        assert tf.gradients(tf.reduce_sum(y), xi) == [None]
        x = tf.constant(np.ones((1, 3, 3, 1), np.float32))
        g = apply_op("ScaleAndTranslateGrad", tf.ones([1, 4, 4, 1]), x,
                     tf.constant([1.3, 1.3]), tf.constant([0.0, 0.0]))
        with pytest.raises(LookupError, match="No gradient defined .*ScaleAndTranslateGrad"):
            tf.gradients(tf.reduce_sum(g), x)


def test_static_and_dynamic_shapes():
    img = np.random.default_rng(0).random((2, 5, 6, 3)).astype(np.float32)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.uint8, [None, 5, 6, 3])
        assert st.scale_and_translate(x, [4, 4], [1.0, 1.0], [0.0, 0.0]).shape.as_list() == [
            None, 4, 4, 3]
        xf = tf.placeholder(tf.float32, None)
        size = tf.placeholder(tf.int32, [2])
        y = st.scale_and_translate(xf, size, tf.cast(size, tf.float32) / [5.0, 6.0],
                                   [0.0, 0.0])
        assert y.shape.as_list() == [None, None, None, None]
        with tf.Session() as sess:
            assert sess.run(y, {xf: img, size: [7, 2]}).shape == (2, 7, 2, 3)
            assert sess.run(y, {xf: img[:1], size: [3, 9]}).shape == (1, 3, 9, 3)
        g = apply_op("ScaleAndTranslateGrad", tf.placeholder(tf.float32, [2, 3, 3, 3]),
                     tf.placeholder(tf.float32, [None, 7, None, 3]), tf.constant([1.0, 1.0]),
                     tf.constant([0.0, 0.0]))
        assert g.shape.as_list() == [None, 7, None, 3]


def test_build_time_errors_use_tf_messages():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="Dimension must be 2 but is 3 for .*"
                                             "'ScaleAndTranslate'"):
            st.scale_and_translate(tf.zeros([1, 3, 3, 1]), [1, 2, 3], [1.0, 1.0], [0.0, 0.0])
        with pytest.raises(ValueError, match="Shape must be rank 4 but is rank 3"):
            st.scale_and_translate(tf.zeros([3, 3, 1]), [2, 2], [1.0, 1.0], [0.0, 0.0])
        with pytest.raises(TypeError, match="'images' has DataType string"):
            st.scale_and_translate(tf.constant([[[["a"]]]]), [2, 2], [1.0, 1.0], [0.0, 0.0])


def _ph(v):
    v = np.asarray(v)
    v = v.astype(np.float32) if v.dtype.kind == "f" else v.astype(np.int32)
    return tf.placeholder_with_default(v, None)


_IM = np.random.default_rng(2).random((2, 5, 6, 3)).astype(np.float32)


@pytest.mark.parametrize("kw, message", [
    (lambda: dict(kernel_type="foo"), "Unrecognized kernel type: foo"),
    (lambda: dict(images=_ph(_IM[0])), r"input must be 4-dimensional\[5,6,3\]"),
    (lambda: dict(size=_ph([1, 2, 3])), r"output_shape_t must have two elements\[3\]"),
    (lambda: dict(size=_ph([0, 2])), "output dimensions must be positive"),
    (lambda: dict(scale=_ph([0.0, 1.0])), "Scale must be greater than zero."),
    (lambda: dict(scale=[1.0, 1.0, 1.0]), r"t must have two elements\[3\]"),
    (lambda: dict(translation=_ph([1.0, 1, 1])), r"t must have two elements\[3\]"),
    (lambda: dict(scale=_ph([[1.0, 1.0]])), r"t must be 1-dimensional\[1,2\]"),
    (lambda: dict(images=_ph(np.zeros((1, 0, 3, 1), np.float32))),
     "input image must be of non-zero size"),
    (lambda: dict(images=_ph(np.zeros((1, 2, 3, 0), np.float32))),
     "image must have at least one channel"),
])
def test_run_time_errors_use_tf_messages_and_leave_the_session_usable(kw, message):
    args = dict(images=_IM, size=[4, 4], scale=[1.0, 1.0], translation=[0.0, 0.0])
    with tf.Graph().as_default():
        args.update(kw())
        out = st.scale_and_translate(**args)
        ok = st.scale_and_translate(_IM, [2, 2], [0.5, 0.5], [0.0, 0.0])
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match=message) as info:
                sess.run(out)
            assert "ScaleAndTranslate" in str(info.value)
            assert sess.run(ok).shape == (2, 2, 2, 3)


@pytest.mark.parametrize("build, message", [
    (lambda: apply_op("ScaleAndTranslateGrad", _ph(_IM[0]), tf.constant(_IM),
                      tf.constant([1.0, 1.0]), tf.constant([0.0, 0.0])),
     r"input_grad must be 4-dimensional\[5,6,3\]"),
    (lambda: apply_op("ScaleAndTranslateGrad", tf.constant(_IM), _ph(_IM[0]),
                      tf.constant([1.0, 1.0]), tf.constant([0.0, 0.0])),
     r"original_image must be 4-dimensional\[5,6,3\]"),
    (lambda: apply_op("ScaleAndTranslateGrad", tf.constant(_IM), tf.constant(_IM),
                      _ph([1.0, 0.0]), tf.constant([0.0, 0.0])),
     "Scale must be greater than zero."),
])
def test_grad_op_run_time_errors_use_tf_messages(build, message):
    with tf.Graph().as_default():
        out = build()
        with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                                                 match=message):
            sess.run(out)


# ----- oracle rows (tests/ops/test_registry.py): TF's recorded values as the oracle ----------
def _row(name):
    r = _SCALE[name]
    return OpCase(
        f"scale_and_translate_{name}",
        lambda x: st.scale_and_translate(x, r["size"], r["scale"], r["translation"],
                                         str(r["kernel_type"]), bool(r["antialias"])),
        lambda x: r["out"], [r["images"]], grad=True, atol=ATOL, rtol=RTOL)


def _grad_row(name):
    r = _SCALE[name]
    grads = np.random.default_rng(1).standard_normal(r["out"].shape).astype(np.float32)
    return OpCase(
        f"scale_and_translate_grad_{name}",
        lambda g, x: apply_op("ScaleAndTranslateGrad", g, x, tf.constant(r["scale"]),
                              tf.constant(r["translation"]),
                              kernel_type=str(r["kernel_type"]),
                              antialias=bool(r["antialias"])),
        lambda g, x: r["d_images"], [grads, r["images"]], grad=False, atol=ATOL, rtol=RTOL)


CASES = [_row("lanczos3_down_aa1"), _row("mitchellcubic_mixed_aa0"),
         _grad_row("keyscubic_mixed_aa1"), _grad_row("gaussian_down_aa1")]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_forward(case):
    check_forward(case)
