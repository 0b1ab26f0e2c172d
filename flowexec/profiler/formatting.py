"""tfprof's text: parsed options, numbers, node lines, legends and the "Doc:" section.

Every string here is TensorFlow's (tensorflow/core/profiler/internal/tfprof_utils.cc,
tfprof_show.cc, tfprof_show_multi.cc, tfprof_op.cc, tfprof_options.cc), so a report reads
and diffs as TF's. Pure functions; safe to call from any thread.
"""

import re
import sys

ROOT = "_TFProfRoot"
SCOPE_PARENT = "_kTFScopeParent"
GRAPH_PARENT = "_kTFGraphParent"

ORDER_BY = ("name", "bytes", "peak_bytes", "residual_bytes", "output_bytes", "micros",
            "accelerator_micros", "cpu_micros", "params", "float_ops", "occurrence")
SHOWN = ("bytes", "micros", "params", "float_ops", "tensor_value", "device", "op_types",
         "occurrence", "input_shapes", "accelerator_micros", "cpu_micros", "peak_bytes",
         "residual_bytes", "output_bytes")
OUTPUTS = ("timeline", "stdout", "file", "pprof", "none")
_OUTPUT_OPTS = {"timeline": ("outfile",), "file": ("outfile",), "pprof": ("outfile",)}


class Options:
    """The options dict of `ProfileOptionBuilder`, read as tfprof reads it (missing keys
    take `model_analyzer._build_options`' defaults; `select` becomes a sorted set).

    Raises:
        ValueError: `output` is malformed (TF's ParseOutput messages).
    """

    def __init__(self, options):
        get = options.get
        self.max_depth = int(get("max_depth", 10))
        self.min_bytes = int(get("min_bytes", 0))
        self.min_peak_bytes = int(get("min_peak_bytes", 0))
        self.min_residual_bytes = int(get("min_residual_bytes", 0))
        self.min_output_bytes = int(get("min_output_bytes", 0))
        self.min_micros = int(get("min_micros", 0))
        self.min_accelerator_micros = int(get("min_accelerator_micros", 0))
        self.min_cpu_micros = int(get("min_cpu_micros", 0))
        self.min_params = int(get("min_params", 0))
        self.min_float_ops = int(get("min_float_ops", 0))
        self.min_occurrence = int(get("min_occurrence", 0))
        self.step = int(get("step", -1))
        self.order_by = get("order_by", "name")
        self.account_type_regexes = list(get("account_type_regexes", []))
        self.start_name_regexes = list(get("start_name_regexes", []))
        self.trim_name_regexes = list(get("trim_name_regexes", []))
        self.show_name_regexes = list(get("show_name_regexes", []))
        self.hide_name_regexes = list(get("hide_name_regexes", []))
        self.account_displayed_op_only = bool(get("account_displayed_op_only", False))
        self.select = sorted(set(get("select", [])))
        self.output_type, self.output_options = parse_output(get("output", "stdout"))
        dump = get("dump_to_file", "")
        if dump:
            sys.stderr.write("-dump_to_file option is deprecated. "
                             "Please use -output file:outfile=<filename>\n")
            sys.stderr.write(f"-output {get('output', 'stdout')} is overwritten with "
                             f"-output file:outfile={dump}\n")
            self.output_type, self.output_options = "file", {"outfile": dump}

    def shows(self, attribute):
        return attribute in self.select

    def __str__(self):
        rows = [("-max_depth", self.max_depth), ("-min_bytes", self.min_bytes),
                ("-min_peak_bytes", self.min_peak_bytes),
                ("-min_residual_bytes", self.min_residual_bytes),
                ("-min_output_bytes", self.min_output_bytes),
                ("-min_micros", self.min_micros),
                ("-min_accelerator_micros", self.min_accelerator_micros),
                ("-min_cpu_micros", self.min_cpu_micros), ("-min_params", self.min_params),
                ("-min_float_ops", self.min_float_ops),
                ("-min_occurrence", self.min_occurrence), ("-step", self.step),
                ("-order_by", self.order_by),
                ("-account_type_regexes", ",".join(self.account_type_regexes)),
                ("-start_name_regexes", ",".join(self.start_name_regexes)),
                ("-trim_name_regexes", ",".join(self.trim_name_regexes)),
                ("-show_name_regexes", ",".join(self.show_name_regexes)),
                ("-hide_name_regexes", ",".join(self.hide_name_regexes)),
                ("-account_displayed_op_only",
                 "true" if self.account_displayed_op_only else "false"),
                ("-select", ",".join(self.select))]
        kv = ",".join(f"{k}={v}" for k, v in sorted(self.output_options.items()))
        rows.append(("-output", f"{self.output_type}:{kv}"))
        return "".join("%-28s%s\n" % (k, v) for k, v in rows)


def parse_output(output):
    """("stdout", {}) from "stdout"; ("file", {"outfile": path}) from "file:outfile=path".

    Raises:
        ValueError: an unknown type or option, or a missing outfile (TF's words).
    """
    if not output:
        return "stdout", {}
    valid = ",".join(sorted(OUTPUTS))
    kind, sep, rest = output.partition(":")
    if kind not in OUTPUTS:
        raise ValueError(f"E.g. Unknown output type: {kind}, Valid types: {valid}\n")
    options = {}
    for kv in filter(None, rest.split(",")) if sep else ():
        parts = [p for p in kv.split("=") if p]
        if len(parts) != 2:
            raise ValueError("Visualize format: -output timeline:key=value,key=value,...")
        if parts[0] not in _OUTPUT_OPTS.get(kind, ()):
            raise ValueError(f"Unrecognized options {parts[0]} for output_type: {kind}\n")
        options[parts[0]] = parts[1]
    for required in _OUTPUT_OPTS.get(kind, ()):
        if required not in options:
            raise ValueError(f"Missing required output_options for {kind}\n"
                             f"E.g. -output {kind}:{required}=...\n")
    return kind, options


def full_match(regex, text):
    """RE2::FullMatch."""
    return re.fullmatch(regex, text) is not None


def format_number(n):
    """1234 -> "1.23k" (tfprof's FormatNumber)."""
    if n < 1000:
        return "%d" % n
    if n < 1000000:
        return "%.2fk" % (n / 1000.0)
    if n < 1000000000:
        return "%.2fm" % (n / 1000000.0)
    return "%.2fb" % (n / 1000000000.0)


def format_time(micros):
    """1234 -> "1.23ms" (tfprof's FormatTime)."""
    if micros < 1000:
        return "%dus" % micros
    if micros < 1000000:
        return "%.2fms" % (micros / 1000.0)
    return "%.2fsec" % (micros / 1000000.0)


def format_memory(nbytes):
    """1234 -> "1.23KB" (tfprof's FormatMemory)."""
    if nbytes < 1000:
        return "%dB" % nbytes
    if nbytes < 1000000:
        return "%.2fKB" % (nbytes / 1000.0)
    return "%.2fMB" % (nbytes / 1000000.0)


_CMD_HELP = {
    "scope": "scope: The nodes in the model graph are organized by their names, which is "
             "hierarchical like filesystem.",
    "code": "code: When python trace is available, the nodes are python lines and their "
            "are organized by the python call stack.",
    "op": "op: The nodes are operation kernel type, such as MatMul, Conv2D. Graph nodes "
          "belonging to the same type are aggregated together.",
    "advise": "advise: Automatically profile and discover issues. (Experimental)",
}
_TOTAL_MICROS = ("total execution time: Sum of accelerator execution time and cpu execution "
                 "time.")
_ACC_MICROS = ("accelerator execution time: Time spent executing on the accelerator. This "
               "is normally measured by the actual hardware library.")
_CPU_MICROS = ("cpu execution time: The time from the start to the end of the operation. "
               "It's the sum of actual cpu run time plus the time that it spends waiting if "
               "part of computation is launched asynchronously.")
_SELECT_HELP = {
    "bytes": "requested bytes: The memory requested by the operation, accumulatively.",
    "micros": "\n".join([_TOTAL_MICROS, _CPU_MICROS, _ACC_MICROS]),
    "params": "param: Number of parameters (in the Variable).",
    "float_ops": "flops: Number of float operations. Note: Please read the implementation "
                 "for the math behind it.",
    "tensor_value": "tensor_value: Not supported now.",
    "device": "device: which device is placed on.",
    "op_types": "op_types: The attributes of the operation, includes the Kernel name device "
                "placed on and user-defined strings.",
    "occurrence": "occurrence: The number of times it occurs",
    "input_shapes": "input shape: The shape of input tensors",
    "accelerator_micros": _ACC_MICROS,
    "cpu_micros": _CPU_MICROS,
    "peak_bytes": "peak bytes: The peak amount of memory that the operation is holding at "
                  "some point.",
    "residual_bytes": "residual bytes: The memory not de-allocated after the operation "
                      "finishes.",
    "output_bytes": "output bytes: The memory that is output from the operation (not "
                    "necessarily allocated by the operation)",
}


def query_doc(cmd, opts):
    """The "Doc:" section (tfprof's QueryDoc; the graph view says "scope:", as TF)."""
    help_text = _CMD_HELP.get("scope" if cmd == "graph" else cmd, "Unknown command: " + cmd)
    helps = [_SELECT_HELP.get(s, "Unknown select: " + s) for s in opts.select]
    return "\nDoc:\n" + help_text + "\n" + "\n".join(helps) + "\n\n"


def options_header(opts):
    """What stdout output prints before the report."""
    return ("\n=========================Options=============================\n" + str(opts)
            + "\n==================Model Analysis Report======================\n")


FOOTER = "\n======================End of Report==========================\n"


# scope / graph views (TFShow) -----------------------------------------------------------
def _slash(node, own, total, fmt):
    return (fmt(own) if node.account else "--") + "/" + fmt(total)


def _times(node, opts):
    p = node.proto
    total = _slash(node, p.exec_micros, p.total_exec_micros, format_time)
    acc = _slash(node, p.accelerator_exec_micros, p.total_accelerator_exec_micros,
                 format_time)
    cpu = _slash(node, p.cpu_exec_micros, p.total_cpu_exec_micros, format_time)
    out = []
    if opts.shows("micros"):
        out += [total, acc, cpu]
    else:
        if opts.shows("accelerator_micros"):
            out.append(acc)
        if opts.shows("cpu_micros"):
            out.append(cpu)
    return out


def format_tree_node(node, opts):
    """"name (2.05k/2.05k params, ...)" of a scope or graph view node (TFShow::FormatNode)."""
    p = node.proto
    info = []
    if opts.shows("params"):
        shape = "x".join(str(d) for d in node.node.shape)
        if shape:
            info.append(shape)
        info.append(_slash(node, p.parameters, p.total_parameters, format_number)
                    + " params")
    if opts.shows("float_ops"):
        info.append(_slash(node, p.float_ops, p.total_float_ops, format_number) + " flops")
    for attr, own, total in (("bytes", p.requested_bytes, p.total_requested_bytes),
                             ("peak_bytes", p.peak_bytes, p.total_peak_bytes),
                             ("residual_bytes", p.residual_bytes, p.total_residual_bytes),
                             ("output_bytes", p.output_bytes, p.total_output_bytes)):
        if opts.shows(attr):
            info.append(_slash(node, own, total, format_memory))
    info += _times(node, opts)
    if opts.shows("device") and p.devices:
        info.append("|".join(p.devices))
    if opts.shows("op_types"):
        info.append("|".join(sorted(node.node.op_types)))
    if opts.shows("occurrence"):
        run = _slash(node, p.run_count, p.total_run_count, format_number)
        definition = ("1" if node.account else "--") + "/" + format_number(
            p.total_definition_count)
        info.append(run + "|" + definition)
    if opts.shows("input_shapes"):
        shapes = []
        for i, dims in sorted(node.node.input_shapes().items()):
            shapes.append("%d:%s" % (i, "x".join(str(d) for d in dims) if dims
                                     else "unknown"))
        info.append("|".join(shapes))
    return "%s (%s)" % (node.name, ", ".join(info))


def tree_legend(opts):
    """"node name | # parameters | ..." of the scope and graph views."""
    legends = []
    for attr, text in (("params", "# parameters"), ("float_ops", "# float_ops"),
                       ("bytes", "requested bytes"), ("peak_bytes", "peak bytes"),
                       ("residual_bytes", "residual bytes"), ("output_bytes", "output bytes")):
        if opts.shows(attr):
            legends.append(text)
    legends += _time_legends(opts)
    for attr, text in (("device", "assigned devices"), ("op_types", "op types"),
                       ("occurrence", "op count (run|defined)"),
                       ("input_shapes", "input shapes")):
        if opts.shows(attr):
            legends.append(text)
    return "node name | %s\n" % " | ".join(legends)


def _time_legends(opts):
    if opts.shows("micros"):
        return ["total execution time", "accelerator execution time", "cpu execution time"]
    out = []
    if opts.shows("accelerator_micros"):
        out.append("accelerator execution time")
    if opts.shows("cpu_micros"):
        out.append("cpu execution time")
    return out


# op view (TFOp, TFMultiShow) -------------------------------------------------------------
def _pct(node_total, root_total, own, test):
    accu = pct = 0.0
    if test > 0:
        accu = 100.0 * node_total / root_total
        pct = 100.0 * own / root_total
    return accu, pct


def _cell(text):
    return "%30s" % text


def format_op_node(node, root, opts):
    """One line of the op view (TFOp::FormatNode)."""
    p, r = node.proto, root.proto
    attrs = []
    for attr, field in (("bytes", "requested_bytes"), ("peak_bytes", "peak_bytes"),
                        ("residual_bytes", "residual_bytes"),
                        ("output_bytes", "output_bytes")):
        if opts.shows(attr):
            own, total = getattr(p, field), getattr(p, "total_" + field)
            accu, pct = _pct(total, getattr(r, "total_" + field), own, own)
            attrs.append(_cell("%s (%.2f%%, %.2f%%)" % (format_memory(own), accu, pct)))

    def time_cell(field):
        own, total = getattr(p, field), getattr(p, "total_" + field)
        accu, pct = _pct(total, getattr(r, "total_" + field), own, total)
        return _cell("%s (%.2f%%, %.2f%%)" % (format_time(own), accu, pct))

    if opts.shows("micros"):
        attrs += [time_cell("exec_micros"), time_cell("accelerator_exec_micros"),
                  time_cell("cpu_exec_micros")]
    else:
        if opts.shows("accelerator_micros"):
            attrs.append(time_cell("accelerator_exec_micros"))
        if opts.shows("cpu_micros"):
            attrs.append(time_cell("cpu_exec_micros"))
    if opts.shows("params"):
        accu, pct = _pct(p.total_parameters, r.total_parameters, p.parameters,
                         p.total_parameters)
        attrs.append(_cell("%s params (%.2f%%, %.2f%%)" % (format_number(p.parameters),
                                                           accu, pct)))
    if opts.shows("float_ops"):
        accu, pct = _pct(p.total_float_ops, r.total_float_ops, p.float_ops,
                         p.total_float_ops)
        attrs.append(_cell("%s float_ops (%.2f%%, %.2f%%)" % (format_number(p.float_ops),
                                                              accu, pct)))
    if opts.shows("device"):
        attrs.append("|".join(sorted(node.node.devices)))
    if opts.shows("op_types"):
        attrs.append("|".join(sorted(node.node.op_types)))
    if opts.shows("occurrence"):
        runs = sum(g.run_count for g in p.graph_nodes)
        attrs.append("%10s" % ("%d|%d" % (runs, len(p.graph_nodes))))
    line = "%-25s%s\n" % (node.name, ", ".join(attrs))
    if opts.shows("input_shapes"):
        shapes = format_input_shapes(p)
        if shapes:
            line = "%s\n%s\n\n" % (line, shapes)
    return line


def format_input_shapes(proto):
    """The input shapes block of an op view node (TFMultiShow::FormatInputShapes)."""
    by_shape = {}
    for g in proto.graph_nodes:
        parts = []
        for i, dims in sorted(g.input_shapes.items()):
            parts.append("%d:%s" % (i, "x".join(str(d) for d in dims) if dims
                                    else "unknown"))
        key = "input_type: %s" % ",\t".join(parts)
        defined, runs, micros = by_shape.get(key, (0, 0, 0))
        by_shape[key] = (defined + 1, runs + g.run_count, micros + g.exec_micros)
    rows = sorted(sorted(by_shape.items()), key=lambda kv: -kv[1][1])
    return "\n".join("%s\t(run*%d|defined*%d)\texec_time: %s" % (
        k, v[1], v[0], format_time(v[2])) for k, v in rows)


def op_legend(opts):
    """The op view's legend (TFMultiShow::FormatLegend)."""
    legends = []
    for attr, text in (("bytes", "requested bytes"), ("peak_bytes", "peak bytes"),
                       ("residual_bytes", "residual bytes"), ("output_bytes", "output bytes")):
        if opts.shows(attr):
            legends.append(text)
    legends += _time_legends(opts)
    for attr, text in (("params", "# parameters"), ("float_ops", "# float_ops"),
                       ("device", "assigned devices"), ("op_types", "op types"),
                       ("occurrence", "op occurrence (run|defined)"),
                       ("input_shapes", "input shapes")):
        if opts.shows(attr):
            legends.append(text)
    return "node name | %s\n" % " | ".join(legends)
