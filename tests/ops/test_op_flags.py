"""What the runtime knows about an op comes from its defop flags; build-time constant values
are computed by the op's own kernel (OpDef.evaluate)."""

import pathlib
import re

import numpy as np
import pytest

import flowexec as tf
from flowexec.framework.registry import get_op_def, registered_ops
from flowexec.ops import shape_fns


def test_flags_of_the_ops_the_runtime_treats_specially():
    assert get_op_def("Placeholder").must_be_fed
    assert not get_op_def("PlaceholderWithDefault").must_be_fed
    assert get_op_def("Const").constant is not None
    assert get_op_def("VariableV2").ref_output and not get_op_def("Identity").ref_output
    assert get_op_def("Identity").forwards_ref and not get_op_def("Neg").forwards_ref
    assert get_op_def("Shape").static_value is not None
    assert get_op_def("Pack").fold_at_build and not get_op_def("MatMul").fold_at_build
    assert get_op_def("PyFunc").host_only and not get_op_def("Add").host_only
    assert get_op_def("Add").foldable
    for name in ("Placeholder", "VariableV2", "Assign", "RandomUniform", "PyFuncStateless"):
        assert not get_op_def(name).foldable, name


def test_every_foldable_flag_combination_is_consistent():
    for name, op_def in registered_ops().items():
        if op_def.must_be_fed or op_def.ref_output:
            assert op_def.stateful, name
        if op_def.fold_at_build:
            assert op_def.foldable, name


def test_evaluate_runs_the_kernel_on_numpy():
    x = tf.constant([[1.0, 2.0]], name="x")
    y = tf.matmul(x, tf.constant([[3.0], [4.0]]))
    (out,) = y.op.op_def.evaluate(y.op, [np.array([[1.0, 2.0]], np.float32),
                                         np.array([[3.0], [4.0]], np.float32)])
    np.testing.assert_array_equal(out, [[11.0]])
    c = tf.constant(7, name="c")
    assert c.op.op_def.evaluate(c.op, []) == (c.op.attrs["value"],)
    v = tf.Variable(1.0)
    with pytest.raises(ValueError, match="cannot be evaluated outside a run"):
        v.op.op_def.evaluate(v.op, [])


def test_constant_value_folds_shape_arithmetic_with_the_kernel():
    n = tf.constant(3)
    s = tf.stack([n, n * 0 + 2])  # Mul/Add are not fold_at_build: the value stays unknown
    assert shape_fns.constant_value(s) is None
    s = tf.stack([n, tf.constant(2)])
    np.testing.assert_array_equal(shape_fns.constant_value(s), [3, 2])
    z = tf.zeros(tf.cast(s, tf.int64))
    assert z.shape.as_list() == [3, 2]
    p = tf.placeholder(tf.float32, [None, 5])
    assert shape_fns.constant_value(tf.shape(p)) is None
    assert shape_fns.constant_value(tf.rank(p)) == 2


def test_a_kernel_rejecting_constant_inputs_leaves_the_value_to_the_run():
    bad = tf.gather(tf.constant([1, 2, 3]), tf.constant([7]))
    assert shape_fns.constant_value(bad) is None
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError):
            sess.run(bad)


def test_the_runtime_never_branches_on_an_op_type_name():
    runtime = pathlib.Path(tf.__file__).parent / "runtime"
    # The optimizer's rewrites are algebra over named ops (TF's IsAdd/IsMatMul patterns:
    # "x + 0 -> x", "MatMul + BiasAdd -> _FusedMatMul"); what it may fuse or fold still
    # comes from flags (elementwise, foldable, stateful), tested in tests/runtime/optimize.
    rewrites = runtime / "optimize"
    pattern = re.compile(r"\.type\s*(==|!=|in\s)")
    offenders = [f"{p.name}:{i}" for p in sorted(runtime.rglob("*.py"))
                 if rewrites not in p.parents
                 for i, line in enumerate(p.read_text().splitlines(), 1)
                 if pattern.search(line)]
    assert offenders == []
