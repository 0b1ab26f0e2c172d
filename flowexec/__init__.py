"""flowexec: TensorFlow-1-style graphs, run in parallel on every device the machine has.

`import flowexec as tf` gives the TF1 graph-mode API: build a Graph of Operations and Tensors,
then evaluate it in a Session, which prunes, places and plans the graph once per distinct
(fetches, feeds, targets) and runs independent ops concurrently.

Example:
    >>> import flowexec as tf
    >>> a = tf.constant(2)
    >>> b = tf.constant(2)
    >>> with tf.Session() as sess:
    ...     print(sess.run(a + b))
    4
"""

from flowexec import (
    data,  # noqa: F401
    image,  # noqa: F401
    layers,  # noqa: F401
    nn,  # noqa: F401
    python_io,  # noqa: F401
    summary,  # noqa: F401
    timeline,  # noqa: F401
    train,  # noqa: F401
)
from flowexec.framework import errors, nest  # noqa: F401
from flowexec.framework.convert import (  # noqa: F401
    convert_to_tensor,
    register_tensor_conversion_function,
)
from flowexec.framework.dtypes import (  # noqa: F401
    DType,
    as_dtype,
    bool,
    complex64,
    complex128,
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    resource,
    string,
    uint8,
    uint16,
    uint32,
    uint64,
    variant,
)
from flowexec.framework.function import TensorSpec  # noqa: F401
from flowexec.framework.type_spec import (  # noqa: F401
    NoneTensorSpec,
    TensorArraySpec,
    TypeSpec,
    type_spec_from_value,
)
from flowexec.framework.graph import (  # noqa: F401
    Graph,
    GraphKeys,
    add_to_collection,
    add_to_collections,
    colocate_with,
    container,
    control_dependencies,
    device,
    get_collection,
    get_collection_ref,
    get_default_graph,
    name_scope,
    reset_default_graph,
)
from flowexec.framework.operation import Operation  # noqa: F401
from flowexec.framework.tensor import Tensor, is_tensor  # noqa: F401
from flowexec.framework.tensor_shape import Dimension, TensorShape  # noqa: F401
from flowexec.gradients import RegisterGradient, gradients  # noqa: F401
from flowexec.init_ops import *
from flowexec.ops.array_ops import *
from flowexec.ops.batch_gather import batch_gather  # noqa: F401
from flowexec.ops.check_ops import *
from flowexec.ops.clip_ops import *
from flowexec.ops.constant_op import (  # noqa: F401
    constant,
    group,
    identity,
    no_op,
    placeholder,
    placeholder_with_default,
    stop_gradient,
)
from flowexec.ops.constant_op import tuple_ as tuple  # noqa: F401
from flowexec.ops.data_flow_ops import (  # noqa: F401
    FIFOQueue,
    PaddingFIFOQueue,
    QueueBase,
    RandomShuffleQueue,
)
from flowexec.ops.accumulator_ops import (  # noqa: F401
    ConditionalAccumulator,
    ConditionalAccumulatorBase,
    SparseConditionalAccumulator,
)
from flowexec.ops.image_ops import depth_to_space, space_to_depth  # noqa: F401
from flowexec.ops.cond import case, cond  # noqa: F401
from flowexec.ops.critical_section_ops import CriticalSection  # noqa: F401
from flowexec.ops.while_loop import while_loop  # noqa: F401
from flowexec.ops.tensor_array_ops import TensorArray  # noqa: F401
from flowexec.ops.functional_ops import foldl, foldr, map_fn, scan  # noqa: F401
from flowexec.ops.io_ops import *
from flowexec.ops.linalg_ops import *
from flowexec.ops.logging_ops import *
from flowexec.ops.math_ops import *
from flowexec.ops.numerics_ops import *
from flowexec.ops.random_ops import *
from flowexec.ops.random_index_shuffle_ops import random_index_shuffle  # noqa: F401
from flowexec.ops.script_ops import *
from flowexec.ops.state_ops import *
from flowexec.runtime.config import ConfigProto, GPUOptions, RunMetadata, RunOptions  # noqa: F401
from flowexec.runtime.config import GraphOptions, OptimizerOptions, RewriterConfig  # noqa: F401
from flowexec.framework.default_session import get_default_session
from flowexec.runtime.session import InteractiveSession, Session
from flowexec.variable_scope import *
from flowexec.variables import *

# --- api-core (issue 15): TF 1.x namespaces, losses, metrics, division ops ---------------------
from flowexec import debugging, dtypes, linalg, losses, math, metrics, random  # noqa: F401,E402
from flowexec import distributions, feature_column, mixed_precision, profiler  # noqa: F401,E402
from flowexec.ops.confusion_matrix import confusion_matrix  # noqa: F401,E402
from flowexec.ops.edit_distance_op import edit_distance  # noqa: F401,E402
from flowexec.ops.composite_math_ops import (  # noqa: F401,E402
    accumulate_n,
    arg_max,
    arg_min,
    is_non_decreasing,
    is_strictly_increasing,
    log_sigmoid,
    saturate_cast,
)
from flowexec.ops.division_ops import div_no_nan, truncatediv, truncatemod  # noqa: F401,E402
from flowexec.ops.session_ops import (  # noqa: F401,E402
    delete_session_tensor,
    get_session_handle,
    get_session_tensor,
)
from flowexec.ops.linalg_decomp_ops import (  # noqa: F401,E402
    cholesky,
    cholesky_solve,
    matrix_determinant,
    matrix_inverse,
    matrix_solve,
    matrix_triangular_solve,
)
from flowexec.ops.matrix_ops import (  # noqa: F401,E402
    cross,
    eye,
    matrix_band_part,
    matrix_diag,
    matrix_diag_part,
    matrix_set_diag,
    matrix_transpose,
    trace,
)
from flowexec.ops.matrix_ops import tensor_diag as diag  # noqa: F401,E402
from flowexec.ops.matrix_ops import tensor_diag_part as diag_part  # noqa: F401,E402
from flowexec.ops.segment_ops import *  # noqa: F401,F403,E402
from flowexec.ops.sparse_ops import sparse_to_dense  # noqa: F401,E402
from flowexec.ops.trig_ops import *  # noqa: F401,F403,E402
# --- end api-core ---------------------------------------------------------------------------

# --- platform (issue 15): tf.app, tf.flags, tf.logging, tf.gfile, tf.io, tf.test, tf.compat ----
from flowexec.platform import app, compat, flags, gfile  # noqa: F401,E402
from flowexec.platform import io_namespace as io  # noqa: F401,E402
from flowexec.platform import testing as test  # noqa: F401,E402
from flowexec.platform import tf_logging as logging  # noqa: F401,E402
# --- end platform ---------------------------------------------------------------------------

# --- apinames (issue 15): special functions, complex numbers, FFTs, ... ----------------------
from flowexec import audio, bitwise, manip, signal, spectral  # noqa: F401,E402
from flowexec.ops.complex_ops import *  # noqa: F401,F403,E402
from flowexec.ops.image_ops import random_crop  # noqa: F401,E402
from flowexec.ops.manip_ops import *  # noqa: F401,F403,E402
from flowexec.ops.scatter_ops import *  # noqa: F401,F403,E402
from flowexec.ops.search_ops import *  # noqa: F401,F403,E402
from flowexec.ops.shape_util_ops import *  # noqa: F401,F403,E402
from flowexec.ops.sort_ops import approx_top_k, argsort, sort  # noqa: F401,E402
from flowexec.ops.linalg_extra_ops import (  # noqa: F401,E402
    matrix_solve_ls, matrix_square_root, qr, self_adjoint_eig, self_adjoint_eigvals, svd)
from flowexec.ops.random_extra_ops import random_gamma, random_poisson  # noqa: F401,E402
from flowexec.ops.string_ops import *  # noqa: F401,F403,E402
from flowexec import config, quantization  # noqa: F401,E402
from flowexec.framework.dtypes import (  # noqa: F401,E402
    QUANTIZED_DTYPES, qint8, qint16, qint32, quint8, quint16)
from flowexec.init_ops_extra import (  # noqa: F401,E402
    orthogonal_initializer, uniform_unit_scaling_initializer)
from flowexec.ops.fake_quant_ops import *  # noqa: F401,F403,E402
from flowexec.ops.priority_queue_ops import PriorityQueue  # noqa: F401,E402
from flowexec.ops.reader_ops import *  # noqa: F401,F403,E402
from flowexec import resource_loader, strings, version  # noqa: F401,E402
from flowexec.compat_api import *  # noqa: F401,F403,E402
from flowexec.gradient_tools import *  # noqa: F401,F403,E402
from flowexec.ops.patch_ops import *  # noqa: F401,F403,E402
from flowexec.ops.print_ops import print, timestamp  # noqa: F401,E402
from flowexec.ops.tensor_proto_ops import *  # noqa: F401,F403,E402
from flowexec.ops.script_ops import numpy_function  # noqa: F401,E402
from flowexec.py_function import py_function  # noqa: F401,E402
from flowexec.framework.errors import OpError  # noqa: F401,E402
from flowexec.platform.tf_logging import get_logger  # noqa: F401,E402
from flowexec.version import (  # noqa: F401,E402
    COMPILER_VERSION, CXX11_ABI_FLAG, CXX_VERSION, GIT_VERSION, GRAPH_DEF_VERSION,
    GRAPH_DEF_VERSION_MIN_CONSUMER, GRAPH_DEF_VERSION_MIN_PRODUCER, MONOLITHIC_BUILD, VERSION)

_SUMMARY_PROTO_NAMES = ("Event", "HistogramProto", "LogMessage", "SessionLog", "Summary",
                        "SummaryMetadata")
from flowexec.ops.special_ops import (  # noqa: F401,E402
    betainc, digamma, erf, erfc, igamma, igammac, lbeta, lgamma, polygamma, zeta)
from flowexec.ops.spectral_ops import fft, fft2d, fft3d, ifft, ifft2d, ifft3d  # noqa: F401,E402
from flowexec.ops.spectral_ops import fftnd, ifftnd, irfftnd, rfftnd  # noqa: F401,E402
# --- end apinames ---------------------------------------------------------------------------

# --- graph-io (issue 13): GraphDef/MetaGraphDef export and import, TF checkpoints ------------
from flowexec.graph_io import (  # noqa: F401,E402
    import_graph_def,
    make_ndarray,
    make_tensor_proto,
)
from flowexec import graph_util  # noqa: F401,E402
from flowexec.graph_io import protos as _graph_protos  # noqa: E402

_PROTO_NAMES = ("GraphDef", "NodeDef", "AttrValue", "NameAttrList", "TensorProto",
                "TensorShapeProto", "MetaGraphDef", "VersionDef", "TensorInfo")


def __getattr__(name):
    """TF's protobuf classes (tf.GraphDef, tf.NodeDef, ...), from the tensorboard package when
    first used (pip install flowexec[graph])."""
    if name in _PROTO_NAMES:
        return _graph_protos.proto_class(name)
    if name in _SUMMARY_PROTO_NAMES:  # tf.Event, tf.Summary, ... (apinames)
        return summary.protos.proto_class(name)
    raise AttributeError(f"module 'flowexec' has no attribute '{name}'")
# --- end graph-io ---------------------------------------------------------------------------

# --- distributed (issue 14): tf.contrib.training's device-setter strategies ----------------
from flowexec import contrib  # noqa: F401,E402
from devices.spec import DeviceSpec  # noqa: F401,E402
# --- end distributed ------------------------------------------------------------------------

# --- parsing (issue 15): hashing, partition/stitch, raw/CSV decoding, Example parsing -------
from flowexec.ops.decode_ops import *  # noqa: F401,F403,E402
from flowexec.ops.hash_ops import *  # noqa: F401,F403,E402
from flowexec.ops.partition_ops import dynamic_partition, dynamic_stitch  # noqa: F401,E402
from flowexec.ops.parsing_config import *  # noqa: F401,F403,E402
from flowexec.ops.example_parsing_ops import (  # noqa: F401,E402
    decode_json_example, parse_example, parse_single_example, parse_single_sequence_example)
# --- end parsing ----------------------------------------------------------------------------

__version__ = "0.1.0"

# --- apimisc (issue 15): partitioned variables, quantize ops, object checkpoints, ... -------
from flowexec.partitioned_variables import (  # noqa: F401,E402
    PartitionedVariable,
    create_partitioned_variables,
    fixed_size_partitioner,
    min_max_variable_partitioner,
    variable_axis_size_partitioner,
)
from flowexec.ops.quantize_ops import (  # noqa: F401,E402
    dequantize,
    quantize,
    quantize_v2,
    quantized_concat,
)
from flowexec.framework.dtypes import bfloat16  # noqa: F401,E402
# --- end apimisc ----------------------------------------------------------------------------

# --- sparse gradients (issue 15): IndexedSlices --------------------------------------------------
from flowexec.framework.indexed_slices import (  # noqa: F401,E402
    IndexedSlices,
    IndexedSlicesSpec,
    convert_to_tensor_or_indexed_slices,
)
from flowexec.ops import indexed_slices_ops as _indexed_slices_ops  # noqa: F401,E402

# --- sparse (issue 15): SparseTensor and the sparse ops --------------------------------------
from flowexec.framework.sparse_tensor import (  # noqa: F401,E402
    SparseTensor,
    SparseTensorSpec,
    SparseTensorValue,
    convert_to_tensor_or_sparse_tensor,
)
from flowexec.ops.sparse_ops import (  # noqa: F401,E402
    sparse_merge,
    sparse_placeholder,
    sparse_reorder,
    sparse_tensor_to_dense,
    sparse_to_indicator,
)
from flowexec.ops.sparse_math_ops import (  # noqa: F401,E402
    sparse_add,
    sparse_mask,
    sparse_matmul,
    sparse_maximum,
    sparse_minimum,
    sparse_reduce_max,
    sparse_reduce_max_sparse,
    sparse_reduce_sum,
    sparse_reduce_sum_sparse,
    sparse_softmax,
    sparse_tensor_dense_matmul,
)
from flowexec.ops.sparse_segment_ops import (  # noqa: F401,E402
    sparse_segment_mean,
    sparse_segment_sqrt_n,
    sparse_segment_sum,
)
from flowexec.ops.sparse_serialize_ops import (  # noqa: F401,E402
    deserialize_many_sparse,
    serialize_many_sparse,
    serialize_sparse,
)
from flowexec.ops.string_split_ops import string_split  # noqa: F401,E402
from flowexec.ops.sparse_structure_ops import (  # noqa: F401,E402
    sparse_concat,
    sparse_fill_empty_rows,
    sparse_reset_shape,
    sparse_reshape,
    sparse_retain,
    sparse_slice,
    sparse_split,
    sparse_transpose,
)
from flowexec import sparse  # noqa: F401,E402
# --- end sparse -----------------------------------------------------------------------------

# --- nnconv (issue 15): generic Conv op, conv2d backprop v2 ops ------------------------------
from flowexec.ops.conv_generic_ops import *  # noqa: F401,F403,E402
# --- end nnconv -----------------------------------------------------------------------------

# --- lookup tables and the tf.queue namespace (issue 15) -----------------------------------
from flowexec import lookup, queue, sets  # noqa: F401,E402
from flowexec.ops import lookup_ops as _lookup_ops  # noqa: F401,E402  (registers the ops)
# --- end lookup -----------------------------------------------------------------------------

# --- saved_model (issue 15): TF 1.x SavedModels (builder, loader, signatures) ---------------
from flowexec import saved_model  # noqa: F401,E402
# --- end saved_model ------------------------------------------------------------------------
