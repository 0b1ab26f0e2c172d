"""The optimizer's switches, with TF's names: RewriterConfig, OptimizerOptions, GraphOptions.

Plain dataclasses with the fields and enum values of TF's protobufs (`rewriter_config.proto`,
`config.proto`), so TF1 code that builds them with keyword arguments, or sets fields
afterwards, works unchanged:

    config = tf.ConfigProto(graph_options=tf.GraphOptions(
        rewrite_options=tf.RewriterConfig(constant_folding=tf.RewriterConfig.OFF),
        optimizer_options=tf.OptimizerOptions(opt_level=tf.OptimizerOptions.L0)))

What each switch does in flowexec (as in TF, DEFAULT means on for the passes flowexec has):

* `RewriterConfig` (Grappler's switches): `common_subgraph_elimination` (runs only when
  `arithmetic_optimization` is not OFF either, as in TF), `constant_folding`,
  `arithmetic_optimization`, `remapping` (MatMul+BiasAdd(+Relu) and elementwise fusion),
  `dependency_optimization`; `disable_meta_optimizer` turns all of them off;
  `meta_optimizer_iterations` (ONE, TWO; DEFAULT = TWO); `min_graph_nodes` (graphs with
  fewer nodes are not optimized; 0 = TF's default of 4, negative = never skip);
  `optimizers` (names, e.g. ["constfold", "arithmetic"]: exactly these, in this order).
  Fields for passes flowexec does not have (layout, loop, memory, ...) are accepted and
  change nothing, as on a TF build without those devices.
* `OptimizerOptions` (TF's classic graph optimizer): at `opt_level=L1` (the default) common
  subexpression elimination and constant folding are on; at `L0` they are on only when
  `do_common_subexpression_elimination` / `do_constant_folding` ask for them. As in TF the
  two optimizers are separate: a pass runs when either one asks for it, so turning constant
  folding off takes `RewriterConfig(constant_folding=OFF)` and `opt_level=L0` together.
  `max_folded_constant_in_bytes` caps a folded constant (0 = TF's 10 MiB).
"""

import dataclasses

DEFAULT_MIN_GRAPH_NODES = 4        # TF's kDefaultMinGraphNodes
DEFAULT_MAX_CONSTANT_BYTES = 10 * 1024 * 1024  # TF's kMaxConstantSize


@dataclasses.dataclass
class AutoParallelOptions:
    """`tf.AutoParallelOptions` (accepted; flowexec has no auto-parallel rewrite)."""

    enable: bool = False
    num_replicas: int = 0


@dataclasses.dataclass
class ScopedAllocatorOptions:
    """`ScopedAllocatorOptions` (accepted; flowexec has no scoped allocator)."""

    enable_op: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class RewriterConfig:
    """`tf.RewriterConfig`: which graph rewrites (Grappler's) run on each plan.

    Toggles take DEFAULT (0), ON (1), OFF (2) or AGGRESSIVE (3); every value but OFF runs the
    pass. See the module docstring for what each switch covers.
    """

    # Toggle
    DEFAULT = 0
    ON = 1
    OFF = 2
    AGGRESSIVE = 3
    EXPERIMENTAL_MLIR = 4
    EXPERIMENTAL_BOTH = 5
    # CpuLayout
    NO_CONVERSION_ON_CPU = 0
    NCHW_TO_NHWC = 1
    NHWC_TO_NCHW = 2
    # NumIterationsType
    DEFAULT_NUM_ITERS = 0
    ONE = 1
    TWO = 2
    # MemOptType
    DEFAULT_MEM_OPT = 0
    NO_MEM_OPT = 1
    MANUAL = 2
    HEURISTICS = 3
    SWAPPING_HEURISTICS = 4
    RECOMPUTATION_HEURISTICS = 5
    SCHEDULING_HEURISTICS = 6

    cpu_layout_conversion: int = 0
    layout_optimizer: int = 0
    constant_folding: int = 0
    shape_optimization: int = 0
    remapping: int = 0
    common_subgraph_elimination: int = 0
    arithmetic_optimization: int = 0
    dependency_optimization: int = 0
    loop_optimization: int = 0
    function_optimization: int = 0
    debug_stripper: int = 0
    disable_model_pruning: bool = False
    scoped_allocator_optimization: int = 0
    pin_to_host_optimization: int = 0
    implementation_selector: int = 0
    auto_mixed_precision: int = 0
    auto_mixed_precision_mkl: int = 0
    auto_mixed_precision_onednn_bfloat16: int = 0
    auto_mixed_precision_cpu: int = 0
    disable_meta_optimizer: bool = False
    disable_tfg_optimizer: bool = False
    use_plugin_optimizers: int = 0
    experimental_conditional_code_motion: int = 0
    meta_optimizer_iterations: int = 0
    min_graph_nodes: int = 0
    experimental_disable_compressed_tensor_optimization: bool = False
    experimental_disable_folding_quantization_emulation: bool = False
    memory_optimization: int = 0
    memory_optimizer_target_node_name_scope: str = ""
    meta_optimizer_timeout_ms: int = 0
    auto_parallel: AutoParallelOptions = dataclasses.field(default_factory=AutoParallelOptions)
    fail_on_optimizer_errors: bool = False
    scoped_allocator_opts: ScopedAllocatorOptions = dataclasses.field(
        default_factory=ScopedAllocatorOptions)
    optimizers: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class OptimizerOptions:
    """`tf.OptimizerOptions`: TF's classic graph optimizer (CSE and constant folding).

    Attributes:
        opt_level: L1 (0, default): CSE and constant folding on; L0 (-1): only what the
            two `do_*` fields ask for.
        do_common_subexpression_elimination, do_constant_folding: at L0, turn one on.
        max_folded_constant_in_bytes: the largest constant folding may create (0 = 10 MiB).
        do_function_inlining, global_jit_level, cpu_global_jit: accepted (flowexec inlines
            no functions and has no XLA).
    """

    L1 = 0
    L0 = -1
    # GlobalJitLevel
    DEFAULT = 0
    OFF = -1
    ON_1 = 1
    ON_2 = 2

    do_common_subexpression_elimination: bool = False
    do_constant_folding: bool = False
    max_folded_constant_in_bytes: int = 0
    do_function_inlining: bool = False
    opt_level: int = 0
    global_jit_level: int = 0
    cpu_global_jit: bool = False


@dataclasses.dataclass
class GraphOptions:
    """`tf.GraphOptions`: how a Session's graphs are optimized.

    Attributes:
        optimizer_options: the classic optimizer's OptimizerOptions.
        rewrite_options: Grappler's RewriterConfig.
        The other fields are TF's and are accepted (build_cost_model, infer_shapes, ...).
    """

    enable_recv_scheduling: bool = False
    optimizer_options: OptimizerOptions = dataclasses.field(default_factory=OptimizerOptions)
    build_cost_model: int = 0
    build_cost_model_after: int = 0
    infer_shapes: bool = False
    place_pruned_graph: bool = False
    enable_bfloat16_sendrecv: bool = False
    timeline_step: int = 0
    rewrite_options: RewriterConfig = dataclasses.field(default_factory=RewriterConfig)


# ----- process defaults (`tf.config.optimizer.set_experimental_options`) ---------------------
_PROCESS_REWRITE_DEFAULTS = {}


def process_rewrite_defaults():
    """The RewriterConfig fields set process-wide (field name -> value), a copy."""
    return dict(_PROCESS_REWRITE_DEFAULTS)


def set_process_rewrite_defaults(fields):
    """Merges `fields` (RewriterConfig field names -> Toggle/bool/int values) into the
    process defaults that `with_process_defaults` applies."""
    known = {f.name for f in dataclasses.fields(RewriterConfig)}
    unknown = sorted(set(fields) - known)
    if unknown:
        raise ValueError(f"not RewriterConfig fields: {unknown}")
    _PROCESS_REWRITE_DEFAULTS.update(fields)


def with_process_defaults(rewrite_options):
    """`rewrite_options` (None: RewriterConfig()) with every field it leaves at its default
    (DEFAULT, False, 0) taken from the process defaults; a field the Session's ConfigProto
    sets wins. Returns the same object when no process default applies."""
    rw = rewrite_options or RewriterConfig()
    changes = {name: value for name, value in _PROCESS_REWRITE_DEFAULTS.items()
               if not getattr(rw, name)}
    return dataclasses.replace(rw, **changes) if changes else rw
