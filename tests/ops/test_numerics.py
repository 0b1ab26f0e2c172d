"""CheckNumerics (numerics_ops) and `check_numerics`, `tf.debugging.check_numerics`,
`verify_tensor_all_finite`, `add_check_numerics_ops`: pass-through vs numpy, gradients vs
finite differences, and TF's errors, names and graph structure (as observed with TensorFlow
2.21's tf.compat.v1 in graph mode)."""

import itertools

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import numerics_ops
from tests.ops.harness import OpCase, check_forward, check_gradient, ids


def _f(*shapes, dtype=np.float64):
    return lambda rng: [rng.uniform(-2.0, 2.0, size=s).astype(dtype) for s in shapes]


CASES = [
    OpCase("check_numerics", lambda x: tf.check_numerics(x, "m"), lambda x: x, _f((2, 3))),
    OpCase("check_numerics_float32_fed",
           lambda x: tf.debugging.check_numerics(x * 2.0, "m"), lambda x: x * 2.0,
           _f((4,), dtype=np.float32), atol=1e-6, grad_atol=1e-2, grad_rtol=1e-2, feed=True),
    OpCase("check_numerics_float16", lambda x: tf.check_numerics(x, "m"), lambda x: x,
           _f((3,), dtype=np.float16), grad=False),
    OpCase("verify_tensor_all_finite",
           lambda x: tf.verify_tensor_all_finite(x, "m") * 3.0, lambda x: x * 3.0, _f((5,))),
    OpCase("check_numerics_scalar", lambda x: tf.check_numerics(x, "m"), lambda x: x,
           lambda rng: [np.float64(2.5)]),
    OpCase("check_numerics_v2", lambda x: numerics_ops.check_numerics_v2(x * 2.0, "m"),
           lambda x: x * 2.0, _f((2, 3))),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


GRAD_CASES = [c for c in CASES if c.grad]


@pytest.mark.parametrize("case", GRAD_CASES, ids=ids(GRAD_CASES))
def test_gradient(case):
    check_gradient(case)


@pytest.mark.parametrize("values,status", [
    ([1.0, np.nan], "NaN"), ([np.inf, 1.0], "Inf"), ([-np.inf, 2.0], "Inf"),
    ([-np.inf, np.nan], "Inf and NaN")])
@pytest.mark.parametrize("dtype", [tf.float16, tf.float32, tf.float64])
def test_nan_and_inf_are_invalid_argument_with_tf_message(values, status, dtype):
    x = tf.placeholder(dtype)
    y = tf.check_numerics(x, "my check", name="cn")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(y, {x: np.array(values)})
        np.testing.assert_array_equal(sess.run(y, {x: [1.0, 2.0]}), [1.0, 2.0])
    assert f"my check : Tensor had {status} values" in info.value.message
    assert info.value.op.name == "cn"


@pytest.mark.parametrize("values,status", [
    ([-np.inf], "-Inf"), ([np.inf], "+Inf"), ([np.nan], "NaN"),
    ([-np.inf, np.inf], "-Inf and +Inf"), ([-np.inf, np.nan], "-Inf and NaN"),
    ([np.inf, np.nan], "+Inf and NaN"), ([-np.inf, np.inf, np.nan], "-Inf, +Inf, and NaN")])
def test_check_numerics_v2_tells_the_sign_of_inf_with_tf_message(values, status):
    x = tf.placeholder(tf.float32)
    y = numerics_ops.check_numerics_v2(x, "m")
    assert y.op.name == "CheckNumericsV2" and y.op.op_def.stateful
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(y, {x: np.array(values, np.float32)})
    assert f"m : Tensor had {status} values" in info.value.message


def test_check_numerics_v2_gradient_is_checked():
    x = tf.constant([1.0, 0.0])
    (g,) = tf.gradients(tf.log(numerics_ops.check_numerics_v2(x, "fwd")), x)
    assert g.op.type == "CheckNumericsV2"
    with tf.Session() as sess, pytest.raises(
            tf.errors.InvalidArgumentError, match="in gradient. fwd : Tensor had \\+Inf values"):
        sess.run(g)


def test_empty_message_and_default_name():
    y = tf.check_numerics(tf.constant([np.inf]), "")
    assert y.op.name == "CheckNumerics" and y.op.type == "CheckNumerics"
    assert y.op.op_def.stateful
    with tf.Session() as sess, \
            pytest.raises(tf.errors.InvalidArgumentError, match=" : Tensor had Inf values"):
        sess.run(y)


@pytest.mark.parametrize("value", [np.array([1, 2], np.int32), np.array([1j], np.complex64)])
def test_non_float_input_is_type_error_at_build_time(value):
    with pytest.raises(TypeError, match="Value passed to parameter 'tensor' has DataType "
                                        r"\w+ not in list of allowed values: float16, "
                                        "float32, float64"):
        tf.check_numerics(tf.constant(value), "m")
    with pytest.raises(TypeError, match="not in list of allowed values"):
        tf.verify_tensor_all_finite(tf.constant(value), "m")


def test_gradient_checks_the_incoming_gradient_with_tf_message():
    x = tf.constant([1.0, 0.0])
    y = tf.check_numerics(x, "fwd")
    (g,) = tf.gradients(tf.log(y) * 2.0, x)
    assert g.op.type == "CheckNumerics"
    assert g.op.name == "gradients/CheckNumerics_grad/CheckNumerics"
    assert g.op.get_attr("message") == numerics_ops.GRADIENT_MESSAGE + "fwd"
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y), [1.0, 0.0])  # the forward value is finite
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"Not a number \(NaN\) or infinity \(Inf\) values detected in "
                                 "gradient. fwd : Tensor had Inf values"):
            sess.run(g)


def test_verify_tensor_all_finite_names_and_control_dependency():
    x = tf.constant([1.0, np.nan])
    y = tf.verify_tensor_all_finite(x, "vmsg")
    assert y.name == "VerifyFinite/control_dependency:0" and y.op.type == "Identity"
    assert [c.name for c in y.op.control_inputs] == ["VerifyFinite/CheckNumerics"]
    z = tf.verify_tensor_all_finite(x=tf.constant([1.0]), message="ok", name="vv")
    assert z.name == "vv/control_dependency:0"
    w = tf.debugging.assert_all_finite(x, "aaf")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="vmsg : Tensor had NaN") as e:
            sess.run(y)
        assert e.value.op.name == "VerifyFinite/CheckNumerics"
        with pytest.raises(tf.errors.InvalidArgumentError, match="aaf : Tensor had NaN"):
            sess.run(w)
        np.testing.assert_array_equal(sess.run(z), [1.0])
    with pytest.raises(ValueError):
        tf.verify_tensor_all_finite(x, "m", x=x)
    with pytest.raises(ValueError):
        tf.verify_tensor_all_finite(x)


def test_add_check_numerics_ops_chains_a_check_per_float_output():
    x = tf.constant([1.0, 2.0], name="x")
    tf.constant(3, name="i")                      # int: not checked
    v = tf.Variable([1.0], name="v")              # the variable's own output: not checked
    y = tf.log(x - 1.0, name="y")
    check = tf.add_check_numerics_ops()
    assert check.type == "NoOp" and check.name == "group_deps"
    checks = [op for op in tf.get_default_graph().get_operations()
              if op.type == "CheckNumerics"]
    messages = [op.get_attr("message") for op in checks]
    assert "x:0" in messages and "y:0" in messages and "sub:0" in messages
    assert "i:0" not in messages and "v:0" not in messages
    assert "v/read:0" in messages or any(m.startswith("v/") for m in messages)
    for before, after in itertools.pairwise(checks):  # each runs after the previous one
        assert [c.name for c in after.control_inputs] == [before.name]
    assert [c.name for c in check.control_inputs] == [checks[-1].name]
    with tf.Session() as sess:
        sess.run(v.initializer)
        with pytest.raises(tf.errors.InvalidArgumentError, match="y:0 : Tensor had Inf values"):
            sess.run(check)
        assert np.isneginf(sess.run(y)[0])


def test_add_check_numerics_ops_passes_on_finite_graph():
    x = tf.placeholder(tf.float32, name="x")
    tf.identity(x * 2.0, name="y")
    check = tf.add_check_numerics_ops()
    with tf.Session() as sess:
        sess.run(check, {x: [1.0, 2.0]})
        with pytest.raises(tf.errors.InvalidArgumentError, match="x:0 : Tensor had NaN"):
            sess.run(check, {x: [np.nan]})
