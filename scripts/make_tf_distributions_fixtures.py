"""TensorFlow's `tf.compat.v1.distributions` values, names and messages, which flowexec's
tests compare (tests/data/tf1/distributions/cases.json).

TensorFlow is never a flowexec dependency; run this with a scratch virtualenv's Python:

    /work/tfvenv/bin/python scripts/make_tf_distributions_fixtures.py

Only deterministic things are recorded (sampled values depend on the RNG): for each case of
CASES (a family, its float64 parameters, the values its methods are evaluated at) every
method TF implements, with the tensor names, batch/event shapes and reparameterization type;
sample tensor names and static shapes; KL divergences; and the text of validate_args and
allow_nan_stats errors.
"""

import json
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "tf1", "distributions", "cases.json")

CASES = [
    ("Normal", {"loc": [[-1.0], [0.5]], "scale": [0.5, 1.0, 2.0]}, [[-3.0, 0.2, 1.5]]),
    ("Normal", {"loc": 0.0, "scale": 1.0}, [-40.0, -12.0, -3.0, 0.0, 2.0, 9.0]),
    ("Laplace", {"loc": [0.0, 1.0], "scale": [[1.0], [2.5]]}, [-2.0, 1.5]),
    ("Uniform", {"low": [0.0, -1.0], "high": [1.0, 3.0]}, [[0.5, -2.0], [1.0, 2.0]]),
    ("StudentT", {"df": [0.8, 1.5, 3.0, 10.0], "loc": 0.5, "scale": 2.0},
     [-1.0, 0.5, 2.0, 7.0]),
    ("Gamma", {"concentration": [0.5, 1.0, 3.0], "rate": [[1.0], [2.5]]}, [0.3, 1.0, 4.0]),
    ("Exponential", {"rate": [0.5, 2.0]}, [[0.1, 3.0]]),
    ("Beta", {"concentration1": [0.7, 2.0, 5.0], "concentration0": [[1.5], [3.0]]},
     [0.1, 0.5, 0.9]),
    ("Dirichlet", {"concentration": [[1.0, 2.0, 3.0], [0.5, 4.0, 2.5]]},
     [[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]]),
    ("Bernoulli", {"probs": [0.2, 0.7]}, [[0, 1], [1, 1]]),
    ("Bernoulli", {"logits": [[-1.0, 2.0]]}, [0, 1]),
    ("Categorical", {"logits": [[0.0, 1.0, -0.5], [2.0, 0.0, 0.0]]}, [[0, 2], [1, 1]]),
    ("Categorical", {"probs": [0.2, 0.5, 0.3]}, [0, 1, 2]),
    ("Multinomial", {"total_count": [4.0, 6.0], "probs": [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]},
     [[1.0, 1.0, 2.0], [3.0, 2.0, 1.0]]),
    ("Multinomial", {"total_count": 3.0, "logits": [0.0, 1.0]}, [[1.0, 2.0], [3.0, 0.0]]),
    ("DirichletMultinomial", {"total_count": [4.0, 5.0],
                              "concentration": [[1.0, 2.0, 0.5], [3.0, 1.0, 1.5]]},
     [[1.0, 1.0, 2.0], [0.0, 2.0, 3.0]]),
]
METHODS = ["log_prob", "prob", "cdf", "log_cdf", "survival_function",
           "log_survival_function", "quantile"]
STATS = ["entropy", "mean", "variance", "stddev", "mode", "covariance"]
KL_PAIRS = [
    ("Normal", {"loc": [0.0, 1.0], "scale": [1.0, 0.5]}, "Normal", {"loc": 0.5, "scale": 2.0}),
    ("Bernoulli", {"probs": [0.2, 0.9]}, "Bernoulli", {"logits": [0.3, -0.4]}),
    ("Beta", {"concentration1": [1.0, 2.0], "concentration0": 3.0},
     "Beta", {"concentration1": 0.5, "concentration0": [1.5, 4.0]}),
    ("Categorical", {"logits": [[0.0, 1.0, 2.0]]}, "Categorical", {"probs": [0.3, 0.3, 0.4]}),
    ("Dirichlet", {"concentration": [1.0, 2.0, 3.0]},
     "Dirichlet", {"concentration": [[2.0, 2.0, 2.0], [0.5, 1.0, 4.0]]}),
    ("Gamma", {"concentration": [1.0, 3.0], "rate": 2.0},
     "Gamma", {"concentration": 2.0, "rate": [1.0, 0.5]}),
    ("Exponential", {"rate": [1.0, 3.0]}, "Gamma", {"concentration": 2.0, "rate": 1.5}),
    ("Exponential", {"rate": [1.0, 3.0]}, "Exponential", {"rate": 2.0}),
]
ERRORS = [
    ("Normal", {"loc": 0.0, "scale": -1.0}, "mean"),
    ("Gamma", {"concentration": [1.0, -2.0], "rate": 1.0}, "mean"),
    ("Beta", {"concentration1": -1.0, "concentration0": 1.0}, "mean"),
    ("Uniform", {"low": 2.0, "high": 1.0}, "mean"),
    ("Dirichlet", {"concentration": [1.0, -1.0]}, "mean"),
    ("Bernoulli", {"probs": 1.5}, "mean"),
    ("Categorical", {"probs": [0.5, 0.6]}, "entropy"),
    ("StudentT", {"df": -1.0, "loc": 0.0, "scale": 1.0}, "mean"),
]

NAN_STATS = [("Gamma", {"concentration": 0.5, "rate": 1.0}, "mode"),
             ("Beta", {"concentration1": 0.5, "concentration0": 2.0}, "mode"),
             ("StudentT", {"df": 0.5, "loc": 0.0, "scale": 1.0}, "mean")]


def _build(tfd, tf, family, params, validate_args=False, allow_nan_stats=True):
    kwargs = {k: tf.constant(np.asarray(v, np.float64)) for k, v in params.items()}
    return getattr(tfd, family)(validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                                **kwargs)


def _run_error(tfd, tf, family, params, method, **flags):
    """The InvalidArgumentError message of running `method`, the parameters fed through
    placeholders (TF checks constants at build time; flowexec always checks when run)."""
    with tf.Graph().as_default(), tf.Session() as sess:
        feeds = {}
        kwargs = {}
        for k, v in params.items():
            v = np.asarray(v, np.float64)
            kwargs[k] = tf.placeholder(tf.float64, v.shape, name=k)
            feeds[kwargs[k]] = v
        d = getattr(tfd, family)(**flags, **kwargs)
        try:
            sess.run(getattr(d, method)(), feeds)
        except tf.errors.InvalidArgumentError as e:
            return e.message
    return None


def main():
    import tensorflow.compat.v1 as tf

    tf.disable_eager_execution()
    tfd = tf.distributions
    out = {"cases": [], "kl": [], "errors": [], "nan_stats": []}
    for family, params, values in CASES:
        with tf.Graph().as_default(), tf.Session() as sess:
            d = _build(tfd, tf, family, params)
            discrete = family in ("Bernoulli", "Categorical")
            x = tf.constant(np.asarray(values, np.int32 if discrete else np.float64))
            rec = {"family": family, "params": params, "values": values,
                   "name": d.name, "batch_shape": d.batch_shape.as_list(),
                   "event_shape": d.event_shape.as_list(), "dtype": d.dtype.name,
                   "reparameterized": d.reparameterization_type == tfd.FULLY_REPARAMETERIZED,
                   "results": {}, "names": {}}
            tensors = {}
            for m in METHODS:
                try:
                    arg = x
                    if m == "quantile":
                        arg = tf.constant(np.asarray([0.01, 0.3, 0.975], np.float64))
                    tensors[m] = getattr(d, m)(arg)
                except NotImplementedError:
                    pass
                except (TypeError, ValueError) as e:  # e.g. Betainc does not broadcast
                    rec.setdefault("tf_errors", {})[m] = str(e).splitlines()[0]
            for m in STATS:
                try:
                    tensors[m] = getattr(d, m)()
                except NotImplementedError:
                    pass
                except (TypeError, ValueError) as e:  # TF bugs (StudentT, Dirichlet)
                    rec.setdefault("tf_errors", {})[m] = str(e).splitlines()[0]
            try:
                smp = d.sample([2, 3], seed=1)
                rec["sample_name"] = smp.name
                rec["sample_shape"] = smp.shape.as_list()
                rec["sample_dtype"] = smp.dtype.name
            except ValueError as e:  # DirichletMultinomial needs a scalar total_count
                rec.setdefault("tf_errors", {})["sample"] = str(e).splitlines()[0]
            values_out = sess.run(tensors)
            for m, t in tensors.items():
                rec["names"][m] = t.name
                rec["results"][m] = np.asarray(values_out[m], np.float64).tolist()
            out["cases"].append(rec)
    for fa, pa, fb, pb in KL_PAIRS:
        with tf.Graph().as_default(), tf.Session() as sess:
            a, b = _build(tfd, tf, fa, pa), _build(tfd, tf, fb, pb)
            kl = tfd.kl_divergence(a, b)
            out["kl"].append({"a": [fa, pa], "b": [fb, pb], "name": kl.name,
                              "value": sess.run(kl).tolist()})
    for family, params, method in ERRORS:
        out["errors"].append({"family": family, "params": params, "method": method,
                              "message": _run_error(tfd, tf, family, params, method,
                                                    validate_args=True)})
    for family, params, method in NAN_STATS:
        out["nan_stats"].append({"family": family, "params": params, "method": method,
                                 "message": _run_error(tfd, tf, family, params, method,
                                                       allow_nan_stats=False)})
    with tf.Graph().as_default():
        try:
            tfd.kl_divergence(tfd.Normal(0.0, 1.0), tfd.Laplace(0.0, 1.0))
        except NotImplementedError as e:
            out["kl_missing_message"] = str(e)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
