"""TensorFlow's results for tf.quantize / quantize_v2, tf.dequantize and tf.quantized_concat,
which flowexec's tests compare bit for bit (tests/data/tf1/quantize/quantize.npz).

TensorFlow is never a flowexec dependency; run this with a scratch virtualenv's Python:

    /work/tfvenv/bin/python scripts/make_tf_quantize_fixtures.py

Every case is a row of `cases` (JSON: op, arguments); its results are `out<i>_0`, `out<i>_1`,
... (quantized outputs as their integers), or `error<i>`, TF's error class and message
(without the node trace).
"""

import json
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "tf1", "quantize", "quantize.npz")

QTYPES = {"qint8": np.int8, "quint8": np.uint8, "qint16": np.int16, "quint16": np.uint16,
          "qint32": np.int32}


def inputs():
    rng = np.random.RandomState(7)
    x = (rng.randn(4, 6) * 2).astype(np.float32)
    x[0, :4] = [0.0, -1.0, 1.0, 0.5]
    # Values on rounding ties of the [-1, 1] and [-4, 4] int8 grids, and outside the ranges.
    x[1] = np.array([-4.5, 4.5, 1 / 127.5 * 0.5, -0.5 / 127, 3.0 / 254, 10.0], np.float32)
    return x


def quantize_cases():
    cases = []
    ranges = [(-1.0, 1.0), (-3.2, 5.7), (0.5, 2.0), (0.0, 0.0), (-4.0, -1.0)]
    for t in QTYPES:
        for mode in ("MIN_COMBINED", "MIN_FIRST", "SCALED"):
            for lo, hi in ranges:
                for rm in ("HALF_AWAY_FROM_ZERO", "HALF_TO_EVEN"):
                    for narrow in (False, True):
                        if narrow and mode != "SCALED" and rm == "HALF_TO_EVEN":
                            continue
                        cases.append({"op": "quantize", "T": t, "mode": mode, "min": lo,
                                      "max": hi, "round_mode": rm, "narrow_range": narrow})
        cases.append({"op": "quantize", "T": t, "mode": "MIN_COMBINED", "min": -1.0,
                      "max": 1.0, "round_mode": "HALF_AWAY_FROM_ZERO", "narrow_range": False,
                      "ensure_minimum_range": 0.5})
    for mode in ("MIN_COMBINED", "MIN_FIRST", "SCALED"):
        for axis in (0, 1, -1):
            n = 4 if axis == 0 else 6
            cases.append({"op": "quantize", "T": "qint8", "mode": mode,
                          "min": np.linspace(-3, -0.5, n).tolist(),
                          "max": np.linspace(0.5, 4, n).tolist(),
                          "round_mode": "HALF_AWAY_FROM_ZERO", "narrow_range": False,
                          "axis": axis})
    cases.append({"op": "quantize", "T": "qint8", "mode": "MIN_COMBINED", "min": 1.0,
                  "max": -1.0, "round_mode": "HALF_AWAY_FROM_ZERO", "narrow_range": False})
    cases.append({"op": "quantize", "T": "qint8", "mode": "SCALED", "min": [-1.0, -2.0],
                  "max": [1.0, 2.0], "round_mode": "HALF_AWAY_FROM_ZERO",
                  "narrow_range": False, "axis": 1})
    return cases


def dequantize_cases():
    cases = []
    for t in QTYPES:
        for mode in ("MIN_COMBINED", "MIN_FIRST", "SCALED"):
            for lo, hi in [(-1.0, 1.0), (-3.2, 5.7), (0.0, 6.0), (2.0, 2.0)]:
                for narrow in (False, True):
                    cases.append({"op": "dequantize", "T": t, "mode": mode, "min": lo,
                                  "max": hi, "narrow_range": narrow})
    for mode in ("MIN_COMBINED", "MIN_FIRST", "SCALED"):
        cases.append({"op": "dequantize", "T": "quint8", "mode": mode,
                      "min": [-1.0, 0.0, -2.5, 0.0], "max": [1.0, 3.0, 2.5, 0.5],
                      "narrow_range": False, "axis": 0})
    return cases


def concat_cases():
    return [
        {"op": "quantized_concat", "T": "quint8", "axis": 0,
         "ranges": [[-1.0, 1.0], [-1.0, 1.0]]},
        {"op": "quantized_concat", "T": "quint8", "axis": 1,
         "ranges": [[-1.0, 1.0], [0.0, 4.0], [-2.5, 0.5]]},
        {"op": "quantized_concat", "T": "qint32", "axis": 0,
         "ranges": [[-1.0, 1.0], [0.0, 4.0]]},
        {"op": "quantized_concat", "T": "qint8", "axis": 0,
         "ranges": [[-1.0, 1.0], [0.0, 4.0]]},
    ]


def quantized_values(t, shape, seed):
    info = np.iinfo(QTYPES[t])
    rng = np.random.RandomState(seed)
    v = rng.randint(max(info.min, -2**31), min(info.max, 2**31 - 1), size=shape,
                    dtype=np.int64)
    v.reshape(-1)[:2] = [info.min, info.max]
    return v.astype(QTYPES[t])


def run_case(tf, case, i):
    if case["op"] == "quantize":
        kw = {k: case[k] for k in ("mode", "round_mode", "narrow_range", "axis",
                                   "ensure_minimum_range") if k in case}
        outs = tf.quantize(tf.constant(inputs()), case["min"], case["max"],
                           getattr(tf, case["T"]), **kw)
        outs = [tf.bitcast(outs[0], tf.as_dtype(QTYPES[case["T"]])), outs[1], outs[2]]
    elif case["op"] == "dequantize":
        q = tf.bitcast(tf.constant(quantized_values(case["T"], (4, 6), i)),
                       getattr(tf, case["T"]))
        kw = {k: case[k] for k in ("mode", "narrow_range", "axis") if k in case}
        outs = [tf.dequantize(q, case["min"], case["max"], **kw)]
    else:
        vals = [tf.bitcast(tf.constant(quantized_values(case["T"], (2, 3), i + j)),
                           getattr(tf, case["T"])) for j in range(len(case["ranges"]))]
        outs = tf.quantized_concat(case["axis"], vals, [r[0] for r in case["ranges"]],
                                   [r[1] for r in case["ranges"]])
        outs = [tf.bitcast(outs[0], tf.as_dtype(QTYPES[case["T"]])), outs[1], outs[2]]
    return outs


def main():
    import tensorflow.compat.v1 as tf

    tf.disable_v2_behavior()
    cases = quantize_cases() + dequantize_cases() + concat_cases()
    out = {"cases": np.array(json.dumps(cases)), "input": inputs()}
    for i, case in enumerate(cases):
        with tf.Graph().as_default():
            try:
                outs = run_case(tf, case, i)
                with tf.Session() as sess:
                    for j, v in enumerate(sess.run(outs)):
                        out[f"out{i}_{j}"] = np.asarray(v)
            except (tf.errors.OpError, ValueError, TypeError) as e:
                lines = getattr(e, "message", str(e)).splitlines()
                nodes = [k for k, line in enumerate(lines) if line.startswith("Node: ")]
                text = lines[nodes[0] + 1] if nodes else lines[0]
                out[f"error{i}"] = np.array(f"{type(e).__name__}: {text}")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    np.savez_compressed(OUT, **out)
    print("wrote", OUT, len(cases), "cases,", sum(k.startswith("error") for k in out),
          "errors")


if __name__ == "__main__":
    main()
