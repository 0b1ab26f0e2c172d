"""Loads the TF fixtures that scripts/make_tf_parsing_fixtures.py writes to
tests/data/tf1/parsing (string arrays as bytes + lengths, so NUL bytes survive)."""

import json
import os

import numpy as np

DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "tf1",
                   "parsing")


class Fixture:
    """One .npz: `meta` (the JSON case list) and `get(name)` for arrays."""

    def __init__(self, name):
        self._npz = np.load(os.path.join(DIR, name + ".npz"))
        self.meta = json.loads(self._npz["meta"].tobytes())

    def __contains__(self, name):
        return name in self._npz or name + "__len" in self._npz

    def get(self, name):
        if name in self._npz:
            return self._npz[name]
        data = self._npz[name + "__data"].tobytes()
        lengths = self._npz[name + "__len"]
        out = np.empty(lengths.size, dtype=object)
        pos = 0
        for i, n in enumerate(lengths.reshape(-1).tolist()):
            out[i] = data[pos:pos + n]
            pos += n
        return out.reshape(lengths.shape)


def assert_same(got, want, msg=""):
    """Bit-exact equality: dtype, shape and values (NaNs equal, -0.0 != 0.0 for floats)."""
    if isinstance(got, bytes):  # a fetched string scalar
        got = np.array(got, dtype=object)
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{msg}: shape {got.shape} != {want.shape}"
    if want.dtype == object:
        assert got.dtype == object, f"{msg}: dtype {got.dtype}"
        assert got.reshape(-1).tolist() == want.reshape(-1).tolist(), msg
        return
    assert got.dtype == want.dtype, f"{msg}: dtype {got.dtype} != {want.dtype}"
    assert got.tobytes() == want.tobytes() or (
        want.dtype.kind in "fc" and np.array_equal(got, want, equal_nan=True)
        and np.array_equal(np.signbit(got.real), np.signbit(want.real))), \
        f"{msg}: {got!r} != {want!r}"
