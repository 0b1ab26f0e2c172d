"""tf.distributions vs values, names and messages recorded from TensorFlow's
tf.compat.v1.distributions (scripts/make_tf_distributions_fixtures.py): every deterministic
method of every family, tensor names and static shapes, KL values, validate_args and
allow_nan_stats messages."""

import json
import os
import re

import numpy as np
import pytest

import flowexec as tf
import flowexec.distributions as tfd

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "..", "data", "tf1", "distributions", "cases.json")) as f:
    FIXTURES = json.load(f)

DISCRETE = ("Bernoulli", "Categorical")


def _build(family, params, **flags):
    kwargs = {k: tf.constant(np.asarray(v, np.float64)) for k, v in params.items()}
    return getattr(tfd, family)(**flags, **kwargs)


def _case_id(case):
    return f"{case['family']}-{'-'.join(sorted(case['params']))}"


@pytest.mark.parametrize("case", FIXTURES["cases"], ids=[_case_id(c) for c in
                                                         FIXTURES["cases"]])
def test_methods_match_tf_values_names_and_shapes(case):
    d = _build(case["family"], case["params"])
    assert d.name == case["name"]
    assert d.batch_shape.as_list() == case["batch_shape"]
    assert d.event_shape.as_list() == case["event_shape"]
    assert d.dtype.name == case["dtype"]
    assert (d.reparameterization_type == tfd.FULLY_REPARAMETERIZED) == case["reparameterized"]
    x = tf.constant(np.asarray(case["values"],
                               np.int32 if case["family"] in DISCRETE else np.float64))
    tensors = {}
    for m in case["results"]:
        if m in ("entropy", "mean", "variance", "stddev", "mode", "covariance"):
            tensors[m] = getattr(d, m)()
        elif m == "quantile":
            tensors[m] = d.quantile(tf.constant(np.asarray([0.01, 0.3, 0.975], np.float64)))
        else:
            tensors[m] = getattr(d, m)(x)
    if "sample_name" in case:
        s = d.sample([2, 3], seed=1)
        assert s.name == case["sample_name"]
        assert s.shape.as_list() == case["sample_shape"]
        assert s.dtype.name == case["sample_dtype"]
    with tf.Session() as sess:
        got = sess.run(tensors)
    for m, want in case["results"].items():
        np.testing.assert_allclose(np.asarray(got[m], np.float64), np.asarray(want),
                                   rtol=1e-9, atol=1e-12, err_msg=m)
        assert tensors[m].name == case["names"][m], m


def test_methods_tf_lacks_are_not_implemented():
    for case in FIXTURES["cases"]:
        d = _build(case["family"], case["params"])
        for m in ("entropy", "mean", "variance", "mode", "covariance"):
            if m not in case["results"] and m not in case.get("tf_errors", {}):
                with pytest.raises(NotImplementedError, match=f"{m} is not implemented: "
                                                              f"{case['family']}"):
                    getattr(d, m)()


@pytest.mark.parametrize("rec", FIXTURES["kl"], ids=[f"{r['a'][0]}-{r['b'][0]}"
                                                     for r in FIXTURES["kl"]])
def test_kl_matches_tf(rec):
    a, b = _build(*rec["a"]), _build(*rec["b"])
    kl = tfd.kl_divergence(a, b)
    assert kl.name == rec["name"]
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(kl), rec["value"], rtol=1e-9, atol=1e-12)


def test_missing_kl_message_matches_tf():
    with pytest.raises(NotImplementedError) as e:
        tfd.kl_divergence(tfd.Normal(0.0, 1.0), tfd.Laplace(0.0, 1.0))
    assert str(e.value) == FIXTURES["kl_missing_message"]


def _fragments(message):
    """The bracketed parts of TF's assertion text that carry meaning (TF 2 adds "[]" for an
    empty message and doubles a final period; TF 1.15 does neither)."""
    body = message.split("assertion failed: ", 1)[1].split("\n")[0]
    parts = [p.strip() for p in re.findall(r"\[([^\[\]]*)\]", body)]
    return [p.rstrip(". ") for p in parts if p and "rtol" not in p and "Const" not in p]


def _run_fed(family, params, method, **flags):
    feeds, kwargs = {}, {}
    for k, v in params.items():
        v = np.asarray(v, np.float64)
        kwargs[k] = tf.placeholder(tf.float64, v.shape, name=k)
        feeds[kwargs[k]] = v
    d = getattr(tfd, family)(**flags, **kwargs)
    t = getattr(d, method)()
    sess = tf.Session()
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        sess.run(t, feeds)
    # the session stays usable after the failed run
    assert sess.run(tf.constant(3.0) * 2) == 6.0
    sess.close()
    return e.value.message


@pytest.mark.parametrize("rec", FIXTURES["errors"] + FIXTURES["nan_stats"],
                         ids=[f"{r['family']}-{r['method']}" for r in
                              FIXTURES["errors"] + FIXTURES["nan_stats"]])
def test_validate_args_and_nan_stats_messages_match_tf(rec):
    flags = ({"validate_args": True} if rec in FIXTURES["errors"]
             else {"allow_nan_stats": False})
    got = _run_fed(rec["family"], rec["params"], rec["method"], **flags)
    want = _fragments(rec["message"])
    have = _fragments(got)
    for frag in want:
        assert any(frag in h for h in have), (frag, got)
