"""Writes flowexec/graph_io/tf_op_defs.json: TensorFlow's OpDef of every op type flowexec
registers that TensorFlow has (inputs, outputs, attributes with types, defaults and allowed
values, statefulness), so that export and import follow TF's attribute schema exactly.

TensorFlow is never a dependency: run this by hand with a scratch virtualenv that has it,

    python -c "import flowexec.ops" && \\
    /work/tfvenv/bin/python scripts/gen_tf_op_defs.py [--flowexec-python python3]

The op list comes from flowexec (run by `--flowexec-python` in a subprocess, so the
TensorFlow virtualenv needs no flowexec dependencies); the OpDefs from TF's registry.
Op types TF lacks are listed under "flowexec_only".
"""

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "flowexec", "graph_io", "tf_op_defs.json")

_LIST = ("import flowexec, json; from flowexec.framework import registry; "
         "print(json.dumps(sorted(registry.registered_ops())))")


def _flowexec_ops(python):
    env = dict(os.environ, PYTHONPATH=ROOT)
    out = subprocess.run([python, "-c", _LIST], check=True, capture_output=True, text=True,
                         env=env, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def _attr_value(av):
    from google.protobuf import json_format

    return json_format.MessageToDict(av, preserving_proto_field_name=True)


def _arg(a):
    out = {"name": a.name}
    for key in ("type_attr", "number_attr", "type_list_attr"):
        if getattr(a, key):
            out[key] = getattr(a, key)
    if a.type:
        out["type"] = int(a.type)
    if a.is_ref:
        out["is_ref"] = True
    return out


def _op_def(od):
    attrs = []
    for a in od.attr:
        entry = {"name": a.name, "type": a.type}
        if a.HasField("default_value"):
            entry["default"] = _attr_value(a.default_value)
        if a.HasField("allowed_values"):
            entry["allowed"] = _attr_value(a.allowed_values)
        if a.has_minimum:
            entry["minimum"] = int(a.minimum)
        attrs.append(entry)
    out = {"input_arg": [_arg(a) for a in od.input_arg],
           "output_arg": [_arg(a) for a in od.output_arg], "attr": attrs}
    for flag in ("is_stateful", "is_commutative", "is_aggregate", "allows_uninitialized_input"):
        if getattr(od, flag):
            out[flag] = True
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flowexec-python", default="python3")
    args = parser.parse_args()
    import tensorflow as tf
    from tensorflow.python.framework import op_def_registry

    names = _flowexec_ops(args.flowexec_python)
    ops, missing = {}, []
    for name in names:
        od = op_def_registry.get(name)
        if od is None:
            missing.append(name)
        else:
            ops[name] = _op_def(od)
    data = {"tensorflow_version": tf.__version__, "ops": ops, "flowexec_only": missing}
    with open(OUT, "w") as f:
        json.dump(data, f, indent=0, sort_keys=True)
        f.write("\n")
    print(f"{len(ops)} OpDefs from TensorFlow {tf.__version__} -> {OUT}; flowexec only: "
          f"{missing}", file=sys.stderr)


if __name__ == "__main__":
    main()
