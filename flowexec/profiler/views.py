"""The scope, graph and op views of a profile: accounting, filtering, ordering, text.

tfprof's algorithms (tfprof_scope.cc, tfprof_graph.cc, tfprof_op.cc, tfprof_show*.cc), step
for step, so that totals, the nodes shown and their order are TF's:

1. account: a node is accounted when one of its types matches `account_type_regexes`;
   totals add up the accounted nodes below (scope: name prefixes; graph: inputs, each node
   once, depth first in name order; op: per op type, cumulative over the types listed
   after it);
2. `start_name_regexes` picks where display starts; a node is shown when its totals pass
   the min_* filters, it is within `max_depth` and its name matches `show_name_regexes` and
   not `hide_name_regexes`; `trim_name_regexes` stops descending;
3. with `account_displayed_op_only`, totals are recomputed over the shown nodes;
4. children are ordered by `order_by` (stable; name order first).

A view is built per call from a ProfileData and holds no state afterwards.
"""

import contextlib
import sys

from flowexec.profiler import formatting as fmt
from flowexec.profiler import profile_data
from flowexec.profiler.protos import GraphNodeProto, MultiGraphNodeProto

_TOTALS = ("run_count", "exec_micros", "accelerator_exec_micros", "cpu_exec_micros",
           "requested_bytes", "peak_bytes", "residual_bytes", "output_bytes", "parameters",
           "float_ops")
_MULTI_TOTALS = _TOTALS[1:]


@contextlib.contextmanager
def _recursion_room(n):
    """Views recurse along name scopes and input chains; leave room for long chains."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 4 * n + 1000))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


class ShowNode:
    """A node of the scope or graph view (tfprof's ShowNode)."""

    def __init__(self, node):
        self.node = node
        self.account = False
        self.children = []
        self.show_children = []
        self.formatted_str = ""
        self.proto = GraphNodeProto()
        self.reinit(-1)

    @property
    def name(self):
        return self.node.name

    def reinit(self, step):
        n, p = self.node, self.proto
        p.name = n.name
        p.devices = [n.canonical_device] if n.canonical_device else []
        p.run_count = n.run_count(step)
        p.exec_micros = n.exec_micros(step)
        p.accelerator_exec_micros = n.accelerator_exec_micros(step)
        p.cpu_exec_micros = n.cpu_exec_micros(step)
        p.requested_bytes = n.requested_bytes(step)
        p.peak_bytes = n.peak_bytes(step)
        p.residual_bytes = n.residual_bytes(step)
        p.output_bytes = n.output_bytes(step)
        p.float_ops = n.float_ops(step)
        p.input_shapes = n.input_shapes()
        p.parameters = n.parameters

    def aggregate(self, other):
        p, o = self.proto, other.proto
        p.total_definition_count += o.total_definition_count
        for f in _TOTALS:
            setattr(p, "total_" + f, getattr(p, "total_" + f) + getattr(o, "total_" + f))

    def add_self(self):
        p = self.proto
        p.total_definition_count += 1
        for f in _TOTALS:
            setattr(p, "total_" + f, getattr(p, "total_" + f) + getattr(p, f))

    def reset_totals(self):
        self.formatted_str = ""
        p = self.proto
        p.total_definition_count = 0
        for f in _TOTALS:
            setattr(p, "total_" + f, 0)
        p.children = []


class _MultiNodeData:
    """The graph nodes of one op type (tfprof's TFMultiGraphNode)."""

    def __init__(self, name):
        self.name = name
        self.nodes = {}
        self.snapshot = {}
        self.op_types = set()
        self.devices = set()

    def snapshot_nodes(self, step, type_regexes):
        self.op_types, self.devices, self.snapshot = set(), set(), {}
        self.stats = dict.fromkeys(_MULTI_TOTALS + ("run_count",), 0)
        picked = self._pick(type_regexes)
        if not picked:
            return type_regexes == [".*"]
        for n in picked:
            self.op_types |= n.op_types
            self.stats["run_count"] += n.run_count(step)
            for f in _MULTI_TOTALS:
                value = n.parameters if f == "parameters" else getattr(n, f)(step)
                self.stats[f] += value
            self.devices.add(n.canonical_device)
            self.snapshot[n.name] = n
        return True

    def _pick(self, regexes):
        if not regexes:
            return []
        nodes = [self.nodes[k] for k in sorted(self.nodes)]
        if regexes == [".*"]:
            return nodes
        out = []
        for regex in regexes:   # as TF: a node matching two regexes is picked twice
            for n in nodes:
                if any(fmt.full_match(regex, t) for t in n.op_types):
                    out.append(n)
        return out


class ShowMultiNode:
    """A node of the op view (tfprof's ShowMultiNode)."""

    def __init__(self, node):
        self.node = node
        self.account = False
        self.show = False
        self.formatted_str = ""
        self.proto = MultiGraphNodeProto()
        self.reinit(-1, [".*"])

    @property
    def name(self):
        return self.node.name

    def reinit(self, step, type_regexes):
        matched = self.node.snapshot_nodes(step, type_regexes)
        p = self.proto
        p.graph_nodes = []
        for name in sorted(self.node.snapshot):
            s = ShowNode(self.node.snapshot[name])
            s.reinit(step)
            s.add_self()
            p.graph_nodes.append(s.proto)
        p.name = self.node.name
        for f in _MULTI_TOTALS:
            setattr(p, f, self.node.stats[f])
        return matched

    def aggregate(self, other):
        p, o = self.proto, other.proto
        for f in _MULTI_TOTALS:
            setattr(p, "total_" + f, getattr(p, "total_" + f) + getattr(o, "total_" + f))

    def add_self(self):
        p = self.proto
        for f in _MULTI_TOTALS:
            setattr(p, "total_" + f, getattr(p, "total_" + f) + getattr(p, f))

    def reset_totals(self):
        self.formatted_str = ""
        p = self.proto
        for f in _MULTI_TOTALS:
            setattr(p, "total_" + f, 0)
        p.children = []


# shared ------------------------------------------------------------------------------------
_ORDER_FIELD = {"bytes": "total_requested_bytes", "peak_bytes": "total_peak_bytes",
                "residual_bytes": "total_residual_bytes",
                "output_bytes": "total_output_bytes", "micros": "total_exec_micros",
                "accelerator_micros": "total_accelerator_exec_micros",
                "cpu_micros": "total_cpu_exec_micros", "params": "total_parameters",
                "float_ops": "total_float_ops"}


def sort_nodes(nodes, opts):
    """tfprof's SortNodes: the root first, then by `order_by` (descending), stable."""
    if not opts.order_by or not nodes:
        return list(nodes)
    field = _ORDER_FIELD.get(opts.order_by)

    def key(n):
        if n.name == fmt.ROOT:
            return (0, 0, "")
        if field is None:
            return (1, 0, n.name)
        return (1, -getattr(n.proto, field), "")
    return sorted(nodes, key=key)


def _passes_names(name, opts):
    if not (opts.show_name_regexes == [".*"]
            or any(fmt.full_match(r, name) for r in opts.show_name_regexes)):
        return False
    return not any(fmt.full_match(r, name) for r in opts.hide_name_regexes)


def _below_min_totals(p, opts):
    """The memory and time thresholds both views apply to a node's totals."""
    return (p.total_requested_bytes < opts.min_bytes
            or p.total_peak_bytes < opts.min_peak_bytes
            or p.total_residual_bytes < opts.min_residual_bytes
            or p.total_output_bytes < opts.min_output_bytes
            or p.total_exec_micros < opts.min_micros
            or p.total_accelerator_exec_micros < opts.min_accelerator_micros
            or p.total_cpu_exec_micros < opts.min_cpu_micros)


def _should_show_tree(node, opts, depth):
    if node.name == fmt.ROOT:
        return True
    p = node.proto
    if (_below_min_totals(p, opts)
            or p.parameters < opts.min_params or p.float_ops < opts.min_float_ops
            or p.run_count < opts.min_occurrence or depth > opts.max_depth):
        return False
    return _passes_names(node.name, opts)


def _should_trim(node, opts):
    return any(fmt.full_match(r, node.name) for r in opts.trim_name_regexes)


def _reaccount(node, opts):
    node.reinit(opts.step)
    if opts.account_type_regexes == [".*"]:
        return True
    return any(fmt.full_match(r, t) for r in opts.account_type_regexes
               for t in node.node.op_types)


def _format_into(nodes, proto):
    text = []
    for node in nodes:
        text.append(node.formatted_str)
        child = node.proto.copy_without_children()
        proto.children.append(child)
        text.append(_format_into(node.show_children, child))
    return "".join(text)


def _print_tree(roots, opts, depth, last_ident, visits=None):
    """PrintScope / PrintGraph (graph: `visits`, each node once)."""
    shown = []
    for node in roots:
        if visits is not None:
            if node.name in visits:
                continue
            visits.add(node.name)
        show = _should_show_tree(node, opts, depth)
        ident = last_ident + 2 if show else last_ident
        cnodes = []
        if not _should_trim(node, opts) and depth <= opts.max_depth:
            cnodes = _print_tree(node.show_children, opts, depth + 1, ident, visits)
        if show:
            node.show_children = []
            if opts.account_displayed_op_only:
                node.reset_totals()
                node.add_self()
            for c in sort_nodes(cnodes, opts):
                node.show_children.append(c)
                if opts.account_displayed_op_only:
                    node.aggregate(c)
            node.formatted_str = " " * last_ident + fmt.format_tree_node(node, opts) + "\n"
            shown.append(node)
        else:
            shown.extend(cnodes)
    return shown


def _search_root(roots, regexes, visits=None):
    out = []
    for root in roots:
        if visits is not None:
            if root.name in visits:
                continue
            visits.add(root.name)
        if any(fmt.full_match(r, root.name) for r in regexes):
            out.append(root)
            continue
        out.extend(_search_root(root.show_children, regexes, visits))
    return out


def _finish_tree(root, roots, opts, visits):
    root.show_children = list(roots)
    root = _print_tree([root], opts, 1, 0, visits)[0]
    root.formatted_str = fmt.tree_legend(opts) + root.formatted_str
    root.formatted_str += _format_into(root.show_children, root.proto)
    return root


# scope view ------------------------------------------------------------------------------
def _show_with_children(node, cnodes):
    """An accounted node's totals anew: its own stats plus those of its accounted children,
    which become the children it shows."""
    node.show_children = []
    node.reset_totals()
    node.add_self()
    for c in cnodes:
        node.aggregate(c)
        node.show_children.append(c)


def _account_scope(roots, opts):
    accounted = []
    for node in roots:
        node.reset_totals()
        cnodes = _account_scope(node.children, opts)
        node.account = _reaccount(node, opts)
        if node.account or cnodes:
            _show_with_children(node, cnodes)
            accounted.append(node)
    return accounted


def show_scope(data, opts):
    """The scope view's root ShowNode (its `formatted_str` is the report)."""
    nodes = {}
    for n in data.sorted_nodes():
        nodes.setdefault(n.name, ShowNode(n))
        name = n.name
        while "/" in name:
            name = name.rsplit("/", 1)[0]
            if name not in nodes:
                nodes[name] = ShowNode(profile_data.parent_node(name))
    roots = []
    for name in sorted(nodes):
        node = nodes[name]
        if "/" in name:
            nodes[name.rsplit("/", 1)[0]].children.append(node)
        else:
            roots.append(node)
    root = ShowNode(profile_data.parent_node(fmt.ROOT))
    root.children = roots
    root.reset_totals()
    if opts.output_type == "pprof":
        sys.stderr.write("Only 'code' view supports pprof output now.\n")
        return root
    with _recursion_room(len(nodes)):
        roots = _account_scope(root.children, opts)
        for n in roots:
            root.aggregate(n)
        if opts.start_name_regexes != [".*"]:
            roots = _search_root(roots, opts.start_name_regexes)
        return _finish_tree(root, roots, opts, None)


# graph view ------------------------------------------------------------------------------
def _account_graph(roots, opts, visits):
    accounted = []
    for node in roots:
        if node.name in visits:
            continue
        visits.add(node.name)
        cnodes = _account_graph(node.children, opts, visits)
        node.account = _reaccount(node, opts)
        if node.account:
            _show_with_children(node, cnodes)
            accounted.append(node)
        else:
            accounted.extend(cnodes)
    return accounted


def show_graph(data, opts):
    """The graph view's root ShowNode: a node's children are its inputs."""
    nodes = {n.name: ShowNode(n) for n in data.sorted_nodes()}
    inputs_of_others = set()
    for name in sorted(nodes):
        node = nodes[name]
        for _, inp in sorted(node.node.inputs.items()):
            inputs_of_others.add(inp)
            if inp in nodes:
                node.children.append(nodes[inp])
    root = ShowNode(profile_data.parent_node(fmt.ROOT, fmt.GRAPH_PARENT))
    root.children = [nodes[k] for k in sorted(nodes) if k not in inputs_of_others]
    root.reset_totals()
    if opts.output_type == "pprof":
        sys.stderr.write("Only 'code' view supports pprof output now.\n")
        return root
    if opts.output_type == "timeline" and opts.step < 0:
        sys.stderr.write("Must specify -step option to generate timeline in graph view.\n")
        return root
    with _recursion_room(len(nodes)):
        visits = set()
        roots = _account_graph(root.children, opts, visits)
        for n in roots:
            root.aggregate(n)
        if opts.start_name_regexes != [".*"]:
            roots = _search_root(roots, opts.start_name_regexes, set())
        return _finish_tree(root, roots, opts, set())


# op view ---------------------------------------------------------------------------------
def _should_show_multi(node, opts, depth):
    if node.name == fmt.ROOT:
        return True
    p = node.proto
    if (_below_min_totals(p, opts)
            or p.total_parameters < opts.min_params
            or p.total_float_ops < opts.min_float_ops or depth > opts.max_depth
            or opts.min_occurrence > len(node.node.snapshot)):
        return False
    return _passes_names(node.name, opts)


def show_op(data, opts):
    """The op view's root ShowMultiNode (its `formatted_str` is the report)."""
    by_type = {}
    for n in data.sorted_nodes():
        by_type.setdefault(n.op, _MultiNodeData(n.op)).nodes.setdefault(n.name, n)
    cnodes = [ShowMultiNode(by_type[t]) for t in sorted(by_type)]
    root = ShowMultiNode(_MultiNodeData(fmt.ROOT))
    root.reset_totals()
    if opts.output_type == "pprof":
        sys.stderr.write("Only 'code' view supports pprof output now.\n")
        return root
    if opts.output_type in ("stdout", "file"):
        root.formatted_str = fmt.format_op_node(root, root, opts)
    if opts.output_type == "timeline":
        sys.stderr.write("op view doesn't support timeline yet. "
                         "Consider graph/scope/code view.\n")
        return root
    if not cnodes:
        return root
    for n in cnodes:
        n.account = n.reinit(opts.step, opts.account_type_regexes)
        n.reset_totals()
        n.add_self()
    nodes = sort_nodes(cnodes, opts)
    pre = None
    accounted = []
    for n in reversed(nodes):
        if n.account:
            if pre is not None:
                n.aggregate(pre)
            accounted.append(n)
            pre = n
    accounted.reverse()
    if pre is not None:
        root.aggregate(pre)
    start = 0
    if opts.start_name_regexes and opts.start_name_regexes != [".*"]:
        start = len(accounted)
        for i, n in enumerate(accounted):
            if any(fmt.full_match(r, n.name) for r in opts.start_name_regexes):
                start = i
                break
    shown = []
    for depth, n in enumerate(accounted[start:]):
        if _should_trim(n, opts) or depth > opts.max_depth:
            break
        n.show = _should_show_multi(n, opts, depth)
        if n.show:
            shown.append(n)
    pre = None
    for n in reversed(shown):
        if opts.account_displayed_op_only:
            n.reset_totals()
            n.add_self()
            if pre is not None:
                n.aggregate(pre)
        pre = n
    if opts.account_displayed_op_only:
        root.reset_totals()
        if pre is not None:
            root.aggregate(pre)
    if opts.output_type in ("stdout", "file"):
        root.formatted_str = fmt.op_legend(opts) + "".join(
            fmt.format_op_node(n, root, opts) for n in shown)
    parent = root.proto
    for n in shown:   # as TF: a chain, each shown type the one child of the one before
        child = n.proto.copy_without_children()
        child.graph_nodes = list(n.proto.graph_nodes)
        parent.children = [child]
        parent = child
    return root
