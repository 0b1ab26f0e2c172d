"""Extra model information for the profiler: flops and trainable variables per op.

TF's `tensorflow/python/profiler/tfprof_logger.py`: every op with a registered "flops"
statistic whose shapes are known gets an OpLogEntry with its flops; every trainable variable
gets the type "_trainable_variables" (which `trainable_variables_parameter()` accounts).
An op whose flops rule raises ValueError (a shape not fully known) is skipped and counted in
"N ops no flops stats due to incomplete shapes." on stderr (unless a RunMetadata is given).
"""

import os
import sys

from flowexec.framework import graph as graph_mod
from flowexec.framework import ops_stats
from flowexec.framework.operation import NodeDef
from flowexec.profiler import flops_registry  # noqa: F401 - registers the standard rules
from flowexec.profiler.profile_data import tf_node_def
from flowexec.profiler.protos import OpLogEntry, OpLogProto

TRAINABLE_VARIABLES = "_trainable_variables"
REGISTERED_FLOP_STATS = "flops"

__all__ = ["merge_default_with_oplog", "write_op_log", "TRAINABLE_VARIABLES"]


def _get_logged_ops(graph, run_meta=None, add_trace=True, add_trainable_var=True):
    """{op name: OpLogEntry} of the ops with flops and of the trainable variables."""
    del add_trace  # flowexec's profiler has no code view
    missing = 0
    logged = {}
    for op in graph.get_operations():
        inputs, attrs = tf_node_def(op)
        node = NodeDef(op.name, op.type, inputs, op.device, attrs)
        try:
            stats = ops_stats.get_stats_for_node_def(graph, node, REGISTERED_FLOP_STATS)
        except ValueError:
            missing += 1
            stats = None
        if stats is not None and stats.value:
            logged[op.name] = OpLogEntry(name=op.name, float_ops=int(stats.value))
    if add_trainable_var:
        for v in graph.get_collection(graph_mod.GraphKeys.TRAINABLE_VARIABLES):
            name = v.op.name
            entry = logged.setdefault(name, OpLogEntry(name=name))
            entry.types.append(TRAINABLE_VARIABLES)
    if missing > 0 and not run_meta:
        sys.stderr.write("%d ops no flops stats due to incomplete shapes.\n" % missing)
    return logged


def merge_default_with_oplog(graph, op_log=None, run_meta=None, add_trace=True,
                             add_trainable_var=True):
    """The default op log of `graph` merged with the caller's `op_log`.

    Args:
        graph: a Graph; None: the default graph.
        op_log: an optional OpLogProto whose entries win (their types are extended, their
            float_ops kept unless 0).
        run_meta: an optional RunMetadata (silences the incomplete-shape count).
        add_trace: accepted for TF compatibility (no code traces are logged).
        add_trainable_var: give trainable variables the type "_trainable_variables".

    Returns:
        A new OpLogProto.

    Example:
        >>> log = tf.profiler.tfprof_logger.merge_default_with_oplog(graph)
        >>> [e.name for e in log.log_entries if "_trainable_variables" in e.types]
    """
    graph = graph if graph is not None else graph_mod.get_default_graph()
    logged = _get_logged_ops(graph, run_meta, add_trace, add_trainable_var)
    out = OpLogProto()
    if not op_log:
        out.log_entries = list(logged.values())
        return out
    merged = {}
    for entry in op_log.log_entries:
        merged[entry.name] = OpLogEntry(name=entry.name, float_ops=entry.float_ops,
                                        types=list(entry.types))
    for name, entry in logged.items():
        if name in merged:
            merged[name].types.extend(entry.types)
            if entry.float_ops > 0 and merged[name].float_ops == 0:
                merged[name].float_ops = entry.float_ops
        else:
            merged[name] = entry
    out.log_entries = list(merged.values())
    return out


def write_op_log(graph, log_dir, op_log=None, run_meta=None, add_trace=True):
    """Writes the merged op log of `graph` to `<log_dir>/tfprof_log` (TF's
    `tf.profiler.write_op_log`).

    flowexec writes the OpLogProto in protobuf text format (TF writes it binary).

    Args:
        graph: a Graph; None: the default graph.
        log_dir: an existing directory.
        op_log: an optional OpLogProto to merge in.
        run_meta: an optional RunMetadata.
        add_trace: accepted for TF compatibility.

    Raises:
        OSError: the file cannot be written.

    Example:
        >>> tf.profiler.write_op_log(tf.get_default_graph(), "/tmp/logdir")
    """
    op_log = merge_default_with_oplog(graph, op_log, run_meta, add_trace)
    with open(os.path.join(log_dir, "tfprof_log"), "w") as f:
        f.write(str(op_log))
