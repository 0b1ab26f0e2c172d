"""Records TensorFlow's outputs for the misc API names (quantize_and_dequantize, the unicode
string ops, ngrams, index_shuffle) into tests/data/tf1/misc_api/, and TF's ICU script codes
for every code point into flowexec/ops/unicode_script_table.py (run-length ranges).

Run with a TensorFlow install (never a flowexec dependency):
    /work/tfvenv/bin/python scripts/make_tf_misc_api_fixtures.py
"""

import json
import os

import numpy as np
import tensorflow as tf

t = tf.compat.v1
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "tf1", "misc_api")
X = np.array([-1.7, -1.0, -0.55, -0.25, 0.0, 0.123, 0.5, 0.55, 1.0, 1.6], np.float32)
X2 = np.array([[-1.2, 0.3, 0.9], [0.05, -0.4, 2.5], [0.7, -0.01, 0.2], [-3.0, 1.1, 0.6]],
              np.float32)
QDQ_CASES = {  # name: (input, min, max, kwargs)
    "default": (X, 0.0, 0.0, {}),
    "range_given": (X, -1.0, 1.0, {"range_given": True}),
    "unsigned": (np.abs(X), 0.0, 1.0, {"signed_input": False, "range_given": True,
                                      "num_bits": 4}),
    "narrow": (X, -1.0, 1.0, {"range_given": True, "narrow_range": True, "num_bits": 3}),
    "half_up": (X, -1.0, 1.0, {"range_given": True, "round_mode": "HALF_UP", "num_bits": 3}),
    "axis_computed": (X2, np.zeros(3, np.float32), np.zeros(3, np.float32),
                      {"axis": 1, "num_bits": 5}),
    "asym": (X, -0.3, 1.2, {"range_given": True, "num_bits": 4}),
}


def qdq_fixtures():
    out = {}
    with tf.Graph().as_default(), t.Session() as sess:
        for name, (x, lo, hi, kw) in QDQ_CASES.items():
            for fn in ("quantize_and_dequantize", "quantize_and_dequantize_v2"):
                xt = tf.constant(x)
                y = getattr(t.quantization, fn)(xt, lo, hi, **kw)
                w = tf.constant(np.linspace(0.5, 1.5, x.size, dtype=np.float32).reshape(x.shape))
                g, = tf.gradients(y * w, xt)
                yv, gv = sess.run([y, g])
                out[f"{fn}_{name}_y"], out[f"{fn}_{name}_dx"] = yv, gv
    np.savez(os.path.join(OUT, "quantize_and_dequantize.npz"), **out)


TRANSCODE = [  # (bytes, input_encoding, output_encoding, errors, replacement, control)
    (b"Hello \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "UTF-8", "UTF-16-BE", "replace", 65533, False),
    (b"Hello \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "UTF-8", "UTF-32-BE", "replace", 65533, False),
    (b"a\xffb\xc3c\xe2\x82d\xf0\x9f\x98", "UTF-8", "UTF-8", "replace", 65533, False),
    (b"a\xffb\xc3c\xe2\x82d", "UTF-8", "UTF-8", "replace", ord("?"), False),
    (b"a\xffb\xc3c\xe2\x82d", "UTF-8", "UTF-8", "ignore", 65533, False),
    (b"a\x01b\tc\x1f", "UTF-8", "UTF-8", "replace", ord("#"), True),
    (b"\x00H\x00i\xd8\x3d\xde\x00", "UTF-16-BE", "UTF-8", "replace", 65533, False),
    (b"\x00H\xd8\x3d\x00i", "UTF-16-BE", "UTF-8", "replace", 65533, False),
    (b"\x00\x00\x00H\x00\x01\xf6\x00\x00\x11\x00\x00", "UTF-32-BE", "UTF-8", "replace", 65533,
     False),
]


def string_fixtures():
    rec = {"transcode": [], "transcode_strict_error": None, "ngrams": [], "encode": []}
    with tf.Graph().as_default(), t.Session() as sess:
        for data, ie, oe, err, rep, ctl in TRANSCODE:
            y = t.strings.unicode_transcode(tf.constant(data), ie, oe, errors=err,
                                            replacement_char=rep,
                                            replace_control_characters=ctl)
            rec["transcode"].append([data.hex(), ie, oe, err, rep, ctl, sess.run(y).hex()])
        try:
            sess.run(t.strings.unicode_transcode(tf.constant(b"a\xff"), "UTF-8", "UTF-8",
                                                 errors="strict"))
        except tf.errors.InvalidArgumentError as e:
            rec["transcode_strict_error"] = e.message
        for data, kw in [
                (["a", "b", "c", "d"], {"ngram_width": 2}),
                (["a", "b", "c", "d"], {"ngram_width": (1, 3), "separator": "+"}),
                ([["a", "b", "c"], ["d", "e", "f"]],
                 {"ngram_width": 2, "separator": "|", "pad_values": ("L", "R"),
                  "padding_width": 1}),
                ([["a", "b", "c"], ["d", "e", "f"]], {"ngram_width": 3, "pad_values": "P"}),
                ([["a", "b"]], {"ngram_width": 4, "preserve_short_sequences": True}),
                ([["a", "b"]], {"ngram_width": 4, "pad_values": "_", "padding_width": 1,
                                "preserve_short_sequences": True}),
                (["a", "b"], {"ngram_width": 5}),
        ]:
            y = sess.run(t.strings.ngrams(tf.constant(data), **kw))
            rec["ngrams"].append([data, kw, y.tolist() and np.vectorize(
                lambda b: b.decode())(y).tolist(), list(y.shape)])
        for cps, enc, err, rep in [
                ([[72, 105], [-1, 0x1F600]], "UTF-8", "replace", 65533),
                ([72, 0xD800, 0x110000, 0xE9], "UTF-8", "replace", 65533),
                ([72, 0xD800, 0x110000, 0xE9], "UTF-8", "replace", ord("?")),
                ([72, 0xD800, 0x110000, 0xE9], "UTF-16-BE", "ignore", 65533),
                ([[[72, 0x1F600, 0]]], "UTF-32-BE", "replace", 65533),
        ]:
            y = sess.run(t.strings.unicode_encode(tf.constant(cps), enc, errors=err,
                                                  replacement_char=rep))
            rec["encode"].append([cps, enc, err, rep,
                                  np.vectorize(lambda b: b.hex(), otypes=[object])(y).tolist()
                                  if np.ndim(y) else y.hex()])
        shuf = sess.run(t.random.experimental.index_shuffle(tf.range(10), [5, 8], 9))
        rec["index_shuffle_5_8_9"] = shuf.tolist()
    with open(os.path.join(OUT, "strings.json"), "w") as f:
        json.dump(rec, f, indent=1)


def script_table():
    with tf.Graph().as_default(), t.Session() as sess:
        cps = np.arange(-1, 0x110001, dtype=np.int32)
        codes = sess.run(t.strings.unicode_script(cps))
    starts = np.flatnonzero(np.diff(codes, prepend=codes[0] - 1))
    runs = [(int(cps[i]), int(codes[i])) for i in starts]
    lines = ",\n".join(", ".join(f"({a}, {b})" for a, b in runs[i:i + 8])
                       for i in range(0, len(runs), 8))
    text = ('"""ICU script codes (UScriptCode) of every code point, as TensorFlow\'s '
            'UnicodeScript\nreturns them: (first code point, code) runs, each lasting until '
            'the next run\'s\n'
            'first code point. Generated by scripts/make_tf_misc_api_fixtures.py from TensorFlow\n'
            f'{tf.__version__}\'s ICU; do not edit."""\n\nRUNS = (\n' + lines + ",\n)\n")
    with open(os.path.join(ROOT, "flowexec", "ops", "unicode_script_table.py"), "w") as f:
        f.write(text)
    sample = np.array([-5, 0, 65, 0x3B1, 0x416, 0x5D0, 0x627, 0x915, 0x4E00, 0x3042, 0x30A2,
                       0xAC00, 0x1F600, 0x300, 0x10FFFF, 0x110000], np.int32)
    with tf.Graph().as_default(), t.Session() as sess:
        got = sess.run(t.strings.unicode_script(sample))
    with open(os.path.join(OUT, "unicode_script.json"), "w") as f:
        json.dump({"codepoints": sample.tolist(), "codes": got.tolist()}, f)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    qdq_fixtures()
    string_fixtures()
    script_table()
