"""validate_args: construction-time ValueError/TypeError for static mistakes, run-time
InvalidArgumentError with TF's messages for bad parameters and bad log_prob arguments, the
Session still usable afterwards; valid arguments pass the same checks."""

import numpy as np
import pytest

import flowexec as tf
import flowexec.distributions as tfd

IAE = tf.errors.InvalidArgumentError


def _fails(t, pattern, feed=None):
    sess = tf.Session()
    with pytest.raises(IAE, match=pattern):
        sess.run(t, feed)
    assert sess.run(tf.constant(2.0) + 1.0) == 3.0  # still usable
    sess.close()


def test_parameter_checks_raise_tfs_messages_when_run():
    _fails(tfd.Normal(0.0, -1.0, validate_args=True).mean(),
           r"Condition x > 0 did not hold element-wise:.*\[-1\]")
    _fails(tfd.Beta(-1.0, 1.0, validate_args=True).mean(),
           "Concentration parameter must be positive.")
    _fails(tfd.Uniform(2.0, 1.0, validate_args=True).sample(seed=1),
           "uniform not defined when low >= high.")
    _fails(tfd.Bernoulli(probs=1.5, validate_args=True).mean(),
           "probs has components greater than 1.")
    _fails(tfd.Categorical(probs=[0.5, 0.6], validate_args=True).entropy(),
           "probs does not sum to 1.")
    _fails(tfd.Dirichlet([1.0, -1.0], validate_args=True).mean(),
           "Concentration parameter must be positive.")
    _fails(tfd.Multinomial(2.5, probs=[0.5, 0.5], validate_args=True).mean(),
           "cannot contain fractional components.")
    _fails(tfd.Gamma([1.0, -2.0], 1.0, validate_args=True).log_prob(1.0),
           r"Condition x > 0 did not hold element-wise:")


def test_argument_checks_of_log_prob():
    _fails(tfd.Beta(2.0, 2.0, validate_args=True).log_prob(1.5), "sample must be less than `1`.")
    _fails(tfd.Dirichlet([1.0, 2.0], validate_args=True).log_prob([0.5, 0.7]),
           "sample last-dimension must sum to `1`")
    _fails(tfd.Bernoulli(probs=0.5, validate_args=True).log_prob(0.5),
           "Elements must be bool-equivalent.")
    _fails(tfd.Categorical(logits=[0.0, 1.0], validate_args=True).log_prob(-1),
           "Elements must be non-negative.")
    _fails(tfd.Multinomial(3.0, probs=[0.5, 0.5], validate_args=True).log_prob([1.0, 1.0]),
           "counts must sum to `self.total_count`")
    _fails(tfd.DirichletMultinomial(3.0, [1.0, 1.0], validate_args=True).log_prob([1.0, 1.0]),
           "counts last-dimension must sum to `self.total_count`")


def test_valid_arguments_pass_the_checks():
    with tf.Session() as sess:
        out = sess.run([tfd.Beta(2.0, 2.0, validate_args=True).log_prob(0.5),
                        tfd.Bernoulli(probs=0.3, validate_args=True).log_prob(1),
                        tfd.Multinomial(3.0, probs=[0.5, 0.5], validate_args=True)
                        .log_prob([1.0, 2.0]),
                        tfd.Categorical(probs=[0.2, 0.8], validate_args=True).log_prob(1)])
    np.testing.assert_allclose(out, [np.log(1.5), np.log(0.3), np.log(0.375), np.log(0.8)],
                               rtol=1e-6)


def test_static_errors_at_construction():
    with pytest.raises(ValueError, match="Must pass probs or logits, but not both."):
        tfd.Bernoulli(logits=0.0, probs=0.5)
    with pytest.raises(ValueError, match="Must pass probs or logits, but not both."):
        tfd.Categorical()
    with pytest.raises(TypeError, match="logits must having floating type."):
        tfd.Bernoulli(logits=tf.constant(1))
    with pytest.raises(ValueError, match="must have at least 2 events."):
        tfd.Categorical(logits=[1.0], validate_args=True)
    with pytest.raises(ValueError, match="must be of the same type"):
        tfd.Normal(tf.constant(0.0, tf.float64), tf.constant(1.0))


def test_allow_nan_stats_false_raises_where_tf_does():
    _fails(tfd.Gamma(0.5, 1.0, allow_nan_stats=False).mode(),
           "mode not defined when any concentration <= 1")
    _fails(tfd.StudentT(1.5, 0.0, 1.0, allow_nan_stats=True).mean() * 0 +
           tfd.StudentT(0.5, 0.0, 1.0, allow_nan_stats=False).variance(),
           "variance not defined for components of df <= 1")
    _fails(tfd.Dirichlet([0.5, 2.0], allow_nan_stats=False).mode(),
           "Mode undefined when any concentration <= 1")
    with tf.Session() as sess:
        assert np.isnan(sess.run(tfd.Gamma(0.5, 1.0).mode()))
        np.testing.assert_allclose(sess.run(tfd.StudentT(1.5, 0.0, 1.0).variance()), np.inf)


def test_distribution_properties_copy_and_param_shapes():
    d = tfd.Normal(loc=1.0, scale=2.0, name="Prior")
    assert d.name == "Prior/" and d.loc.name == "Prior/loc:0"
    assert d.parameters == {"loc": 1.0, "scale": 2.0, "validate_args": False,
                            "allow_nan_stats": True, "name": "Prior"}
    c = d.copy(loc=3.0)
    assert isinstance(c, tfd.Normal) and c.name == "Prior_1/"
    assert d.validate_args is False and d.allow_nan_stats is True
    assert tfd.Normal.param_static_shapes([5])["scale"].as_list() == [5]
    assert d.log_prob(0.0).name.startswith("Prior/log_prob/")
    assert d.sample(seed=1).name.startswith("Prior/sample/")
    assert str(d) == ('tfp.distributions.Normal("Prior/", batch_shape=(), event_shape=(), '
                      'dtype=float32)')
    with tf.Session() as sess:
        assert sess.run(d.is_scalar_batch()) and sess.run(d.is_scalar_event())
        assert not sess.run(tfd.Dirichlet([1.0, 1.0]).is_scalar_event())
    with pytest.raises(NotImplementedError, match="quantile is not implemented: Gamma"):
        tfd.Gamma(1.0, 1.0).quantile(0.5)
    assert isinstance(tfd.Exponential(1.0), tfd.Gamma)
    assert tfd.Exponential(2.0).parameters["rate"] == 2.0
