"""`tf.profiler.ProfileOptionBuilder`: the options dicts of the profiler (TF's
`tensorflow/python/profiler/option_builder.py`, same keys, defaults and outputs).

Example:
    >>> opts = (tf.profiler.ProfileOptionBuilder(
    ...     tf.profiler.ProfileOptionBuilder.float_operation())
    ...     .with_node_names(show_name_regexes=["dense.*"]).with_max_depth(3).build())
"""

import copy

from flowexec.profiler.tfprof_logger import TRAINABLE_VARIABLES

__all__ = ["ProfileOptionBuilder"]


def _base(**changes):
    options = {"max_depth": 10000, "min_bytes": 0, "min_micros": 0, "min_params": 0,
               "min_float_ops": 0, "min_occurrence": 0, "order_by": "name",
               "account_type_regexes": [".*"], "start_name_regexes": [".*"],
               "trim_name_regexes": [], "show_name_regexes": [".*"],
               "hide_name_regexes": [], "account_displayed_op_only": True,
               "select": ["micros"], "step": -1, "output": "stdout"}
    options.update(changes)
    return options


class ProfileOptionBuilder:
    """Builds the options dict of `tf.profiler.profile` (TF's ProfileOptionBuilder).

    Every `with_*` / `order_by` / `select` method changes the dict and returns the builder;
    `build()` returns a deep copy.

    Args:
        options: an optional dict to start from (deep-copied); None: TF's defaults
            (max_depth 100, every type accounted, select ["micros"], stdout).

    Example:
        >>> opts = (tf.profiler.ProfileOptionBuilder()
        ...         .with_max_depth(10).with_min_execution_time(1000)
        ...         .select(["micros"]).with_stdout_output().build())
    """

    def __init__(self, options=None):
        if options is not None:
            self._options = copy.deepcopy(options)
        else:
            self._options = _base(max_depth=100, account_displayed_op_only=False)

    @staticmethod
    def trainable_variables_parameter():
        """Options counting the parameters of trainable variables (use with 'scope').

        Returns:
            A dict of profiling options.

        Example:
            >>> tf.profiler.profile(graph, options=tf.profiler.ProfileOptionBuilder
            ...                     .trainable_variables_parameter())
        """
        return _base(account_type_regexes=[TRAINABLE_VARIABLES], select=["params"])

    @staticmethod
    def float_operation():
        """Options counting float operations (ops with a registered flops rule).

        Returns:
            A dict of profiling options.

        Example:
            >>> tf.profiler.profile(graph,
            ...     options=tf.profiler.ProfileOptionBuilder.float_operation())
        """
        return _base(min_float_ops=1, order_by="float_ops", select=["float_ops"])

    @staticmethod
    def time_and_memory(min_micros=1, min_bytes=1, min_accelerator_micros=0,
                        min_cpu_micros=0, min_peak_bytes=0, min_residual_bytes=0,
                        min_output_bytes=0):
        """Options showing the time and memory of a traced run (pass its RunMetadata).

        Args:
            min_micros: show nodes with at least this execution time (cpu + accelerator).
            min_bytes: show nodes that requested at least this many bytes.
            min_accelerator_micros: at least this accelerator time.
            min_cpu_micros: at least this cpu time.
            min_peak_bytes: at least this peak memory.
            min_residual_bytes: at least this memory left allocated after the op.
            min_output_bytes: at least this many output bytes.

        Returns:
            A dict of profiling options.

        Example:
            >>> tf.profiler.profile(graph, run_meta=run_meta,
            ...     options=tf.profiler.ProfileOptionBuilder.time_and_memory())
        """
        options = _base(min_bytes=min_bytes, min_micros=min_micros, order_by="micros",
                        select=["micros", "bytes"])
        out = {}
        for key, value in options.items():
            out[key] = value
            if key == "min_bytes":
                out.update(min_peak_bytes=min_peak_bytes,
                           min_residual_bytes=min_residual_bytes,
                           min_output_bytes=min_output_bytes)
            if key == "min_micros":
                out.update(min_accelerator_micros=min_accelerator_micros,
                           min_cpu_micros=min_cpu_micros)
        return out

    def build(self):
        """A deep copy of the options built so far.

        Returns:
            A dict of profiling options.
        """
        return copy.deepcopy(self._options)

    def with_max_depth(self, max_depth):
        """Shows nodes down to this depth (scope: name scope depth; op: list length).

        Args:
            max_depth: the depth.

        Returns:
            self
        """
        self._options["max_depth"] = max_depth
        return self

    def with_min_memory(self, min_bytes=0, min_peak_bytes=0, min_residual_bytes=0,
                        min_output_bytes=0):
        """Shows only nodes using at least this memory.

        Args:
            min_bytes: requested bytes.
            min_peak_bytes: peak bytes.
            min_residual_bytes: bytes left allocated after the op.
            min_output_bytes: output bytes.

        Returns:
            self
        """
        self._options["min_bytes"] = min_bytes
        self._options["min_peak_bytes"] = min_peak_bytes
        self._options["min_residual_bytes"] = min_residual_bytes
        self._options["min_output_bytes"] = min_output_bytes
        return self

    def with_min_execution_time(self, min_micros=0, min_accelerator_micros=0,
                                min_cpu_micros=0):
        """Shows only nodes running at least this long.

        Args:
            min_micros: total (accelerator + cpu) microseconds.
            min_accelerator_micros: accelerator microseconds.
            min_cpu_micros: cpu microseconds.

        Returns:
            self
        """
        self._options["min_micros"] = min_micros
        self._options["min_accelerator_micros"] = min_accelerator_micros
        self._options["min_cpu_micros"] = min_cpu_micros
        return self

    def with_min_parameters(self, min_params):
        """Shows only nodes holding at least this many parameters.

        Args:
            min_params: the number of parameters.

        Returns:
            self
        """
        self._options["min_params"] = min_params
        return self

    def with_min_occurrence(self, min_occurrence):
        """Shows only nodes standing for at least this many graph nodes (runs in the
        scope/graph views).

        Args:
            min_occurrence: the count.

        Returns:
            self
        """
        self._options["min_occurrence"] = min_occurrence
        return self

    def with_min_float_operations(self, min_float_ops):
        """Shows only nodes with at least this many float operations.

        Args:
            min_float_ops: the count.

        Returns:
            self
        """
        self._options["min_float_ops"] = min_float_ops
        return self

    def with_accounted_types(self, account_type_regexes):
        """Accounts only nodes with a type (op type, device, op log type) matching one of
        these regexes.

        Args:
            account_type_regexes: a list of regexes, e.g. [".*gpu:0.*"].

        Returns:
            self
        """
        self._options["account_type_regexes"] = copy.copy(account_type_regexes)
        return self

    def with_node_names(self, start_name_regexes=None, show_name_regexes=None,
                        hide_name_regexes=None, trim_name_regexes=None):
        """Regexes on node names selecting what is displayed (None: unchanged).

        Args:
            start_name_regexes: display starts at the nodes matching one.
            show_name_regexes: a node is shown when it matches one ...
            hide_name_regexes: ... and none of these.
            trim_name_regexes: nodes below a match are not searched.

        Returns:
            self
        """
        for key, value in (("start_name_regexes", start_name_regexes),
                           ("show_name_regexes", show_name_regexes),
                           ("hide_name_regexes", hide_name_regexes),
                           ("trim_name_regexes", trim_name_regexes)):
            if value is not None:
                self._options[key] = copy.copy(value)
        return self

    def account_displayed_op_only(self, is_true):
        """Whether totals count only the displayed nodes.

        Args:
            is_true: True: only displayed nodes; False: every accounted node below.

        Returns:
            self
        """
        self._options["account_displayed_op_only"] = is_true
        return self

    def with_empty_output(self):
        """Prints nothing (the returned proto still holds the profile).

        Returns:
            self
        """
        self._options["output"] = "none"
        return self

    def with_stdout_output(self):
        """Prints the report to stdout.

        Returns:
            self
        """
        self._options["output"] = "stdout"
        return self

    def with_file_output(self, outfile):
        """Writes the report to `outfile`.

        Args:
            outfile: a file name.

        Returns:
            self
        """
        self._options["output"] = "file:outfile=%s" % outfile
        return self

    def with_timeline_output(self, timeline_file):
        """Asks for a timeline json file (flowexec writes none; see the module notes).

        Args:
            timeline_file: a file name.

        Returns:
            self
        """
        self._options["output"] = "timeline:outfile=%s" % timeline_file
        return self

    def with_pprof_output(self, pprof_file):
        """Asks for a pprof file (TF: code view only; flowexec has no code view).

        Args:
            pprof_file: a file name.

        Returns:
            self
        """
        self._options["output"] = "pprof:outfile=%s" % pprof_file
        return self

    def order_by(self, attribute):
        """Orders displayed nodes by "name", "bytes", "peak_bytes", "residual_bytes",
        "output_bytes", "micros", "accelerator_micros", "cpu_micros", "params",
        "float_ops" or "occurrence".

        Args:
            attribute: the attribute.

        Returns:
            self
        """
        self._options["order_by"] = attribute
        return self

    def select(self, attributes):
        """The attributes to display ("params", "float_ops", "micros", "bytes",
        "occurrence", "op_types", "device", "input_shapes", ...).

        Args:
            attributes: a list of attributes.

        Returns:
            self
        """
        self._options["select"] = copy.copy(attributes)
        return self

    def with_step(self, step):
        """Which `Profiler.add_step` step to profile (-1: the average of all).

        Args:
            step: the step.

        Returns:
            self
        """
        self._options["step"] = step
        return self
