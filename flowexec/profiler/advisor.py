"""The advisor: TF's default checkers over a profile (tfprof's advisor/*.h).

- AcceleratorUtilizationChecker: per accelerator device, kernel time / step span of the last
  step ("device: <dev> utilization: 0.73", "... low utilization: ..." below 0.5);
- OperationChecker: BatchNorm ops without FusedBatchNorm; NHWC ops placed on a GPU;
- ExpensiveOperationChecker: the three op types and the three top-level scopes that take
  the most time (needs a RunMetadata; the code-view part is not available).

JobChecker is Google-internal in TF and reports nothing here either. Reports are printed
to stdout ("\\n<Checker>:\\n<report>") and returned in an AdviceProto.
"""

import sys

from flowexec.profiler import formatting, views
from flowexec.profiler.protos import AdviceChecker, AdviceProto

_ORDER = ("AcceleratorUtilizationChecker", "OperationChecker", "ExpensiveOperationChecker")


def _accelerator_utilization(data):
    spans = {}
    for node in data.sorted_nodes():
        if not node.execs or "gpu" not in node.canonical_device:
            continue
        ex = node.execs[max(node.execs)]
        s = spans.setdefault(node.canonical_device, [0, 0, 0])
        if s[0] == 0:
            s[0] = ex.all_start_micros
        elif ex.all_start_micros:
            s[0] = min(s[0], ex.all_start_micros)
        s[1] = max(s[1], ex.latest_end_micros)
        s[2] += ex.accelerator_exec_micros
    reports = []
    for dev in sorted(spans):
        start, end, busy = spans[dev]
        if end - start <= 0:
            continue
        utilization = busy / (end - start)
        word = "utilization" if utilization >= 0.5 else "low utilization"
        reports.append("device: %s %s: %.2f" % (dev, word, utilization))
    return reports


def _operation(data):
    batch_norm = fused = nchw = False
    for node in data.sorted_nodes():
        if "BatchNorm" in node.name:
            batch_norm = True
        if "FusedBatchNorm" in node.op_types:
            fused = True
        op = node.operation
        fmt_attr = op.node_def.attr.get("data_format") if op is not None else None
        if isinstance(fmt_attr, bytes):
            fmt_attr = fmt_attr.decode()
        if fmt_attr == "NHWC" and "gpu" in node.canonical_device:
            nchw = True
    reports = []
    if batch_norm and not fused:
        reports.append("Maybe use faster FusedBatchNorm instead of BatchNorm")
    if nchw:
        reports.append("Found operation using NHWC data_format on GPU. Maybe NCHW is faster.")
    return reports


def _quiet(**changes):
    options = {"max_depth": 100, "min_micros": 100, "order_by": "micros",
               "account_type_regexes": [".*"], "start_name_regexes": [".*"],
               "show_name_regexes": [".*"], "select": ["micros"], "output": "none"}
    options.update(changes)
    return formatting.Options(options)


def _expensive_operations(data):
    name = "ExpensiveOperationChecker"
    reports = []
    if not data.steps:
        sys.stderr.write(f"Missing RunMetadata info. Skip {name}\n")
        sys.stderr.write(f"Missing run_meta for {name}\n")
    else:
        root = views.show_op(data, _quiet(max_depth=3, min_micros=1,
                                          select=["micros", "occurrence"])).proto
        node, lines = root, []
        for i in range(3):
            if not node.children:
                break
            node = node.children[0]
            lines.append("top %d operation type: %s, cpu: %s, accelerator: %s, total: %s "
                         "(%.2f%%)" % (i + 1, node.name,
                                       formatting.format_time(node.cpu_exec_micros),
                                       formatting.format_time(node.accelerator_exec_micros),
                                       formatting.format_time(node.exec_micros),
                                       100.0 * node.exec_micros
                                       / (root.total_exec_micros + 1e-10)))
        if lines:
            reports.append("\n".join(lines))
    root = views.show_scope(data, _quiet()).proto
    if root.children:
        lines = []
        for i, child in enumerate(root.children[:3]):
            lines.append("top %d graph node: %s, cpu: %s, accelerator: %s, total: %s" % (
                i + 1, child.name, formatting.format_time(child.cpu_exec_micros),
                formatting.format_time(child.accelerator_exec_micros),
                formatting.format_time(child.exec_micros)))
        reports.append("\n".join(lines))
    sys.stderr.write(f"Missing op_log (code traces) for {name}\n")
    return reports


_CHECKERS = {"AcceleratorUtilizationChecker": _accelerator_utilization,
             "OperationChecker": _operation,
             "ExpensiveOperationChecker": _expensive_operations}


def advise(data, options):
    """Runs the checkers named in `options` over a ProfileData; prints and returns an
    AdviceProto."""
    out = AdviceProto()
    for name in _ORDER:
        if name in options:
            out.checkers[name] = AdviceChecker(reports=_CHECKERS[name](data))
    for name in sorted(out.checkers):
        sys.stdout.write("\n%s:\n" % name)
        for r in out.checkers[name].reports:
            sys.stdout.write("%s\n" % r)
    sys.stdout.flush()
    return out
