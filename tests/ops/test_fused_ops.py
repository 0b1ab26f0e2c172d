"""_FusedElementwise and _FusedMatMul: numpy oracles, bit-exactness against the ops they fuse,
block layouts, errors naming the fused user op, and the generated CUDA source (compiled as
host C++ with g++ when one is installed, and compared with numpy)."""

import shutil
import subprocess
from typing import ClassVar

import numpy as np
import pytest

import flowexec as tf
from flowexec.framework import registry
from flowexec.framework.errors import InvalidArgumentError
from flowexec.ops import fused_ops
from flowexec.ops.fused_ops import FusedStep as S
from tests.ops.harness import OpCase, check_forward

F32 = "float32"


def _fused(expr, outputs):
    def build(*xs):
        return registry.apply_op("_FusedElementwise", *xs, name="fused", expr=expr,
                                 outputs=outputs)
    return build


GELU = (S("Mul", (0, 0), F32, "sq"), S("Mul", (3, 0), F32, "cube"),
        S("Tanh", (4,), F32, "t"), S("Add", (5, 1), F32, "shift"),
        S("Mul", (6, 2), F32, "scale"))

CASES = [
    OpCase("fused_chain_f32", _fused(GELU, (7,)),
           lambda x, a, b: (np.tanh(x * x * x) + a) * b,
           lambda rng: [rng.standard_normal((3, 4)).astype(np.float32),
                        np.float32(0.5), np.float32(2.0)], grad=False),
    OpCase("fused_two_outputs_broadcast",
           _fused((S("Add", (0, 1), F32, "a"), S("Relu", (2,), F32, "r")), (3, 2)),
           lambda x, y: (np.maximum(x + y, 0), x + y),
           lambda rng: [rng.standard_normal((2, 1, 3)).astype(np.float32),
                        rng.standard_normal((4, 1)).astype(np.float32)], grad=False),
    OpCase("fused_matmul_bias_relu",
           lambda a, b, c: registry.apply_op("_FusedMatMul", a, b, c, name="fmm", transpose_a=False,
                                             transpose_b=True, fused_ops=("BiasAdd", "Relu")),
           lambda a, b, c: np.maximum(a @ b.T + c, 0),
           lambda rng: [rng.standard_normal((3, 4)).astype(np.float32),
                        rng.standard_normal((5, 4)).astype(np.float32),
                        rng.standard_normal(5).astype(np.float32)], grad=False, atol=1e-5),
    OpCase("fused_matmul_bias",
           lambda a, b, c: registry.apply_op("_FusedMatMul", a, b, c, name="fmm",
                                             fused_ops=("BiasAdd",)),
           lambda a, b, c: a @ b + c,
           lambda rng: [rng.standard_normal((3, 4)), rng.standard_normal((4, 2)),
                        rng.standard_normal(2)], grad=False, atol=1e-12),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_forward_matches_numpy(case):
    check_forward(case)


def _flagged():
    return sorted(n for n, od in registry.registered_ops().items() if od.elementwise)


def _inputs_for(op_type, rng, shape):
    n = len(registry.get_op_def(op_type).input_names)
    xs = [rng.uniform(0.2, 3.0, shape).astype(np.float32) for _ in range(n)]
    if op_type == "ClipByValue":
        xs[1], xs[2] = np.array(0.5, np.float32), np.array(1.5, np.float32)
    return xs


@pytest.mark.parametrize("op_type", _flagged())
@pytest.mark.parametrize("shape", [(7,), (300, 1000)], ids=["one_block", "blocked"])
def test_each_flagged_op_is_bit_identical_to_its_kernel(op_type, shape):
    rng = np.random.default_rng(1)
    xs = _inputs_for(op_type, rng, shape)
    xs[0][..., :3] = [np.nan, -0.0, np.inf][:xs[0].shape[-1]]
    expr = (S(op_type, tuple(range(len(xs))), F32, "op"),
            S("Neg", (len(xs),), F32, "neg"))
    od = registry.get_op_def(op_type)
    with np.errstate(all="ignore"):
        want = od.kernel(np, *xs)
        got = fused_ops._fused_elementwise.kernel(np, *xs, expr=expr,
                                                  outputs=(len(xs) + 1, len(xs)))
    np.testing.assert_array_equal(got[1], want)
    np.testing.assert_array_equal(got[0], -want)
    assert got[0].dtype == want.dtype and got[0].shape == want.shape


def test_blocked_gelu_is_bit_identical_and_reuses_two_buffers():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(1 << 20).astype(np.float32)
    a, b = np.array(0.5, np.float32), np.array(2.0, np.float32)
    got = fused_ops._fused_elementwise.kernel(np, x, a, b, expr=GELU, outputs=(7, 5))
    t = np.tanh(x * x * x)
    np.testing.assert_array_equal(got[0], (t + a) * b)
    np.testing.assert_array_equal(got[1], t)
    (layout,) = fused_ops._cpu_program(GELU, (7, 5), 3)._layouts.values()
    assert layout.flat and layout.block == fused_ops.BLOCK_BYTES // 4
    assert len(layout.pool_keys) == 1  # sq -> cube in place; t, scale are outputs
    assert layout.buffer_of == {3: 0, 4: 0, 6: 0}


def test_broadcast_along_inner_axes_cuts_rows():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((600, 1, 300)).astype(np.float32)
    y = rng.standard_normal((1, 5, 1)).astype(np.float32)
    expr = (S("Add", (0, 1), F32, "a"), S("Tanh", (2,), F32, "t"), S("Mul", (3, 0), F32, "m"))
    got = fused_ops._fused_elementwise.kernel(np, x, y, expr=expr, outputs=(4, 3))
    np.testing.assert_array_equal(got[0], np.tanh(x + y) * x)
    np.testing.assert_array_equal(got[1], np.tanh(x + y))
    (layout,) = fused_ops._cpu_program(expr, (4, 3), 2)._layouts.values()
    assert not layout.flat and layout.rows == 600 and layout.block < 600


def test_outputs_keep_their_own_shapes():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((512, 256)).astype(np.float32)
    s = np.array([[2.0]], np.float32)
    expr = (S("Mul", (1, 1), F32, "s2"), S("Mul", (0, 2), F32, "xs"))
    got = fused_ops._fused_elementwise.kernel(np, x, s, expr=expr, outputs=(3, 2))
    np.testing.assert_array_equal(got[0], x * (s * s))
    assert got[1].shape == (1, 1) and got[1][0, 0] == 4.0


def test_incompatible_shapes_name_the_fused_user_op():
    expr = (S("Tanh", (0,), F32, "first"), S("Add", (2, 1), F32, "user_add"))
    x = np.ones((3, 4), np.float32)
    with pytest.raises(InvalidArgumentError, match="in Add op 'user_add', fused"):
        fused_ops._fused_elementwise.kernel(np, x, np.ones(5, np.float32), expr=expr,
                                            outputs=(3,))


def test_fused_ops_refuse_gradients():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2])
        y = registry.apply_op("_FusedElementwise", x, name="fused", expr=(S("Tanh", (0,), F32, "t"),),
                              outputs=(1,))
        with pytest.raises(LookupError, match="after gradients are built"):
            tf.gradients(y, x)


def test_cuda_source_text():
    in_params, out_params, operation, name = fused_ops.cuda_kernel_source(
        GELU, (7, 5), ("float32", "float32", "float32"))
    assert in_params == "float32 in0, float32 in1, float32 in2"
    assert out_params == "float32 out0, float32 out1"
    assert operation.split("\n") == [
        "const float v0 = in0 * in0;  // Mul sq",
        "const float v1 = v0 * in0;  // Mul cube",
        "const float v2 = tanh(v1);  // Tanh t",
        "const float v3 = v2 + in1;  // Add shift",
        "const float v4 = v3 * in2;  // Mul scale",
        "out0 = v4;",
        "out1 = v2;"]
    assert name == "flowexec_fused_mul_mul_tanh_add_mul"
    assert fused_ops.cuda_kernel_source(GELU, (7,), ("float16",) * 3) is None


_HOST_PROGRAM = """#include <cmath>
#include <cstdio>
#define __device__
using std::tanh; using std::exp; using std::log; using std::log1p; using std::sqrt;
using std::sin; using std::cos; using std::floor; using std::ceil;
{preamble}
static const float data[{n}] = {{{data}}};
{functions}
int main() {{
{calls}}}
"""

_HOST_FUNCTION = """
static void op_{k}() {{
  std::printf("#\\n");
  for (int i = 0; i < {n}; ++i) {{
    const float in0 = data[i], in1 = 0.75f, in2 = 1.25f;
    float out0;
    {operation}
    std::printf("%.9g\\n", out0);
  }}
}}
"""


@pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++ to compile the CUDA body")
def test_cuda_templates_compute_numpy_values(tmp_path):
    """Every flagged op's CUDA template, compiled as host C++ (the same C++ math functions
    and the fused kernel's preamble), agrees with the op's kernel on numpy."""
    rng = np.random.default_rng(4)
    data = np.concatenate([rng.uniform(0.1, 3.0, 12), [np.nan, 0.5, 2.0]]).astype(np.float32)
    ops = _flagged()
    functions = []
    for k, op_type in enumerate(ops):
        n = len(registry.get_op_def(op_type).input_names)
        expr = (S(op_type, tuple(range(n)), F32, "op"),)
        _, _, operation, _ = fused_ops.cuda_kernel_source(expr, (n,), (F32,) * n)
        functions.append(_HOST_FUNCTION.format(k=k, n=len(data),
                                               operation=operation.replace("\n", "\n    ")))
    literals = ", ".join("NAN" if np.isnan(v) else repr(float(v)) for v in data)
    calls = "".join(f"  op_{k}();\n" for k in range(len(ops)))
    cpp = tmp_path / "fused.cpp"
    cpp.write_text(_HOST_PROGRAM.format(preamble=fused_ops.CUDA_PREAMBLE, n=len(data),
                                        data=literals, functions="".join(functions),
                                        calls=calls))
    exe = tmp_path / "fused"
    subprocess.run(["g++", "-O1", "-o", str(exe), str(cpp)], check=True, capture_output=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    for op_type, block in zip(ops, out.split("#")[1:]):
        got = np.array([float(v) for v in block.split()], np.float32)
        n = len(registry.get_op_def(op_type).input_names)
        xs = [data, np.float32(0.75), np.float32(1.25)][:n]
        with np.errstate(all="ignore"):
            want = np.asarray(registry.get_op_def(op_type).kernel(np, *xs))
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-7, equal_nan=True,
                                   err_msg=op_type)


class _FakeElementwiseKernel:
    """A stand-in for `cupy.ElementwiseKernel` that runs the generated body with numpy:
    each `const T vJ = expr;` line is evaluated as Python (our templates use operators,
    C math functions, `fe_max`/`fe_min` and `(T)literal` casts), outputs assigned last."""

    built: ClassVar[list] = []

    def __init__(self, in_params, out_params, operation, name, preamble=""):
        assert "fe_max" in preamble and name.isidentifier()
        self.ins = [p.split() for p in in_params.split(", ")]
        self.outs = [p.split() for p in out_params.split(", ")]
        self.operation = operation
        _FakeElementwiseKernel.built.append(self)

    def __call__(self, *args):
        import re
        env = {"tanh": np.tanh, "exp": np.exp, "log": np.log, "sqrt": np.sqrt,
               "fe_max": np.maximum, "fe_min": np.minimum}
        for (dtype, name), a in zip(self.ins, args):
            assert a.dtype == np.dtype(dtype)
            env[name] = a
        ctypes = {"float": "np.float32", "double": "np.float64"}
        for line in self.operation.split("\n"):
            target, expr = line.split("//")[0].rstrip(" ;").split(" = ")
            expr = re.sub(r"\((float|double)\)(\d+)", lambda m: f"{ctypes[m[1]]}({m[2]})", expr)
            env[target.split()[-1]] = eval(expr, {"np": np}, env)
        shape = np.broadcast_shapes(*[np.shape(a) for a in args])
        outs = tuple(np.broadcast_to(np.asarray(env[name], dtype), shape).copy()
                     for dtype, name in self.outs)
        return outs if len(outs) > 1 else outs[0]


class _FakeCupy:
    ElementwiseKernel = _FakeElementwiseKernel

    def __getattr__(self, name):
        return getattr(np, name)


def test_gpu_kernel_is_generated_once_per_dtype_signature_and_cut_to_true_shapes():
    gpu = registry.get_op_def("_FusedElementwise").kernel_for("GPU")
    xp = _FakeCupy()
    _FakeElementwiseKernel.built.clear()
    fused_ops._GPU_KERNELS.clear()
    expr = (S("Mul", (1, 1), F32, "s2"), S("Add", (0, 2), F32, "a"),
            S("Sigmoid", (3,), F32, "sig"))
    x = np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4)
    s = np.array([[0.5]], np.float32)
    for _ in range(2):
        out, s2 = gpu(xp, x, s, expr=expr, outputs=(4, 2))
    assert len(_FakeElementwiseKernel.built) == 1  # cached
    np.testing.assert_allclose(out, 1 / (1 + np.exp(-(x + s * s))), rtol=1e-6)
    assert s2.shape == (1, 1) and s2[0, 0] == 0.25  # cut back from the broadcast shape
    expr64 = tuple(S(t.type, t.args, "float64", t.name) for t in expr)
    gpu(xp, x.astype(np.float64), s.astype(np.float64), expr=expr64, outputs=(4,))
    assert len(_FakeElementwiseKernel.built) == 2
    assert _FakeElementwiseKernel.built[1].ins == [["float64", "in0"], ["float64", "in1"]]
    total = gpu(xp, x, s, expr=expr, outputs=(4, 2), reduce="sum")[0]
    np.testing.assert_allclose(total, out.sum(), rtol=1e-6)
    half = tuple(S(t.type, t.args, "float16", t.name) for t in expr)
    got = gpu(xp, x.astype(np.float16), s.astype(np.float16), expr=half, outputs=(4,))
    assert got.dtype == np.float16 and len(_FakeElementwiseKernel.built) == 2  # own kernels


def test_non_contiguous_and_broadcast_inputs_in_the_blocked_path():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((700, 400)).astype(np.float32).T  # a transposed view
    y = rng.standard_normal((400, 1)).astype(np.float32)
    expr = (S("Sub", (0, 1), F32, "d"), S("Exp", (2,), F32, "e"))
    got = fused_ops._fused_elementwise.kernel(np, x, y, expr=expr, outputs=(3,))
    np.testing.assert_array_equal(got, np.exp(x - y))
    got = fused_ops._fused_elementwise.kernel(np, x, np.float32(2.0), expr=expr, outputs=(3,))
    np.testing.assert_array_equal(got, np.exp(x - np.float32(2.0)))
