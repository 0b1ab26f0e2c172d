"""TensorFlow's outputs for flowexec's parsing, hashing and decoding ops, recorded for the
bit-exact tests in tests/ops/test_hash_ops.py, test_decode_ops.py and test_parsing_ops.py.

TensorFlow is never a flowexec dependency; run this with a scratch virtualenv's Python:

    /work/tfvenv/bin/python scripts/make_tf_parsing_fixtures.py
    # -> tests/data/tf1/parsing/{hash,csv,raw,example}.npz

Every file holds `meta`, a JSON document (as uint8) describing the cases, and arrays named
`<case>__<k>` (output k of a case). String arrays are stored as `<name>__data` (the
concatenated bytes, uint8), `<name>__len` (the lengths, shaped as the array): numpy's
fixed-width byte strings would drop trailing NUL bytes. A case that fails in TF records
its error type and message (the text after "Node: '...'", without the node line).
"""

import json
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "tf1", "parsing")

STRINGS = [b"", b"a", b"ab", b"abc", b"abcd", b"hello", b"hello wo", b"0123456789abcdef",
           b"0123456789abcdefg", b"x" * 31, b"x" * 32, b"y" * 33, b"z" * 63, b"q" * 64,
           b"r" * 65, bytes(range(200)), bytes(range(256)) * 3,
           "h\u00e9llo w\u00f6rld \u2713".encode(), "\u65e5\u672c\u8a9e".encode(),
           b"ab\x00\x00", b"\x00", b"\x00" * 17, b"\xff" * 100,
           b"The quick brown fox jumps over the lazy dog"]


def _put(arrays, name, value):
    a = np.asarray(value)
    if a.dtype.kind in "OSU":
        flat = [bytes(v) if not isinstance(v, str) else v.encode() for v in a.reshape(-1)]
        arrays[name + "__data"] = np.frombuffer(b"".join(flat), np.uint8)
        arrays[name + "__len"] = np.array([len(v) for v in flat], np.int64).reshape(a.shape)
    else:
        arrays[name] = a


def _message(e):
    lines = getattr(e, "message", str(e)).split("\n")
    for i, line in enumerate(lines):
        if line.startswith("Node: "):
            lines = lines[i + 1:]
            break
    return "\n".join(line for line in lines if not line.startswith("\t [[")).strip()


def _save(name, meta, arrays):
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    np.savez_compressed(os.path.join(OUT, name + ".npz"), **arrays)


def _run(tf, build, feed=None):
    """(outputs, None) or (None, (error type, message)) for a graph built by `build`."""
    g = tf.Graph()
    with g.as_default():
        try:
            outs = build()
        except (TypeError, ValueError) as e:
            return None, (type(e).__name__, str(e))
        try:
            with tf.Session(graph=g) as sess:
                return sess.run(outs, feed), None
        except tf.errors.OpError as e:
            return None, (type(e).__name__, _message(e))


def hash_fixtures(tf):
    arrays = {}
    _put(arrays, "strings", np.array(STRINGS, dtype=object))
    big = 2 ** 63 - 1
    outs = {
        "fast": lambda: tf.string_to_hash_bucket_fast(STRINGS, big),
        "fast_10": lambda: tf.string_to_hash_bucket_fast(STRINGS, 10),
        "legacy": lambda: tf.string_to_hash_bucket(STRINGS, big),
        "legacy_7": lambda: tf.string_to_hash_bucket(STRINGS, 7),
        "strong": lambda: tf.string_to_hash_bucket_strong(STRINGS, big, [123456789, -5]),
        "strong_3": lambda: tf.string_to_hash_bucket_strong(STRINGS, 3, [1, 2]),
        "fingerprint": lambda: tf.fingerprint(STRINGS),
        "fingerprint_str2d": lambda: tf.fingerprint([[b"a", b"b"], [b"", b"c\x00"]]),
        "fingerprint_str3d": lambda: tf.fingerprint([[[b"a"]], [[b"xyz"]]]),
        "fingerprint_int32": lambda: tf.fingerprint(np.arange(6, dtype=np.int32).reshape(2, 3)),
        "fingerprint_float64": lambda: tf.fingerprint(np.linspace(-1, 1, 8).reshape(4, 2)),
        "fingerprint_uint8": lambda: tf.fingerprint(np.arange(5, dtype=np.uint8)),
        "fingerprint_bool": lambda: tf.fingerprint(np.array([[True, False], [False, False]])),
        "fingerprint_empty_rows": lambda: tf.fingerprint(np.zeros((3, 0), np.float32)),
    }
    meta = {"cases": sorted(outs)}
    for name, build in outs.items():
        out, err = _run(tf, build)
        assert err is None, (name, err)
        _put(arrays, name, out)
    _save("hash", meta, arrays)


def _csv_cases():
    """(name, records, record defaults as (dtype, values), attrs)."""
    i32, i64, f32, f64, st = (lambda *v: ("int32", list(v)), lambda *v: ("int64", list(v)),
                              lambda *v: ("float32", list(v)), lambda *v: ("float64", list(v)),
                              lambda *v: ("string", list(v)))
    return [
        ("basic", ["1,2.5,abc,7", "3,,x,"], [i32(0), f32(1.0), st(""), i64(9)], {}),
        ("double", ["1.25,-3", "1e300,0"], [f64(0), i64(0)], {}),
        ("required_missing", ["1,,3"], [i32(0), f32(), i32(0)], {}),
        ("required_empty_record", [""], [f32()], {}),
        ("empty_record_default", ["", "5"], [i32(7)], {}),
        ("field_count_low", ["1,2"], [i32(0), i32(0), i32(0)], {}),
        ("field_count_high", ["1,2", "1,2,3,4"], [i32(0), i32(0)], {}),
        ("quoted", ['"a,b",1', '"he said ""hi""",2', '"",3'], [st("dflt"), i32(0)], {}),
        ("quoted_last", ['1,"x,y"', '2,""""'], [i32(0), st("d")], {}),
        ("no_quote_delim", ['"a",1', 'x""y,2'], [st(""), i32(0)], {"use_quote_delim": False}),
        ("pipe", ["a|1|2.5", "b||"], [st(""), i32(0), f32(0.0)], {"field_delim": "|"}),
        ("tab", ["a\t1", "\t2"], [st("z"), i32(0)], {"field_delim": "\t"}),
        ("na_value", ["NA,1", "2,NA", "3,4"], [i32(-1), i32(-2)], {"na_value": "NA"}),
        ("na_value_string", ["NA,1", "x,2"], [st("dd"), i32(0)], {"na_value": "NA"}),
        ("na_value_required", ["NA,1"], [i32(), i32(0)], {"na_value": "NA"}),
        ("select_cols", ["1,a,2.5,b", "2,c,3.5,d"], [i32(0), f32(0.0)], {"select_cols": [0, 2]}),
        ("select_cols_last", ["1,a,2.5,", "2,c,3.5,d"], [i32(0), st("e")],
         {"select_cols": [0, 3]}),
        ("select_cols_short", ["1,a"], [i32(0), st("e")], {"select_cols": [0, 3]}),
        ("select_cols_quoted", ['"1,2",x,"y"'], [st(""), st("")], {"select_cols": [1, 2]}),
        ("spaces", [" 12 ,  2.5 ,  x "], [i32(0), f32(0.0), st("")], {}),
        ("floats", ["1e3,inf,-inf,nan,-0x1p3,1.5e-50,3.4e39,+7,  -1.5e2 ,INF,.5,5."],
         [f32(0.0)] * 12, {}),
        ("doubles", ["1e-310,1.7976931348623157e308,0.1,-0,Infinity"], [f64(0.0)] * 5, {}),
        ("ints", ["+5,-0,007,2147483647,-2147483648"], [i32(0)] * 5, {}),
        ("bad_int", ["abc"], [i32(0)], {}),
        ("bad_int_float", ["1.5"], [i32(0)], {}),
        ("bad_int_hex", ["0x10"], [i32(0)], {}),
        ("int32_overflow", ["3000000000"], [i32(0)], {}),
        ("int64_big", ["9223372036854775807,-9223372036854775808"], [i64(0), i64(0)], {}),
        ("int64_overflow", ["9223372036854775808"], [i64(0)], {}),
        ("bad_float", ["1.2.3"], [f32(0.0)], {}),
        ("bad_float_suffix", ["1.5f"], [f32(0.0)], {}),
        ("bad_double", ["x"], [f64(0)], {}),
        ("crlf", ["1,2\r\n"], [i32(0), i32(0)], {}),
        ("leading_newline", ["\n3,4", "\r\n5,6"], [i32(0), i32(0)], {}),
        ("unquoted_quote", ['a"b,1'], [st(""), i32(0)], {}),
        ("unescaped_quote", ['"a"b",1'], [st(""), i32(0)], {}),
        ("unterminated_quote", ['"abc'], [st("")], {}),
        ("quote_then_text", ['"ab"c'], [st("")], {}),
        ("records_2d", [["1,a", "2,b"], ["3,c", "4,"]], [i32(0), st("q")], {}),
        ("records_scalar", "7,x", [i32(0), st("")], {}),
        ("records_empty", np.zeros((0, 2), object), [i32(0), st("")], {}),
        ("trailing_delim", ["1,"], [i32(0), i32(5)], {}),
        ("only_delims", [",,"], [i32(1), i32(2), i32(3)], {}),
        ("nul_bytes", ["a\x00b,1"], [st(""), i32(0)], {}),
        ("string_default_nul", [",1"], [st("z\x00\x00"), i32(0)], {}),
    ]


def csv_fixtures(tf):
    arrays = {}
    meta = {"cases": []}
    for name, records, defaults, attrs in _csv_cases():
        def build(records=records, defaults=defaults, attrs=attrs):
            rd = [tf.constant(v, dtype=getattr(tf, dt), shape=None if v else [0])
                  for dt, v in defaults]
            return tf.decode_csv(tf.constant(records, tf.string), rd, **attrs)
        out, err = _run(tf, build)
        spec = {"name": name, "defaults": [[dt, v] for dt, v in defaults], "attrs": attrs,
                "error": err}
        _put(arrays, f"{name}__records", np.array(records, dtype=object))
        if err is None:
            spec["n_out"] = len(out)
            for k, o in enumerate(out):
                _put(arrays, f"{name}__{k}", o)
        meta["cases"].append(spec)
    _save("csv", meta, arrays)


def raw_fixtures(tf, tf2):
    rng = np.random.default_rng(5)
    payload = [rng.integers(0, 256, 16, dtype=np.uint8).tobytes() for _ in range(3)]
    bits = [rng.integers(0, 2, 16, dtype=np.uint8).tobytes() for _ in range(3)]
    cases = []
    for dt in ("float16", "float32", "float64", "int32", "uint16", "uint8", "int16", "int8",
               "int64", "complex64", "complex128", "bool"):
        for le in (True, False):
            cases.append((f"{dt}_{'le' if le else 'be'}", bits if dt == "bool" else payload,
                          dt, {"little_endian": le}))
    cases += [
        ("scalar", payload[0], "int32", {}),
        ("matrix", [payload[:2], payload[1:]], "uint16", {}),
        ("empty_strings", [b"", b""], "float32", {}),
        ("ragged", [b"\x00" * 4, b"\x00" * 8], "int32", {}),
        ("not_multiple", [b"abc"], "int32", {}),
        ("padded", [b"\x01\x02\x03", b"\x04" * 9], "int16", {"fixed_length": 6}),
        ("padded_be", [b"\x01\x02\x03", b""], "int16", {"fixed_length": 4,
                                                       "little_endian": False}),
        ("padded_not_multiple", [b"ab"], "int32", {"fixed_length": 6}),
    ]
    arrays = {}
    meta = {"cases": []}
    for name, data, dt, attrs in cases:
        def build(data=data, dt=dt, attrs=attrs):
            # fixed_length is tf.io.decode_raw's in TF 2.x (DecodePaddedRaw)
            fn = tf2.io.decode_raw if "fixed_length" in attrs else tf.decode_raw
            return fn(tf.constant(data, tf.string), getattr(tf, dt), **attrs)
        out, err = _run(tf, build)
        _put(arrays, f"{name}__input", np.array(data, dtype=object))
        if err is None:
            _put(arrays, f"{name}__0", out)
        meta["cases"].append({"name": name, "out_type": dt, "attrs": attrs, "error": err})
    _save("raw", meta, arrays)


def main():
    import tensorflow as tf2

    tf = tf2.compat.v1
    tf.disable_eager_execution()
    os.makedirs(OUT, exist_ok=True)
    hash_fixtures(tf)
    csv_fixtures(tf)
    raw_fixtures(tf, tf2)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
