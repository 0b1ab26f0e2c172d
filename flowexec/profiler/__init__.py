"""`tf.profiler` (TF 1.x): count a model's parameters and FLOPs, time and memory of a traced
run, by name scope, dataflow or op type, with TF's options and text reports.

    param_stats = tf.profiler.profile(
        tf.get_default_graph(),
        options=tf.profiler.ProfileOptionBuilder.trainable_variables_parameter())
    print("total params:", param_stats.total_parameters)

    flops = tf.profiler.profile(
        tf.get_default_graph(),
        options=tf.profiler.ProfileOptionBuilder.float_operation())

Modules: option_builder (the options dicts), model_analyzer (profile, advise, Profiler),
tfprof_logger (op log: flops and trainable variables), flops_registry (the flops rules of the
standard ops, registered with `RegisterStatistics`), profile_data / views / formatting (the
tfprof algorithms and text), advisor (checkers), protos (the result records).
"""

from flowexec.framework.ops_stats import (  # noqa: F401
    OpStats,
    RegisterStatistics,
    get_stats_for_node_def,
)
from flowexec.profiler import flops_registry, tfprof_logger  # noqa: F401
from flowexec.profiler.model_analyzer import ALL_ADVICE, Profiler, advise, profile
from flowexec.profiler.option_builder import ProfileOptionBuilder
from flowexec.profiler.protos import (
    AdviceProto,
    GraphNodeProto,
    MultiGraphNodeProto,
    OpLogEntry,
    OpLogProto,
)
from flowexec.profiler.tfprof_logger import write_op_log

__all__ = ["ALL_ADVICE", "AdviceProto", "GraphNodeProto", "MultiGraphNodeProto",
           "OpLogEntry", "OpLogProto", "ProfileOptionBuilder", "Profiler", "advise",
           "profile", "write_op_log"]
