"""How an op's TensorFlow NodeDef differs from the op as flowexec builds it.

Most ops are TF's op of the same type: inputs in TF's order, attributes by TF's names, and
their NodeDef follows from TF's OpDef alone (graph_io/schema.py). The few that differ say
how, declaratively, in their `defop(..., node_def=NodeDefForm(...))`, so export and import
are the same rule read both ways:

* TF 1.x ref-variable ops (Assign, AssignAdd, IsVariableInitialized, CountUpTo, the Apply
  ops) take the variable's *ref* as an input. flowexec names the variable in an attribute
  (`ref_attr`: `var_name`, or `var_names` for several) and takes the variable's tensor as
  an input only where `ref_is_input`; `var_attrs` are attributes copied from the variable
  (its dtype and shape), which a NodeDef does not carry.
* `fixed_attrs`: flowexec attributes TF's op lacks, with the one value TF's op implies
  (MatrixDiag's `k=0`): export refuses any other value, import fills it in.
* `flowexec_only`: no TF op has these semantics (internal gradient helpers, fused steps);
  export refuses them with `reason`.
* `local_attrs`: attributes that live only in this process (a Python callable); a NodeDef
  leaves them out.
* `importable=False`: importing would run code from the file (PyFunc), so import refuses.
"""

__all__ = ["NodeDefForm"]


class NodeDefForm:
    """The declared differences between an op and its TF NodeDef (see the module docstring).

    Args:
        ref_attr: the attribute naming the variable(s) whose refs TF takes as inputs.
        ref_is_input: flowexec also takes the variables' tensors as inputs (TF's order).
        var_attrs: {flowexec attribute: "dtype" | "shape"} copied from the variable.
        fixed_attrs: {attribute: the value TF's op implies}.
        local_attrs: attributes a NodeDef leaves out (process-local values).
        flowexec_only: TF has no op with these semantics.
        importable: a NodeDef of this type may be imported.
        reason: why an op is flowexec-only or not importable (for the error message).
    """

    __slots__ = ("fixed_attrs", "flowexec_only", "importable", "local_attrs", "reason",
                 "ref_attr", "ref_is_input", "var_attrs")

    def __init__(self, *, ref_attr=None, ref_is_input=False, var_attrs=None, fixed_attrs=None,
                 local_attrs=(), flowexec_only=False, importable=True, reason=""):
        self.ref_attr = ref_attr
        self.ref_is_input = bool(ref_is_input)
        self.var_attrs = dict(var_attrs or {})
        self.fixed_attrs = dict(fixed_attrs or {})
        self.local_attrs = tuple(local_attrs)
        self.flowexec_only = bool(flowexec_only)
        self.importable = bool(importable)
        self.reason = reason

    @property
    def internal_attrs(self):
        """The flowexec attributes a NodeDef never carries."""
        names = set(self.var_attrs) | set(self.fixed_attrs) | set(self.local_attrs)
        if self.ref_attr:
            names.add(self.ref_attr)
        return names

    def __repr__(self):
        fields = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__
                           if getattr(self, k))
        return f"NodeDefForm({fields})"


DEFAULT = NodeDefForm()
