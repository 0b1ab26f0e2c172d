"""What the runtime knows about an op comes from its defop flags; build-time constant values
are computed by the op's own kernel (OpDef.evaluate)."""

import itertools
import pathlib
import re

import numpy as np
import pytest

import flowexec as tf
from flowexec.framework import registry
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


# ----- ScalarCode: a generated loop's inline expression is the kernel, bit for bit ------------
def _scalar_battery(dt, rng):
    """Special and random 0-d values of numpy type `dt` (a few as 0-d arrays)."""
    if dt is np.bool_:
        vals = [np.True_, np.False_]
    elif np.dtype(dt).kind == "f":
        bits = np.dtype(f"u{np.dtype(dt).itemsize}")
        randoms = rng.integers(0, np.iinfo(bits).max, 40, dtype=bits, endpoint=True).view(dt)
        special = np.array([0.0, -0.0, 1.0, -1.5, 2.5, 0.1, np.inf, -np.inf, np.nan, -np.nan,
                            1e300, -1e300, 3.4028235e38, 3.40282357e38, 1e-45, 7e-46, 1e-310,
                            65504, 65520, 6e-8, 2**31, 2**53 + 2.0, 1e20], np.float64)
        with np.errstate(all="ignore"):
            vals = list(special.astype(dt)) + list(randoms)
    else:
        info = np.iinfo(dt)
        randoms = rng.integers(info.min, info.max, 20, dtype=dt, endpoint=True)
        edges = [info.min, info.max, 0, 1, 2, 7, info.max - 1, info.min + 1]
        if info.bits == 64:  # rounds differently to float32 directly and through a double
            edges.append(2**60 + 2**36 + 1)
        vals = [dt(v) for v in edges] + list(randoms)
    return vals + [np.array(vals[-1])]


def _same(got, want):
    return type(got) is type(want) and np.asarray(got).tobytes() == np.asarray(want).tobytes()


def _accepts(name, n_in, dtype, kwargs):
    """Whether op `name` takes `n_in` inputs of `dtype` (its inference says so)."""
    with tf.Graph().as_default():
        xs = [tf.placeholder(dtype, []) for _ in range(n_in)]
        try:
            registry.apply_op(name, *xs, **kwargs)
        except (TypeError, ValueError):
            return False
    return True


def test_each_scalar_code_is_its_kernel_on_0d_values_of_every_dtype():
    from flowexec.runtime.codegen import _SCALAR_DTYPES

    rng = np.random.default_rng(3)
    types = sorted(_SCALAR_DTYPES, key=lambda d: d.name)
    flagged = {n: od for n, od in registered_ops().items() if od.scalar is not None}
    assert {"Add", "Mul", "Less", "Cast", "Identity"} <= set(flagged)
    checked = set()
    for name, od in sorted(flagged.items()):
        n_in = len(od.input_names)
        attrs = [{"DstT": d} for d in types] if "DstT" in od.kernel_attrs else [{}]
        for dtype, kwargs in itertools.product(types, attrs):
            if not _accepts(name, n_in, dtype, kwargs):
                continue
            code = od.scalar.code(kwargs, [dtype] * n_in)
            if code is None:
                continue
            expr, names = code
            source = expr.format(*(f"x[{k}]" for k in range(n_in)),
                                 **{k: f"_n_{k}" for k in names})
            fn = eval(f"lambda *x: {source}", {f"_n_{k}": v for k, v in names.items()})
            vals = _scalar_battery(dtype.np.type, rng)
            if n_in == 1:
                cases = [(v,) for v in vals]
            else:
                small = vals[:12] + vals[-3:]
                cases = [(a, b) for a in small for b in small]
            for xs in cases:
                with np.errstate(all="ignore"):
                    want, got = od.kernel(np, *xs, **kwargs), fn(*xs)
                if od.scalar.forwards:  # the input itself, a 0-d array staying one
                    assert got is xs[0]
                if isinstance(want, np.ndarray):  # 0-d
                    want, got = want[()], np.asarray(got)[()]
                assert _same(got, want), (name, kwargs, xs, got, want)
            checked.add((name, dtype))
    assert ("Cast", tf.int32) in checked and ("LogicalAnd", tf.bool) in checked
    assert ("RealDiv", tf.float16) in checked and ("Sub", tf.bool) not in checked
