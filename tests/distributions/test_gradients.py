"""Finite-difference checks of the gradients of log_prob (and cdf, entropy) with respect to
every parameter of every family, in float64 (central differences, step 1e-6)."""

import numpy as np
import pytest

import flowexec as tf
import flowexec.distributions as tfd

CASES = {
    "Normal": (lambda p: tfd.Normal(p["loc"], p["scale"]),
               {"loc": [0.3, -1.0], "scale": [1.5, 0.7]}, [0.9, -2.0]),
    "Laplace": (lambda p: tfd.Laplace(p["loc"], p["scale"]),
                {"loc": [0.3, -1.0], "scale": [1.5, 0.7]}, [0.9, -2.0]),
    "StudentT": (lambda p: tfd.StudentT(p["df"], p["loc"], p["scale"]),
                 {"df": [3.0, 7.5], "loc": [0.3, -1.0], "scale": [1.5, 0.7]}, [0.9, -2.0]),
    "Gamma": (lambda p: tfd.Gamma(p["concentration"], p["rate"]),
              {"concentration": [0.8, 3.0], "rate": [1.5, 0.7]}, [0.9, 2.0]),
    "Exponential": (lambda p: tfd.Exponential(p["rate"]), {"rate": [1.5, 0.7]}, [0.9, 2.0]),
    "Beta": (lambda p: tfd.Beta(p["a"], p["b"]), {"a": [0.8, 3.0], "b": [1.5, 2.2]},
             [0.3, 0.8]),
    "Dirichlet": (lambda p: tfd.Dirichlet(p["c"]), {"c": [[0.8, 3.0, 1.2]]}, [0.2, 0.5, 0.3]),
    "Uniform": (lambda p: tfd.Uniform(p["low"], p["high"]),
                {"low": [0.0, -1.0], "high": [2.0, 1.5]}, [0.5, 0.2]),
    "Bernoulli": (lambda p: tfd.Bernoulli(logits=p["logits"]), {"logits": [0.3, -1.2]},
                  np.array([1, 0], np.int32)),
    "Categorical": (lambda p: tfd.Categorical(logits=p["logits"]),
                    {"logits": [[0.3, -1.2, 2.0]]}, np.array([2, 0], np.int32)),
    "Multinomial": (lambda p: tfd.Multinomial(np.float64(4.0), logits=p["logits"]),
                    {"logits": [0.3, -1.2, 2.0]}, [1.0, 1.0, 2.0]),
    "DirichletMultinomial": (lambda p: tfd.DirichletMultinomial(np.float64(4.0), p["c"]),
                             {"c": [0.8, 3.0, 1.2]}, [1.0, 1.0, 2.0]),
}
METHODS = {"Normal": ["log_prob", "cdf", "log_cdf", "entropy"],
           "Laplace": ["log_prob", "cdf", "entropy"], "StudentT": ["log_prob", "entropy"],
           "Gamma": ["log_prob", "cdf", "entropy"], "Exponential": ["log_prob", "entropy"],
           "Beta": ["log_prob", "entropy"], "Dirichlet": ["log_prob", "entropy"],
           "Uniform": ["prob", "entropy"], "Bernoulli": ["log_prob", "entropy"],
           "Categorical": ["log_prob", "entropy"], "Multinomial": ["log_prob"],
           "DirichletMultinomial": ["log_prob"]}

# (family, method, parameter) whose gradient flowexec does not give yet: none. Gamma's cdf
# w.r.t. concentration flows through IgammaGradA, as in TF.
KNOWN_GAPS = set()


@pytest.mark.parametrize("family", sorted(CASES))
def test_parameter_gradients_match_central_differences(family):
    make, params, x = CASES[family]
    base = {k: np.asarray(v, np.float64) for k, v in params.items()}
    phs = {k: tf.placeholder(tf.float64, v.shape, name=k) for k, v in base.items()}
    d = make(phs)
    xv = x if isinstance(x, np.ndarray) else np.asarray(x, np.float64)
    sess = tf.Session()
    for m in METHODS[family]:
        out = getattr(d, m)() if m == "entropy" else getattr(d, m)(tf.constant(xv))
        y = tf.reduce_sum(out * np.linspace(0.5, 1.5, out.shape.num_elements() or 1)
                          .reshape(out.shape.as_list()))
        keys = sorted(phs)
        grads = tf.gradients(y, [phs[k] for k in keys])
        feed = {phs[k]: base[k] for k in keys}
        got = sess.run([g if g is not None else tf.zeros_like(phs[k])
                        for k, g in zip(keys, grads)], feed)
        for k, g, sym in zip(keys, got, grads):
            if sym is None and (family, m, k) in KNOWN_GAPS:
                continue
            assert sym is not None or m == "entropy", (m, k)  # only entropy may not depend
            num = np.zeros_like(base[k])
            for i in np.ndindex(base[k].shape):
                e = np.zeros_like(base[k])
                e[i] = 1e-6
                plus = sess.run(y, {**feed, phs[k]: base[k] + e})
                minus = sess.run(y, {**feed, phs[k]: base[k] - e})
                num[i] = (plus - minus) / 2e-6
            np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-7, err_msg=f"{m} d/d{k}")
    sess.close()
