"""TensorFlow's attribute schema of each op flowexec registers, read from TF's own OpDefs.

`tf_op_defs.json` beside this file holds TF's OpDef (input and output args, attributes
with types, defaults and allowed values) of every op type flowexec registers; it is
generated from TensorFlow by `scripts/gen_tf_op_defs.py` and loaded on first use. Op types
TF lacks are listed there as flowexec-only.

Export and import read the same schema (`OpSchema`): which attributes a NodeDef carries,
their defaults, and how the type attributes (`T`, `Tidx`, `N`, `out_type`, `dtype`, ...)
follow from the op's inputs and outputs (`derive_type_attrs`). An op's own
`defop(node_def=NodeDefForm(...))` says where its NodeDef differs (ref inputs,
flowexec-only ops).
"""

import json
import os
import threading

from flowexec.framework import dtypes

__all__ = ["OpSchema", "schema_for", "tf_version"]

_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tf_op_defs.json")
_lock = threading.Lock()
_data = {}


def _load():
    if not _data:
        with _lock:
            if not _data:
                with open(_PATH) as f:
                    raw = json.load(f)
                _data["ops"] = {name: OpSchema(name, d) for name, d in raw["ops"].items()}
                _data["flowexec_only"] = frozenset(raw["flowexec_only"])
                _data["version"] = raw["tensorflow_version"]
    return _data


def schema_for(op_type):
    """TF's `OpSchema` of `op_type`, or None where TensorFlow has no such op."""
    return _load()["ops"].get(op_type)


def tf_version():
    """The TensorFlow version the schemas were generated from."""
    return _load()["version"]


class ArgSpec:
    """One input or output argument of an OpDef."""

    __slots__ = ("is_ref", "name", "number_attr", "type", "type_attr", "type_list_attr")

    def __init__(self, d):
        self.name = d["name"]
        self.type_attr = d.get("type_attr")
        self.number_attr = d.get("number_attr")
        self.type_list_attr = d.get("type_list_attr")
        self.type = dtypes.as_dtype(d["type"]) if d.get("type") else None
        self.is_ref = bool(d.get("is_ref"))

    @property
    def is_list(self):
        return bool(self.number_attr or self.type_list_attr)


class AttrSpec:
    """One attribute of an OpDef: name, TF type ("int", "list(type)", ...), default."""

    __slots__ = ("allowed", "default", "minimum", "name", "type")

    def __init__(self, d):
        self.name = d["name"]
        self.type = d["type"]
        self.default = d.get("default")  # AttrValue as a JSON dict, or None
        self.allowed = d.get("allowed")
        self.minimum = d.get("minimum")


class OpSchema:
    """TF's OpDef of one op type, as export and import use it."""

    def __init__(self, op_type, d):
        self.type = op_type
        self.inputs = [ArgSpec(a) for a in d["input_arg"]]
        self.outputs = [ArgSpec(a) for a in d["output_arg"]]
        self.attrs = {a["name"]: AttrSpec(a) for a in d["attr"]}
        self.is_stateful = bool(d.get("is_stateful"))
        self._raw = d

    def op_def(self, op_def_cls, attr_value_cls):
        """TF's OpDef proto of this op type (without docs, as TF's stripped_op_list has it)."""
        from google.protobuf import json_format

        od = op_def_cls(name=self.type)
        for field, args in (("input_arg", self._raw["input_arg"]),
                            ("output_arg", self._raw["output_arg"])):
            for a in args:
                getattr(od, field).add(**a)
        for a in self._raw["attr"]:
            ad = od.attr.add(name=a["name"], type=a["type"])
            if "default" in a:
                ad.default_value.CopyFrom(json_format.ParseDict(a["default"], attr_value_cls()))
            if "allowed" in a:
                ad.allowed_values.CopyFrom(json_format.ParseDict(a["allowed"], attr_value_cls()))
            if "minimum" in a:
                ad.has_minimum, ad.minimum = True, a["minimum"]
        for flag in ("is_stateful", "is_commutative", "is_aggregate",
                     "allows_uninitialized_input"):
            setattr(od, flag, bool(self._raw.get(flag)))
        return od

    def default_attr_value(self, name, attr_value_cls):
        """The AttrValue proto of attribute `name`'s default, or None when it has none."""
        from google.protobuf import json_format

        spec = self.attrs[name]
        if spec.default is None:
            return None
        return json_format.ParseDict(spec.default, attr_value_cls())

    def split_inputs(self, n, known_counts=None):
        """How `n` input tensors fall into the input args: [(ArgSpec, start, stop)].

        A list argument takes what the others leave; with several list arguments, their
        lengths come from `known_counts` ({number or type-list attribute: count}).

        Raises:
            ValueError: the count does not fit the OpDef.
        """
        known_counts = known_counts or {}
        fixed = sum(1 for a in self.inputs if not a.is_list)
        lists = [a for a in self.inputs if a.is_list]
        unknown = [a for a in lists if (a.number_attr or a.type_list_attr) not in known_counts]
        free = n - fixed - sum(known_counts.get(a.number_attr or a.type_list_attr, 0)
                               for a in lists if a not in unknown)
        if len(unknown) > 1 or free < 0 or (not unknown and free != 0):
            raise ValueError(self.signature_error(n))
        out, i = [], 0
        for a in self.inputs:
            if a.is_list:
                k = known_counts.get(a.number_attr or a.type_list_attr, free)
            else:
                k = 1
            out.append((a, i, i + k))
            i += k
        return out

    def signature_error(self, n):
        return (f"{self.type} expects {len(self.inputs)} input argument(s) "
                f"({', '.join(a.name for a in self.inputs)}); {n} input(s) do not fit")

    def derive_type_attrs(self, input_dtypes, output_dtypes, known_counts=None):
        """The type and number attributes that the inputs' and outputs' dtypes determine.

        Args:
            input_dtypes: one DType per input tensor (in order).
            output_dtypes: one DType per output tensor.
            known_counts: list lengths known from attributes (see `split_inputs`).

        Returns:
            {attribute name: DType | [DType] | int}.

        Raises:
            ValueError: the counts do not fit the OpDef.
            TypeError: two tensors bound to one type attribute have different dtypes
                (the message names both).
        """
        derived = {}
        for arg, start, stop in self.split_inputs(len(input_dtypes), known_counts):
            self._bind(derived, arg, list(input_dtypes[start:stop]), "input")
        outs = list(output_dtypes)
        lists = [a for a in self.outputs if a.is_list]
        fixed = len(self.outputs) - len(lists)
        i = 0
        for arg in self.outputs:
            if arg.is_list:
                key = arg.number_attr or arg.type_list_attr
                k = derived[key] if isinstance(derived.get(key), int) else (
                    len(derived[key]) if key in derived else len(outs) - fixed)
            else:
                k = 1
            self._bind(derived, arg, outs[i:i + k], "output")
            i += k
        return derived

    def _bind(self, derived, arg, dts, where):
        if arg.number_attr:
            derived.setdefault(arg.number_attr, len(dts))
            if arg.type_attr and dts:
                self._bind_type(derived, arg, dts[0], where)
                for dt in dts[1:]:
                    self._bind_type(derived, arg, dt, where)
        elif arg.type_list_attr:
            derived.setdefault(arg.type_list_attr, list(dts))
        elif arg.type_attr and dts:
            self._bind_type(derived, arg, dts[0], where)

    def _bind_type(self, derived, arg, dt, where):
        dt = dt.base_dtype
        have = derived.setdefault(arg.type_attr, dt)
        if have is not dt:
            raise TypeError(f"{self.type}: {where} '{arg.name}' has type {dt.name} but "
                            f"attribute {arg.type_attr} is {have.name} from another argument")

    @property
    def type_attr_names(self):
        """Attributes that name an argument's dtype or count (`T`, `N`, `Tidx`, ...)."""
        names = set()
        for a in self.inputs + self.outputs:
            names.update(n for n in (a.type_attr, a.number_attr, a.type_list_attr) if n)
        return names
