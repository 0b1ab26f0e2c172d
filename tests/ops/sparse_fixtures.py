"""Runs a case of scripts/make_tf_sparse_ops_fixtures.py with flowexec and compares it with
what TensorFlow recorded in tests/data/tf1/sparse/ops.npz: every value (dtype, shape, order),
or the error class and message."""

import importlib.util
import os

import numpy as np
import pytest

import flowexec as tf

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_spec = importlib.util.spec_from_file_location(
    "make_tf_sparse_ops_fixtures", os.path.join(ROOT, "scripts",
                                                "make_tf_sparse_ops_fixtures.py"))
script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(script)
DATA = np.load(script.OUT)


_BUILTIN_ERRORS = {"ValueError": ValueError, "TypeError": TypeError,
                   "LookupError": LookupError, "RuntimeError": RuntimeError}


def cases(prefix=()):
    """The recorded case names (those starting with one of `prefix`, if given)."""
    return [c for c in script.CASES if not prefix or c.startswith(tuple(prefix))]


def _same(got, key, what):
    got = np.asarray(got)
    if f"{key}/hex" in DATA:  # strings: TF's bytes
        want = DATA[f"{key}/hex"]
        assert got.dtype == object and got.shape == want.shape, f"{what}: {got!r}"
        assert [bytes(v).hex() for v in got.reshape(-1)] == want.reshape(-1).tolist(), \
            f"{what}: {got!r} != TF's {[bytes.fromhex(h) for h in want.reshape(-1)]}"
        return
    want = DATA[key]
    assert got.shape == want.shape, f"{what}: shape {got.shape} != TF's {want.shape}"
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype} != TF's {want.dtype}"
    if want.dtype.kind in "fc":
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7, err_msg=what)
    else:
        np.testing.assert_array_equal(got, want, err_msg=what)


def check_case(case):
    """Builds `case` with flowexec, runs it, and asserts TF's values or TF's error."""
    error = f"{case}/error"
    graph = tf.Graph()
    with graph.as_default():
        if error in DATA:
            kind, message = DATA[error].tolist()
            cls = getattr(tf.errors, kind, None) or _BUILTIN_ERRORS[kind]
            with pytest.raises(cls) as info:
                fetches = script.CASES[case](tf)
                with tf.Session() as sess:
                    sess.run(fetches)
            got = getattr(info.value, "message", None) or str(info.value)
            # a TensorShape's unknown dimension prints as TF 1.x's "?" (TF 2: "None")
            got, message = got.replace("?", "None"), message.replace("?", "None")
            # a shape function's message: TF 2 names the node differently from TF 1.x
            message = message.split(" for '{{node ")[0]
            assert message in got, f"{case}: {got!r} does not say TF's {message!r}"
            return
        fetches = script.CASES[case](tf)
        with tf.Session() as sess:
            values = sess.run(fetches)
    for name, value in values.items():
        key = f"{case}/{name}"
        if isinstance(value, tf.SparseTensorValue):
            for part in ("indices", "values", "dense_shape"):
                _same(getattr(value, part), f"{key}/{part}", f"{key}/{part}")
        else:
            _same(value, key, key)
