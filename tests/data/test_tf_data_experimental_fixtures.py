"""tf.data.experimental (scan, take_while, unique, group_by_window, group_by_reducer,
bucket_by_sequence_length, CsvDataset, make_csv_dataset, make_batched_features_dataset,
parse_example_dataset) and `Dataset.window` against TensorFlow.

The cases (expressions building a dataset from `tf`) and TensorFlow's results are in
tests/data/tf1/data_experimental/cases.json, written by
scripts/make_tf_data_experimental_fixtures.py; here each expression is built with flowexec.
"""

import json
import os

import numpy as np  # noqa: F401 - used by the case expressions
import pytest

import flowexec as tf

_DIR = os.path.join(os.path.dirname(__file__), "tf1", "data_experimental")
_PATH = os.path.join(_DIR, "cases.json")
DATA = os.path.join(_DIR, "csv")
with open(_PATH) as _f:
    CASES = json.load(_f)

# TF 2's function runtime reports an assertion inside a tf.data function as InternalError;
# TF 1.15 (and flowexec) raise the assertion's own InvalidArgumentError.
_ERROR_TYPE = {"bucket_pad_to_boundary_too_long": "InvalidArgumentError"}


def path(name):
    """A CSV file of the fixture (the case expressions use it)."""
    return os.path.join(DATA, name)


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.ndarray, np.generic)):
        return _plain(value.tolist())
    if isinstance(value, bytes):
        return value.decode()
    return value


def _shapes(shapes):
    return _plain(tf.nest.map_structure(
        lambda s: s.as_list() if s.ndims is not None else None, shapes))


def _types(types):
    return _plain(tf.nest.map_structure(lambda t: t.name, types))


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_tensorflow(name):
    case = CASES[name]
    with tf.Graph().as_default():
        if "build_error" in case:
            # TF 2 rewrote make_csv_dataset's argument messages; the TF 1.15 ones are
            # checked in test_csv.py, the error types here
            with pytest.raises({"ValueError": ValueError,
                                "TypeError": TypeError}[case["build_error"][0]]):
                eval(case["src"])  # noqa: S307 - the fixture's own case expressions
            return
        ds = eval(case["src"])  # noqa: S307 - the fixture's own case expressions
        assert _types(ds.output_types) == case["types"]
        assert _shapes(ds.output_shapes) == case["shapes"]
        nxt = ds.make_one_shot_iterator().get_next()
        got = []
        with tf.Session() as sess:
            for _ in range(1000):
                try:
                    got.append(_plain(sess.run(nxt)))
                except tf.errors.OutOfRangeError:
                    break
                except tf.errors.OpError as e:
                    want = case.get("run_error")
                    assert want is not None, f"unexpected {type(e).__name__}: {e.message}"
                    assert type(e).__name__ == _ERROR_TYPE.get(name, want[0])
                    # an assertion's data names graph tensors; its message is the first part
                    expected = want[1].replace("<DATA>", DATA).split("] [")[0]
                    assert expected in e.message
                    break
            else:
                raise AssertionError("the dataset did not end")
        if "run_error" in case:
            assert len(got) == len(case["values"]), "the error came at another element"
        np.testing.assert_equal(got, case["values"])
