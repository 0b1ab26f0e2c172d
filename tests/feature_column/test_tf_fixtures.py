"""input_layer, linear_model and categorical ids equal TensorFlow's recorded results: the
outputs, the variables (names, shapes, values, collections) and cols_to_vars."""

import numpy as np
import pytest

from tests.feature_column import cases, fixtures


def _compare(kind, name):
    got, got_meta = fixtures.run(kind, name)
    want, want_meta = fixtures.expected(kind, name)
    assert sorted(got) == sorted(want)
    for key, value in want.items():
        actual = np.asarray(got[key])
        assert actual.shape == value.shape, key
        if value.dtype.kind == "f":
            np.testing.assert_allclose(actual, value, rtol=1e-6, atol=1e-6, err_msg=key)
        else:
            np.testing.assert_array_equal(actual, value, err_msg=key)
    for key, value in want_meta.items():
        assert got_meta[key] == value, key


@pytest.mark.parametrize("name", sorted(cases.INPUT_LAYER))
def test_input_layer_matches_tf(name):
    _compare("input_layer", name)


@pytest.mark.parametrize("name", sorted(cases.LINEAR_MODEL))
def test_linear_model_matches_tf(name):
    _compare("linear_model", name)


@pytest.mark.parametrize("name", sorted(cases.IDS))
def test_categorical_ids_match_tf(name):
    _compare("ids", name)


def test_fixture_variable_names_are_tf_1_15s():
    _, meta = fixtures.recorded()
    names = [v for v, _ in meta["linear_model"]["all_sum_units1"]["variables"]]
    assert "linear_model/bias_weights:0" in names
    assert "linear_model/price_bucketized/weights:0" in names
    assert meta["input_layer"]["shared_embedding"]["variables"] == [
        ["input_layer/aaa_bbb_shared_embedding/embedding_weights:0", [4, 2]]]
