"""The flops of the standard ops, registered with `RegisterStatistics(op_type, "flops")`.

TensorFlow's rules, op for op (TF's `python/profiler/internal/flops_registry.py` and the
Conv2D / DepthwiseConv2dNative / BiasAdd / Conv3D / Dilation2D rules of `nn_ops.py`):

- unary ops: one flop per input element (Rsqrt 2, Softmax 5; L2Loss 3N - 1);
- binary elementwise ops and comparisons: one per output element (SquaredDifference 2,
  RsqrtGrad 4);
- reductions: in - out elements (Sum, ArgMax, ArgMin, BiasAddGrad), Mean in elements;
- MatMul and BatchMatMul: 2 * K * output elements (K read from input 0 and its
  `transpose_a` attribute, as TF does, also for BatchMatMulV2 whose attribute is `adj_x`);
- Conv2D: 2 * output elements * kh * kw * in depth; depthwise: 2 * out * kh * kw;
  backprop input / filter: 2 * image elements * filter elements / (in depth * strides);
- pooling: kernel area * output elements (grads as TF counts them); NHWC only;
- AddN: (n - 1) * elements; BiasAdd: input elements.

An op with no rule has no flops (the profiler counts 0). A rule raises ValueError when a shape
it needs is not fully known; the profiler then skips the op and says how many it skipped.
Importing this module registers the rules (flowexec.profiler imports it).
"""

import numpy as np

from flowexec.framework.ops_stats import OpStats, RegisterStatistics
from flowexec.framework.ops_stats import tensor_shape_from_node_def_name as _shape

IMPLEMENTED_OPS = set([
    # Unary ops
    "Reciprocal", "Square", "Rsqrt", "Log", "Neg", "AssignSub", "AssignAdd",
    "L2Loss", "Softmax",
    # Binary ops
    "Add", "Sub", "Mul", "RealDiv", "Maximum", "Minimum", "Pow", "RsqrtGrad",
    "GreaterEqual", "Greater", "LessEqual", "Less", "Equal", "NotEqual",
    "SquaredDifference", "AddV2",
    # Reduction ops
    "Mean", "Sum", "ArgMax", "ArgMin", "BiasAddGrad",
    # Convolution and pooling
    "AvgPool", "MaxPool", "AvgPoolGrad", "MaxPoolGrad", "Conv2DBackpropInput",
    "Conv2DBackpropFilter",
    # Other ops
    "AddN", "MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3",
    "Conv2D", "Conv3D", "DepthwiseConv2dNative", "BiasAdd", "Dilation2D",
])


def _known(graph, name):
    shape = _shape(graph, name)
    shape.assert_is_fully_defined()
    return shape


def _attr(node, name, default=None):
    value = node.attr.get(name, default)
    return value.decode() if isinstance(value, bytes) else value


def _register(*op_types):
    def wrap(fn):
        for t in op_types:
            RegisterStatistics(t, "flops")(fn)
        return fn
    return wrap


# unary -----------------------------------------------------------------------------------
def _unary(graph, node, per_element=1):
    return OpStats("flops", _known(graph, node.input[0]).num_elements() * per_element)


@_register("Reciprocal", "Square", "Log", "Neg", "AssignSub", "AssignAdd")
def _unary_flops(graph, node):
    """One flop per input element."""
    return _unary(graph, node)


@_register("Rsqrt")
def _rsqrt_flops(graph, node):
    """1 / sqrt(x): two flops per element."""
    return _unary(graph, node, 2)


@_register("Softmax")
def _softmax_flops(graph, node):
    """Shift (2), exp (1) and normalize (2): five flops per element."""
    return _unary(graph, node, 5)


@_register("L2Loss")
def _l2_loss_flops(graph, node):
    """TF's implementation: 3 * N - 1."""
    return OpStats("flops", _known(graph, node.input[0]).num_elements() * 3 - 1)


# binary ----------------------------------------------------------------------------------
def _binary(graph, node, per_element=1):
    return OpStats("flops", _known(graph, node.name).num_elements() * per_element)


@_register("Add", "AddV2", "Sub", "Mul", "RealDiv", "Maximum", "Minimum", "Pow",
           "GreaterEqual", "Greater", "LessEqual", "Less", "Equal", "NotEqual")
def _binary_flops(graph, node):
    """One flop per output element."""
    return _binary(graph, node)


@_register("SquaredDifference")
def _squared_difference_flops(graph, node):
    """Two flops per output element."""
    return _binary(graph, node, 2)


@_register("RsqrtGrad")
def _rsqrt_grad_flops(graph, node):
    """Four flops per output element."""
    return _binary(graph, node, 4)


# reductions ------------------------------------------------------------------------------
def _reduction(graph, node, reduce_flops=1, finalize_flops=0):
    n_in = _known(graph, node.input[0]).num_elements()
    n_out = _known(graph, node.name).num_elements()
    return OpStats("flops", n_in * reduce_flops + n_out * (finalize_flops - reduce_flops))


@_register("Mean")
def _mean_flops(graph, node):
    """Sum, then one division per output element."""
    return _reduction(graph, node, 1, 1)


@_register("Sum", "ArgMax", "ArgMin", "BiasAddGrad")
def _sum_flops(graph, node):
    """One flop per input element less one per output element."""
    return _reduction(graph, node, 1, 0)


# convolution and pooling (NHWC only, as TF) ----------------------------------------------
def _verify_nhwc(node):
    if _attr(node, "data_format", "NHWC") != "NHWC":
        raise ValueError("Only NHWC format is supported in flops computations")


def _area(values):
    out = 1
    for v in values:
        out *= int(v)
    return out


@_register("AvgPool", "MaxPool")
def _pool_flops(graph, node):
    """Kernel area per output element."""
    _verify_nhwc(node)
    out = _known(graph, node.name)
    return OpStats("flops", _area(_attr(node, "ksize")) * out.num_elements())


@_register("AvgPoolGrad")
def _avg_pool_grad_flops(graph, node):
    """Two flops per window element of each output gradient element."""
    _verify_nhwc(node)
    grad = _known(graph, node.input[1])
    return OpStats("flops", _area(_attr(node, "ksize")) * grad.num_elements() * 2)


@_register("MaxPoolGrad")
def _max_pool_grad_flops(graph, node):
    """The max pool again, plus one flop per element of its output."""
    _verify_nhwc(node)
    orig_out = _known(graph, node.input[1]).num_elements()
    return OpStats("flops", _area(_attr(node, "ksize")) * orig_out + orig_out)


def _strides_product(node):
    strides = list(_attr(node, "strides"))
    return strides[1] * strides[2]


@_register("Conv2DBackpropInput")
def _conv2d_backprop_input_flops(graph, node):
    """2 * image elements * filter elements / (in depth * strides)."""
    _verify_nhwc(node)
    out = _known(graph, node.name)
    kernel = _known(graph, node.input[1])
    return OpStats("flops", 2 * out.num_elements() * kernel.num_elements()
                   / (out.as_list()[-1] * _strides_product(node)))


@_register("Conv2DBackpropFilter")
def _conv2d_backprop_filter_flops(graph, node):
    """2 * image elements * filter elements / (in depth * strides)."""
    _verify_nhwc(node)
    image = _known(graph, node.input[0])
    kernel = _known(graph, node.name)
    return OpStats("flops", 2 * image.num_elements() * kernel.num_elements()
                   / (image.as_list()[-1] * _strides_product(node)))


def _conv_parts(graph, node):
    _known(graph, node.input[0])
    filt = _known(graph, node.input[1]).as_list()
    out = int(np.prod(_known(graph, node.name).as_list(), dtype=np.int64))
    return filt, out


@_register("Conv2D")
def _conv2d_flops(graph, node):
    """2 * output elements * kh * kw * in depth."""
    filt, out = _conv_parts(graph, node)
    return OpStats("flops", out * filt[2] * filt[0] * filt[1] * 2)


@_register("Conv3D")
def _conv3d_flops(graph, node):
    """2 * output elements * kt * kh * kw * in depth."""
    filt, out = _conv_parts(graph, node)
    return OpStats("flops", out * filt[3] * filt[0] * filt[1] * filt[2] * 2)


@_register("DepthwiseConv2dNative", "Dilation2D")
def _depthwise_conv_flops(graph, node):
    """2 * output elements * kh * kw."""
    filt, out = _conv_parts(graph, node)
    return OpStats("flops", out * filt[0] * filt[1] * 2)


# other -----------------------------------------------------------------------------------
@_register("BiasAdd")
def _bias_add_flops(graph, node):
    """One flop per input element."""
    return OpStats("flops", int(np.prod(_known(graph, node.input[0]).as_list())))


@_register("AddN")
def _add_n_flops(graph, node):
    """(n - 1) flops per element."""
    inputs = [i for i in node.input if not i.startswith("^")]
    if not inputs:
        return OpStats("flops", 0)
    return OpStats("flops", _known(graph, inputs[0]).num_elements() * (len(inputs) - 1))


@_register("MatMul")
def _matmul_flops(graph, node):
    """2 * K * output elements."""
    a = _known(graph, node.input[0]).as_list()
    k = a[0] if _attr(node, "transpose_a", False) else a[1]
    out = int(np.prod(_known(graph, node.name).as_list()))
    return OpStats("flops", k * out * 2)


@_register("BatchMatMul", "BatchMatMulV2", "BatchMatMulV3")
def _batch_matmul_flops(graph, node):
    """2 * K * output elements (K from `transpose_a`, which only BatchMatMul has, as TF)."""
    a = _known(graph, node.input[0]).as_list()
    k = a[-2] if _attr(node, "transpose_a", False) else a[-1]
    out = int(np.prod(_known(graph, node.name).as_list()))
    return OpStats("flops", k * out * 2)
