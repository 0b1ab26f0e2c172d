"""Arithmetic simplification: algebraic rewrites of Add, Mul, Neg, Transpose, Cast, Reshape,
MatMul, as TF's ArithmeticOptimizer does them.

Rules (each keeps the node's name when it replaces it, so fetches and control edges hold;
a node that becomes unused is dropped; a fetched, fed or targeted node may be rebuilt in
place but is never forwarded away):

* neutral elements: `x + 0`, `0 + x`, `x - 0`, `x * 1`, `1 * x`, `x / 1` -> `x`, when the
  constant cannot change the result's shape (a single element, or the same static shape);
* `x * x` -> `Square(x)` (the same ufunc result);
* constant chains re-associated: `(x + c1) + c2` -> `x + (c1 + c2)`, the same for `*`
  (the inner node having no other reader): a chain of n adds of constants is one add;
* add chains -> AddN: a tree of Adds over >= 3 tensors of one fully defined shape (inner
  nodes with no other reader) becomes one AddN (left to right, as the tree's leaves);
* involutions: `Neg(Neg(x))`, `LogicalNot(LogicalNot(x))`, `Conj(Conj(x))` -> `x`;
  `Transpose(Transpose(x, p1), p2)` -> `x` when the permutations cancel, else one Transpose;
* redundant conversions: `Cast` to the input's dtype, `Reshape` to the input's own fully
  defined shape -> the input; `Reshape(Reshape(x, s1), s2)` -> `Reshape(x, s2)`;
* `MatMul(Transpose(a, [1, 0]), b)` -> `MatMul(a, b, transpose_a=True)` (and for `b`).

Re-association (constant chains, add trees other than left-deep chains) rounds floating
point differently from the graph as written, as in TF; everything else is exact.
"""

import numpy as np

from flowexec.runtime.ir import make_node
from flowexec.runtime.optimize.rewrite import Rewrite

_IDENTITY_CONSTANT = {"Add": (0, (0, 1)), "Sub": (0, (1,)), "Mul": (1, (0, 1)),
                      "RealDiv": (1, (1,))}  # op: (neutral value, positions it may take)
_INVOLUTIONS = ("Neg", "LogicalNot", "Conj")
_ASSOCIATIVE = ("Add", "Mul")


class _Simplifier:
    def __init__(self, graph):
        self.rw = Rewrite(graph)
        self.consumers = self.rw.consumers()
        self.counts = {}
        self.addn_made = set()
        self.rules = (self.neutral, self.square, self.constant_chain, self.add_tree,
                      self.involution, self.transpose_pair, self.redundant_conversion,
                      self.reshape_pair, self.matmul_transpose)
        self.rebuilding = (self.square, self.constant_chain, self.add_tree,
                           self.transpose_pair, self.reshape_pair, self.matmul_transpose)

    def note(self, rule):
        self.counts[rule] = self.counts.get(rule, 0) + 1

    def const(self, ref):
        """The numpy value of `ref` when a Const produces it (not fed), else None."""
        p = self.rw.producer(ref)
        if p is None or p.op_def.constant is None:
            return None
        return np.asarray(p.op_def.constant(p))

    def private(self, node):
        """Whether `node` may disappear into its single reader: not protected, one reader,
        no control readers (checked by the caller through liveness)."""
        return (node is not None and not self.rw.protected(node.name)
                and len(self.consumers.get(node.name, ())) == 1)

    def new_const(self, base, value, like, origin_node):
        node = make_node("Const", self.rw.fresh_name(base), (),
                         {"value": value, "dtype": like.dtype}, origin=origin_node.origin,
                         device=origin_node.device, colocation=origin_node.colocation,
                         outputs=[(like.dtype, value.shape)])
        self.rw.add(node)
        return node.outputs[0]

    def rebuild(self, node, op_type, inputs, attrs=None, origin=None, controls=None):
        new = make_node(op_type, node.name, inputs, node.attrs if attrs is None else attrs,
                        control_inputs=node.control_inputs if controls is None else controls,
                        origin=node.origin if origin is None else origin, device=node.device,
                        colocation=node.colocation,
                        outputs=list(zip(node.output_dtypes, node.output_shapes)))
        self.rw.replace(new)
        return new

    # rules ------------------------------------------------------------------------------
    def run(self):
        rw = self.rw
        for name in list(rw.order):
            node = rw.current(name)
            # a fetched, fed or targeted node keeps its name and outputs: it may be rebuilt
            # in place, never forwarded away
            rules = self.rebuilding if rw.protected(name) else self.rules
            for rule in rules:
                if rule(node):
                    break

    def forward(self, node, ref, rule, extra_controls=()):
        controls = tuple(node.control_inputs) + tuple(extra_controls)
        self.rw.forward(node.outputs[0], ref, controls)
        self.note(rule)
        return True

    def neutral(self, node):
        spec = _IDENTITY_CONSTANT.get(node.type)
        if spec is None or not node.output_dtypes[0].is_numeric:
            return False
        neutral, positions = spec
        for pos in positions:
            c = self.const(node.inputs[pos])
            if c is None or c.dtype.kind not in "iufc" or not np.all(c == neutral):
                continue
            x = node.inputs[1 - pos]
            out_shape = node.output_shapes[0]
            same = (x.shape.is_fully_defined() and out_shape.is_fully_defined()
                    and x.shape.as_list() == out_shape.as_list())
            small = c.size == 1 and x.shape.ndims is not None and c.ndim <= x.shape.ndims
            if same or small:
                return self.forward(node, x, f"{node.type.lower()}_neutral_element")
        return False

    def square(self, node):
        if node.type != "Mul" or node.inputs[0] != node.inputs[1]:
            return False
        self.rebuild(node, "Square", (node.inputs[0],), attrs={})
        self.note("mul_to_square")
        return True

    def _const_operand(self, node):
        """`(position, value)` of a constant operand of a binary node, else (None, None)."""
        if len(node.inputs) != 2:
            return None, None
        for pos in (1, 0):
            c = self.const(node.inputs[pos])
            if c is not None and self.const(node.inputs[1 - pos]) is None:
                return pos, c
        return None, None

    def _chain_link(self, node, op_type):
        """Whether `node` is an inner link of a constant chain: `op(y, c)` with one reader,
        no control inputs, not protected."""
        return (node is not None and node.type == op_type and self.private(node)
                and not node.control_inputs and self._const_operand(node)[0] is not None)

    def constant_chain(self, node):
        if node.type not in _ASSOCIATIVE or self._const_operand(node)[0] is None:
            return False
        readers = self.consumers.get(node.name, ())
        if len(readers) == 1 and self._chain_link(node, node.type):
            reader = self.rw.current(readers[0])
            pos, _ = self._const_operand(reader)
            if reader.type == node.type and pos is not None and \
                    reader.inputs[1 - pos].node == node.name:
                return True  # left as it is: the reader folds the whole chain at once
        chain, consts = [node], []
        cur = node
        while True:
            pos, c = self._const_operand(cur)
            consts.append(c)
            inner = self.rw.producer(cur.inputs[1 - pos])
            if not self._chain_link(inner, node.type):
                x = cur.inputs[1 - pos]
                break
            chain.append(inner)
            cur = inner
        if len(consts) < 2:
            return False
        combined = consts[-1]
        for c in reversed(consts[:-1]):  # innermost first: ((x + c1) + c2) -> c1 + c2
            combined = np.asarray(node.op_def.evaluate(node, [combined, c])[0])
        if combined.dtype != consts[0].dtype:
            return False
        c = self.new_const(f"{node.name}/ArithmeticOptimizer/const", combined,
                           node.outputs[0], node)
        self.rebuild(node, node.type, (x, c), origin=_merge_origins(*reversed(chain)))
        self.note(f"{node.type.lower()}_constant_chain")
        return True

    def add_tree(self, node):
        if node.type not in ("Add", "AddN") or not _uniform(node, node):
            return False
        readers = self.consumers.get(node.name, ())
        if len(readers) == 1 and self.private(node) and not node.control_inputs:
            reader = self.rw.current(readers[0])
            if reader.type in ("Add", "AddN") and _uniform(reader, reader) and \
                    _uniform(node, reader):
                return False  # the reader takes this add into its own tree
        leaves = []
        absorbed = []
        stack = list(reversed(node.inputs))
        while stack:
            r = stack.pop()
            p = self.rw.producer(r)
            if p is not None and p.type in ("Add", "AddN") and self.private(p) and \
                    not p.control_inputs and _uniform(p, node):
                absorbed.append(p)
                stack.extend(reversed(p.inputs))
            else:
                leaves.append(r)
        if len(leaves) < 3 or (node.type == "AddN" and not absorbed):
            return False
        self.rebuild(node, "AddN", tuple(leaves), attrs={},
                     origin=_merge_origins(*absorbed, node))
        self.addn_made -= {p.name for p in absorbed}  # an AddN made here may grow
        self.addn_made.add(node.name)
        self.counts["add_chain_to_addn"] = len(self.addn_made)
        return True

    def involution(self, node):
        if node.type not in _INVOLUTIONS:
            return False
        inner = self.rw.producer(node.inputs[0])
        if inner is None or inner.type != node.type:
            return False
        return self.forward(node, inner.inputs[0], f"double_{node.type.lower()}",
                            inner.control_inputs)

    def transpose_pair(self, node):
        if node.type != "Transpose":
            return False
        inner = self.rw.producer(node.inputs[0])
        if inner is None or inner.type != "Transpose":
            return False
        p1, p2 = self.const(inner.inputs[1]), self.const(node.inputs[1])
        if p1 is None or p2 is None or p1.shape != p2.shape:
            return False
        composed = p1[p2]
        if np.array_equal(composed, np.arange(len(composed))):
            return self.forward(node, inner.inputs[0], "double_transpose",
                                inner.control_inputs)
        perm = self.new_const(f"{node.name}/ArithmeticOptimizer/perm",
                              composed.astype(p2.dtype), node.inputs[1], node)
        self.rebuild(node, "Transpose", (inner.inputs[0], perm),
                     origin=_merge_origins(inner, node),
                     controls=_union(node.control_inputs, inner.control_inputs))
        self.note("transpose_pair")
        return True

    def redundant_conversion(self, node):
        x = node.inputs[0] if node.inputs else None
        if node.type == "Cast" and x.dtype is node.output_dtypes[0]:
            return self.forward(node, x, "redundant_cast")
        if node.type == "Reshape":
            out = node.output_shapes[0]
            if x.shape.is_fully_defined() and out.is_fully_defined() and \
                    x.shape.as_list() == out.as_list():
                return self.forward(node, x, "redundant_reshape")
        return False

    def reshape_pair(self, node):
        if node.type != "Reshape":
            return False
        inner = self.rw.producer(node.inputs[0])
        if inner is None or inner.type != "Reshape" or inner.control_inputs or \
                not inner.inputs[0].shape.is_fully_defined():
            return False  # a known input shape: inner's reshape was checked at build time
        self.rebuild(node, "Reshape", (inner.inputs[0], node.inputs[1]),
                     origin=_merge_origins(inner, node))
        self.note("reshape_pair")
        return True

    def matmul_transpose(self, node):
        if node.type != "MatMul":
            return False
        attrs = dict(node.attrs)
        inputs = list(node.inputs)
        origins = [node]
        controls = list(node.control_inputs)
        for pos, key in ((0, "transpose_a"), (1, "transpose_b")):
            t = self.rw.producer(inputs[pos])
            if t is None or t.type != "Transpose":
                continue
            perm = self.const(t.inputs[1])
            if perm is None or perm.tolist() != [1, 0]:
                continue
            inputs[pos] = t.inputs[0]
            attrs[key] = not attrs.get(key, False)
            origins.insert(0, t)
            controls = _union(controls, t.control_inputs)
        if len(origins) == 1:
            return False
        self.rebuild(node, "MatMul", tuple(inputs), attrs=attrs,
                     origin=_merge_origins(*origins), controls=controls)
        self.note("transpose_into_matmul")
        return True


def _uniform(node, root):
    """Whether `node` is an add whose inputs and output share `root`'s dtype and fully
    defined shape (AddN neither broadcasts nor converts)."""
    shape = root.output_shapes[0]
    if not shape.is_fully_defined() or not root.output_dtypes[0].is_numeric:
        return False
    want = shape.as_list()
    return node.output_dtypes[0] is root.output_dtypes[0] and all(
        r.dtype is root.output_dtypes[0] and r.shape.is_fully_defined() and
        r.shape.as_list() == want for r in node.inputs)


def _union(a, b):
    out = list(a)
    out += [c for c in b if c not in out]
    return tuple(out)


def _merge_origins(*nodes):
    return tuple(dict.fromkeys(o for n in nodes for o in n.origin))


def simplify(graph):
    """Returns `(graph, description or None)`."""
    s = _Simplifier(graph)
    s.run()
    if not s.counts:
        return graph, None
    return s.rw.finish(), ", ".join(f"{k} x{v}" for k, v in sorted(s.counts.items()))
