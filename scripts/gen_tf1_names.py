"""Generate scripts/data/tf1_public_names.json: the public names of TF 1.x's everyday namespaces.

TensorFlow is never a dependency of flowexec. This script is run once, by hand, in a scratch
virtualenv that has TensorFlow installed, and its output is committed; scripts/api_coverage.py
reads the committed file.

    python -m venv /tmp/tfvenv
    /tmp/tfvenv/bin/pip install tensorflow-cpu tf-keras   # tf-keras: tf.layers, tf.nn.rnn_cell
    /tmp/tfvenv/bin/python scripts/gen_tf1_names.py

The names are read from `tensorflow.compat.v1`, which is TF 1.x's API as TF 2 still ships it
(`TF_USE_LEGACY_KERAS=1` makes its `tf.layers` and `tf.nn.rnn_cell` load). Each name gets a kind:
`module`, `class`, `function` (any other callable) or `constant` (DTypes, error codes, values).
"""

import argparse
import inspect
import json
import os
import pathlib
import sys
import types

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

NAMESPACES = (
    "tf", "tf.nn", "tf.train", "tf.layers", "tf.losses", "tf.math", "tf.random", "tf.data",
    "tf.summary", "tf.metrics", "tf.initializers", "tf.errors", "tf.nn.rnn_cell", "tf.app",
    "tf.flags", "tf.graph_util", "tf.debugging", "tf.dtypes", "tf.compat", "tf.linalg",
)

DEFAULT_OUT = pathlib.Path(__file__).resolve().parent / "data" / "tf1_public_names.json"


def kind_of(value):
    """The kind recorded for one public value: module, class, function or constant."""
    if isinstance(value, types.ModuleType):
        return "module"
    if inspect.isclass(value):
        return "class"
    if callable(value):
        return "function"
    return "constant"


def resolve(root, dotted):
    """The object named `dotted` ("tf.nn.rnn_cell") below `root` (the object named "tf")."""
    obj = root
    for part in dotted.split(".")[1:]:
        obj = getattr(obj, part)
    return obj


def public_names(namespace_obj):
    """{name: kind} for the public (non-underscore) names of one namespace."""
    names = {}
    for name in sorted(dir(namespace_obj)):
        if name.startswith("_"):
            continue
        names[name] = kind_of(getattr(namespace_obj, name))
    return names


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    import tensorflow
    import tensorflow.compat.v1 as tf1

    data = {
        "source": "tensorflow.compat.v1",
        "tensorflow_version": tensorflow.__version__,
        "generated_by": "scripts/gen_tf1_names.py",
        "namespaces": {ns: public_names(resolve(tf1, ns)) for ns in NAMESPACES},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    total = sum(len(v) for v in data["namespaces"].values())
    print(f"wrote {args.out}: {total} names in {len(NAMESPACES)} namespaces", file=sys.stderr)


if __name__ == "__main__":
    main()
