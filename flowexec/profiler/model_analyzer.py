"""`tf.profiler.profile`, `tf.profiler.advise` and `tf.profiler.Profiler` (TF 1.x's
`tensorflow/python/profiler/model_analyzer.py`).

    stats = tf.profiler.profile(graph, options=
        tf.profiler.ProfileOptionBuilder.trainable_variables_parameter())
    print(stats.total_parameters)

A profile is built from the graph (op types, variable shapes, static output shapes), the op
log (flops of the ops with a registered "flops" statistic, trainable variables) and, when
given, RunMetadata step stats (times; memory estimated from output shapes, see
profile_data). The views ('scope', 'graph', 'op') follow tfprof's algorithms, and the
report (stdout, or a file) is tfprof's text. Not available: the 'code' view, pprof and
timeline outputs, checkpoint tensor values.

Thread-safety: a profile is built by the calling thread from a graph it does not modify;
concurrent profiles of one graph are safe when nobody adds ops meanwhile.
"""

import sys

from flowexec.framework import errors
from flowexec.framework import graph as graph_mod
from flowexec.profiler import advisor, formatting, tfprof_logger, views
from flowexec.profiler.option_builder import ProfileOptionBuilder
from flowexec.profiler.profile_data import ProfileData
from flowexec.profiler.protos import GraphNodeProto, MultiGraphNodeProto

__all__ = ["ALL_ADVICE", "Profiler", "advise", "profile"]

_DEFAULT_PROFILE_OPTIONS = 0
_DEFAULT_ADVISE_OPTIONS = 0

ALL_ADVICE = {
    "ExpensiveOperationChecker": {},
    "AcceleratorUtilizationChecker": {},
    "JobChecker": {},  # only available inside Google (as in TF)
    "OperationChecker": {},
}

_VIEWS = {"scope": views.show_scope, "graph": views.show_graph, "op": views.show_op}


def _show(data, cmd, options):
    """Runs one view and writes its report; returns the result proto."""
    empty = MultiGraphNodeProto() if cmd in ("op", "code") else GraphNodeProto()
    try:
        opts = formatting.Options(options)
    except ValueError as e:
        sys.stderr.write(f"INVALID_ARGUMENT: {e}\n")
        return empty
    if cmd == "code":
        sys.stderr.write("No code trace information\n")
        return empty
    if not data.validate(opts):
        return empty
    if opts.output_type == "stdout":
        sys.stdout.write(formatting.options_header(opts))
    prefix = data.missing_trace_report() + formatting.query_doc(cmd, opts) + "Profile:\n"
    root = _VIEWS[cmd](data, opts)
    if opts.output_type == "stdout":
        sys.stdout.write(prefix + root.formatted_str)
    elif opts.output_type == "file":
        try:
            with open(opts.output_options["outfile"], "w") as f:
                f.write(prefix + root.formatted_str)
        except OSError as e:
            sys.stderr.write(f"{e}\n")
    elif opts.output_type == "timeline":
        sys.stderr.write("flowexec's profiler writes no timeline; use "
                         "flowexec.timeline.Timeline(run_meta.step_stats).\n")
    if opts.output_type == "stdout":
        sys.stdout.write(formatting.FOOTER)
        sys.stdout.flush()
    return root.proto


def _check_cmd(cmd):
    if cmd not in ("scope", "graph", "op", "code"):
        raise errors.InvalidArgumentError(None, None, "unknown cmd: %s\n" % cmd)


def profile(graph=None, run_meta=None, op_log=None, cmd="scope",
            options=_DEFAULT_PROFILE_OPTIONS):
    """Profiles a model (TF's `tf.profiler.profile`).

    Args:
        graph: a Graph; None: the default graph.
        run_meta: an optional RunMetadata of a traced run (`RunOptions(trace_level=
            FULL_TRACE)`): times, and memory estimated from the ops' output shapes.
        op_log: an optional OpLogProto adding types (for `account_type_regexes`) and flops.
        cmd: "scope" (name scopes), "graph" (inputs) or "op" (op types); "code" is not
            available in flowexec (a message on stderr, an empty result).
        options: a dict from ProfileOptionBuilder; default: trainable_variables_parameter().

    Returns:
        A GraphNodeProto ("scope", "graph") or MultiGraphNodeProto ("op"); its report is
        printed (stdout), written to a file, or not, as `options["output"]` says.

    Raises:
        InvalidArgumentError: an unknown `cmd`.

    Example:
        >>> stats = tf.profiler.profile(tf.get_default_graph(),
        ...     options=tf.profiler.ProfileOptionBuilder.float_operation())
        >>> stats.total_float_ops
        93064
    """
    graph = graph if graph is not None else graph_mod.get_default_graph()
    _check_cmd(cmd)
    if isinstance(options, int) and options == _DEFAULT_PROFILE_OPTIONS:
        options = ProfileOptionBuilder.trainable_variables_parameter()
    op_log = tfprof_logger.merge_default_with_oplog(graph, op_log, run_meta,
                                                    add_trace=cmd == "code")
    return _show(ProfileData(graph, run_meta, op_log), cmd, options)


def advise(graph=None, run_meta=None, options=_DEFAULT_ADVISE_OPTIONS):
    """Profiles a model and reports what its checkers find (TF's `tf.profiler.advise`).

    Args:
        graph: a Graph; None: the default graph.
        run_meta: an optional RunMetadata of a traced run (the checkers need times).
        options: {checker name: {}}; default ALL_ADVICE (JobChecker is Google-only and
            reports nothing, as in TF).

    Returns:
        An AdviceProto; the reports are also printed to stdout.

    Example:
        >>> tf.profiler.advise(sess.graph, run_meta=run_meta)
    """
    graph = graph if graph is not None else graph_mod.get_default_graph()
    if isinstance(options, int) and options == _DEFAULT_ADVISE_OPTIONS:
        options = dict(ALL_ADVICE)
    op_log = tfprof_logger.merge_default_with_oplog(graph, None, run_meta, add_trace=True)
    return advisor.advise(ProfileData(graph, run_meta, op_log), options)


class Profiler:
    """A multi-step profiler (TF's `tf.profiler.Profiler`).

    Args:
        graph: a Graph; None: the default graph.
        op_log: an optional OpLogProto with extra types and flops.

    Example:
        >>> profiler = tf.profiler.Profiler(sess.graph)
        >>> run_meta = tf.RunMetadata()
        >>> sess.run(train_op, options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
        ...          run_metadata=run_meta)
        >>> profiler.add_step(0, run_meta)
        >>> profiler.profile_operations(
        ...     options=tf.profiler.ProfileOptionBuilder.time_and_memory())
    """

    def __init__(self, graph=None, op_log=None):
        self._graph = graph if graph is not None else graph_mod.get_default_graph()
        self._coverage = 0.0
        op_log = tfprof_logger.merge_default_with_oplog(self._graph, op_log=op_log)
        self._data = ProfileData(self._graph, None, op_log)

    def add_step(self, step, run_meta):
        """Adds the stats of one traced run (and any ops added to the graph since).

        Args:
            step: an id grouping runs; `with_step(step)` profiles it, -1 averages all.
            run_meta: the RunMetadata of the run.
        """
        op_log = tfprof_logger.merge_default_with_oplog(self._graph, run_meta=run_meta)
        self._data.add_graph(self._graph)
        self._data.add_run_meta(step, run_meta)
        self._data.add_op_log(op_log)
        in_graph = {op.name for op in self._graph.get_operations()}
        covered = {s.node_name.split(":", 1)[0] for d in run_meta.step_stats.dev_stats
                   for s in d.node_stats} & in_graph
        self._coverage = len(covered) / len(in_graph) if in_graph else 0.0

    def profile_python(self, options):
        """The 'code' view: not available in flowexec (an empty result).

        Args:
            options: a dict of options.

        Returns:
            An empty MultiGraphNodeProto.
        """
        return _show(self._data, "code", options)

    def profile_operations(self, options):
        """Profiles by op type ('op' view).

        Args:
            options: a dict of options.

        Returns:
            A MultiGraphNodeProto.
        """
        return _show(self._data, "op", options)

    def profile_name_scope(self, options):
        """Profiles by name scope ('scope' view).

        Args:
            options: a dict of options.

        Returns:
            A GraphNodeProto.
        """
        return _show(self._data, "scope", options)

    def profile_graph(self, options):
        """Profiles by dataflow ('graph' view).

        Args:
            options: a dict of options.

        Returns:
            A GraphNodeProto.
        """
        return _show(self._data, "graph", options)

    def advise(self, options=None):
        """Runs the advisor's checkers over the steps added.

        Args:
            options: {checker name: {}}; None: ALL_ADVICE.

        Returns:
            An AdviceProto.
        """
        return advisor.advise(self._data, dict(ALL_ADVICE) if options is None else options)

    def serialize_to_string(self):
        """Not available: flowexec has no ProfileProto serialization.

        Raises:
            UnimplementedError: always.
        """
        raise errors.UnimplementedError(None, None,
                                        "Profiler.serialize_to_string is not available")


