"""TensorFlow's outputs for flowexec's CTC losses, decoders, label helpers and edit distance,
recorded for tests/ops/test_ctc_fixtures.py.

TensorFlow is never a flowexec dependency; run this with a scratch virtualenv's Python:

    /work/tfvenv/bin/python scripts/make_tf_ctc_fixtures.py
    # -> tests/data/tf1/ctc/cases.npz

The cases and the graph each builds are in tests/ops/ctc_fixture_cases.py (shared with the
test). The file holds `meta`, a JSON document (as uint8): per case its fetch names, or the
error TF raised (type and message, the text after "Node: '...'" without the node lines); and
arrays named `<case>__<fetch>`.
"""

import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "tf1", "ctc")
sys.path.insert(0, ROOT)

from tests.ops import ctc_fixture_cases  # noqa: E402


def _message(e):
    lines = [ln for ln in e.message.split("\n")]
    if any(ln.startswith("Node: ") for ln in lines):
        start = next(i for i, ln in enumerate(lines) if ln.startswith("Node: ")) + 1
        lines = lines[start:]
    lines = [ln for ln in lines if not ln.strip().startswith("[[")]
    return "\n".join(lines).strip("\n")


def main():
    import tensorflow as tf

    tf.compat.v1.disable_eager_execution()
    v1 = tf.compat.v1
    meta, arrays = {}, {}
    for name, case in ctc_fixture_cases.CASES.items():
        graph = tf.Graph()
        with graph.as_default():
            xs = ctc_fixture_cases.inputs(case)
            fetch = ctc_fixture_cases.build(v1, case, xs)
            keys = sorted(fetch)
            with v1.Session() as sess:
                try:
                    values = sess.run([fetch[k] for k in keys])
                except tf.errors.OpError as e:
                    meta[name] = {"error": type(e).__name__, "message": _message(e)}
                    continue
        if case.get("error"):
            raise SystemExit(f"{name}: expected an error, TF ran it")
        meta[name] = {"fetches": keys}
        for k, v in zip(keys, values):
            arrays[f"{name}__{k}"] = np.asarray(v)
    os.makedirs(OUT, exist_ok=True)
    arrays["meta"] = np.frombuffer(json.dumps(meta, indent=1).encode(), np.uint8)
    np.savez_compressed(os.path.join(OUT, "cases.npz"), **arrays)
    print(f"{len(meta)} cases -> {os.path.relpath(OUT, ROOT)}/cases.npz")
    for name, m in meta.items():
        if "error" in m:
            print(f"  {name}: {m['error']}: {m['message'][:120]!r}")


if __name__ == "__main__":
    main()
