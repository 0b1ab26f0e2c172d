"""`tf.distributions`: TF 1.x's (deprecated, still widely used) probability distributions.

Twelve families (Bernoulli, Beta, Categorical, Dirichlet, DirichletMultinomial, Exponential,
Gamma, Laplace, Multinomial, Normal, StudentT, Uniform) on the `Distribution` base class,
and the KL registry (`kl_divergence`, `RegisterKL`). Shapes, op name scopes, validate_args
messages and numerics follow TF 1.15's `tensorflow/python/ops/distributions`; sampled values
come from flowexec's random ops (seeded as TF's, but not TF's bit streams).

Example:
    >>> import flowexec as tf
    >>> q = tf.distributions.Normal(loc=mu, scale=sigma)
    >>> z = q.sample(seed=1)                          # reparameterized
    >>> kl = tf.distributions.kl_divergence(q, tf.distributions.Normal(0.0, 1.0))
"""

from flowexec.distributions.bernoulli import Bernoulli
from flowexec.distributions.beta import Beta
from flowexec.distributions.categorical import Categorical
from flowexec.distributions.dirichlet import Dirichlet
from flowexec.distributions.dirichlet_multinomial import DirichletMultinomial
from flowexec.distributions.distribution import (
    FULLY_REPARAMETERIZED,
    NOT_REPARAMETERIZED,
    Distribution,
    ReparameterizationType,
)
from flowexec.distributions.exponential import Exponential
from flowexec.distributions.gamma import Gamma
from flowexec.distributions.kullback_leibler import RegisterKL, kl_divergence
from flowexec.distributions.laplace import Laplace
from flowexec.distributions.multinomial import Multinomial
from flowexec.distributions.normal import Normal
from flowexec.distributions.student_t import StudentT
from flowexec.distributions.uniform import Uniform

__all__ = ["Bernoulli", "Beta", "Categorical", "Dirichlet", "DirichletMultinomial",
           "Distribution", "Exponential", "FULLY_REPARAMETERIZED", "Gamma", "Laplace",
           "Multinomial", "NOT_REPARAMETERIZED", "Normal", "RegisterKL",
           "ReparameterizationType", "StudentT", "Uniform", "kl_divergence"]
