"""The `tf.distributions.Distribution` base class and reparameterization types (TF 1.x's
`distributions/distribution.py`).

A Distribution holds its parameters as graph Tensors, created under a name scope opened
once at construction (e.g. "Normal/"); every public method re-enters that scope and opens
its own ("Normal/sample/", "Normal/log_prob/", ...), so op names are TF's. A subclass
implements the private `_method`s (`_sample_n`, `_log_prob`, `_mean`, ...); the public
methods convert arguments, open scopes, reshape samples, and fall back between related
methods as TF does (log_prob <-> prob, cdf <-> log_cdf, survival_function from cdf,
variance <-> stddev). A method a family lacks raises NotImplementedError("<method> is not
implemented: <Class>").

Graph construction is not thread-safe (as any graph building); the Tensors it builds run in
any Session.
"""

import abc
import contextlib

import numpy as np

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.tensor_shape import TensorShape, as_shape
from flowexec.ops import array_ops, math_ops, shape_fns
from flowexec.distributions import kullback_leibler

__all__ = ["FULLY_REPARAMETERIZED", "NOT_REPARAMETERIZED", "Distribution",
           "ReparameterizationType"]


class ReparameterizationType:
    """Whether samples of a distribution are differentiable functions of its parameters.

    Compare with `is`/`==` against the two instances `FULLY_REPARAMETERIZED` (gradients flow
    through `sample()` to the parameters, e.g. Normal, Gamma) and `NOT_REPARAMETERIZED`
    (e.g. Bernoulli, Categorical).

    Args:
        rep_type: the type's name.

    Example:
        >>> Normal(0.0, 1.0).reparameterization_type == FULLY_REPARAMETERIZED
        True
    """

    def __init__(self, rep_type):
        self._rep_type = rep_type

    def __repr__(self):
        return f"<Reparameterization Type: {self._rep_type}>"

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)


FULLY_REPARAMETERIZED = ReparameterizationType("FULLY_REPARAMETERIZED")
NOT_REPARAMETERIZED = ReparameterizationType("NOT_REPARAMETERIZED")


def _convert_value(value, dtype):
    return convert_to_tensor(value, name="value", preferred_dtype=dtype)



def _first_implemented(primary, fallback):
    """`primary()`, else `fallback()` when primary is not implemented; when neither is,
    primary's NotImplementedError (TF's fallback between related methods)."""
    try:
        return primary()
    except NotImplementedError as original_exception:
        try:
            return fallback()
        except NotImplementedError:
            raise original_exception from None

class Distribution(metaclass=abc.ABCMeta):
    """A batch of probability distributions over events of one shape (TF 1.x's
    `tf.distributions.Distribution`).

    Shapes follow TF's convention: `sample(sample_shape)` returns `sample_shape +
    batch_shape + event_shape`; `log_prob(x)` broadcasts `x` against `batch_shape +
    event_shape` and returns `batch_shape`-shaped results.

    Args:
        dtype: the dtype of samples.
        reparameterization_type: FULLY_REPARAMETERIZED or NOT_REPARAMETERIZED.
        validate_args: whether the distribution adds run-time argument checks.
        allow_nan_stats: whether undefined statistics return NaN (True) or raise when run
            (False).
        parameters: the constructor's arguments (for `copy` and `parameters`).
        graph_parents: the Tensors the distribution depends on.
        name: the distribution's name scope (a captured scope ending in "/" is reused).

    Raises:
        ValueError: an item of `graph_parents` is not a Tensor.

    Example:
        >>> d = Normal(loc=[0.0, 1.0], scale=2.0)
        >>> d.batch_shape, d.sample(3).shape
        (TensorShape([2]), TensorShape([3, 2]))
    """

    def __init__(self, dtype, reparameterization_type, validate_args, allow_nan_stats,
                 parameters=None, graph_parents=None, name=None):
        graph_parents = [] if graph_parents is None else graph_parents
        for i, t in enumerate(graph_parents):
            if t is None or not hasattr(t, "op"):
                raise ValueError(f"Graph parent item {i} is not a Tensor; {t}.")
        if not name or name[-1] != "/":
            with name_scope(name or type(self).__name__) as name:
                pass
        self._dtype = dtype
        self._reparameterization_type = reparameterization_type
        self._allow_nan_stats = allow_nan_stats
        self._validate_args = validate_args
        self._parameters = dict(parameters or {})
        self._parameters.pop("self", None)
        self._parameters.pop("__class__", None)
        self._graph_parents = list(graph_parents)
        self._name = name

    # ----- properties ----------------------------------------------------------------------
    @property
    def name(self):
        """The name scope of this distribution's ops, e.g. "Normal/"."""
        return self._name

    @property
    def dtype(self):
        """The DType of samples."""
        return self._dtype

    @property
    def parameters(self):
        """A dict of the constructor's arguments."""
        return {k: v for k, v in self._parameters.items()
                if not k.startswith("__") and k != "self"}

    @property
    def reparameterization_type(self):
        """FULLY_REPARAMETERIZED or NOT_REPARAMETERIZED."""
        return self._reparameterization_type

    @property
    def allow_nan_stats(self):
        """Whether undefined statistics are NaN (True) or a run-time error (False)."""
        return self._allow_nan_stats

    @property
    def validate_args(self):
        """Whether run-time argument checks are added."""
        return self._validate_args

    def copy(self, **override_parameters_kwargs):
        """A new distribution of the same type with some constructor arguments replaced.

        Args:
            **override_parameters_kwargs: constructor arguments to change.

        Returns:
            A new instance of `type(self)`.

        Example:
            >>> Normal(0.0, 1.0).copy(loc=3.0).parameters["loc"]
            3.0
        """
        parameters = dict(self.parameters, **override_parameters_kwargs)
        return type(self)(**parameters)

    @classmethod
    def param_shapes(cls, sample_shape, name="DistributionParamShapes"):
        """The shape of each constructor parameter that gives samples of `sample_shape`.

        Args:
            sample_shape: 1-D int shape.
            name: name scope.

        Returns:
            A dict of parameter name to 1-D int32 Tensor.

        Raises:
            NotImplementedError: the family does not define it.

        Example:
            >>> Normal.param_shapes([100])  # {"loc": [100], "scale": [100]}
        """
        with name_scope(name, values=[sample_shape]):
            return cls._param_shapes(sample_shape)

    @classmethod
    def param_static_shapes(cls, sample_shape):
        """`param_shapes` as TensorShapes, for a fully known `sample_shape`.

        Args:
            sample_shape: a fully defined TensorShape or a list/tuple.

        Returns:
            A dict of parameter name to TensorShape.

        Raises:
            ValueError: `sample_shape` is not fully defined.

        Example:
            >>> Normal.param_static_shapes([3])["loc"]
            TensorShape([3])
        """
        if isinstance(sample_shape, TensorShape):
            if not sample_shape.is_fully_defined():
                raise ValueError("TensorShape sample_shape must be fully defined")
            sample_shape = sample_shape.as_list()
        static = {}
        for pname, shape in cls.param_shapes(sample_shape).items():
            value = shape_fns.constant_value(shape)
            if value is None:
                raise ValueError("sample_shape must be a fully-defined TensorShape or "
                                 "list/tuple")
            static[pname] = TensorShape([int(d) for d in np.asarray(value).ravel()])
        return static

    @staticmethod
    def _param_shapes(sample_shape):
        raise NotImplementedError("_param_shapes not implemented")

    # ----- shapes --------------------------------------------------------------------------
    def _batch_shape_tensor(self):
        raise NotImplementedError(
            f"batch_shape_tensor is not implemented: {type(self).__name__}")

    def batch_shape_tensor(self, name="batch_shape_tensor"):
        """The batch shape as a 1-D int32 Tensor (a constant when known statically).

        Args:
            name: name scope.

        Returns:
            A 1-D int32 Tensor.

        Example:
            >>> Normal([0.0, 1.0], 1.0).batch_shape_tensor()  # [2]
        """
        with self._name_scope(name):
            if self.batch_shape.is_fully_defined():
                return convert_to_tensor(self.batch_shape.as_list(), dtype=dtypes.int32,
                                         name="batch_shape")
            return self._batch_shape_tensor()

    def _batch_shape(self):
        return TensorShape(None)

    @property
    def batch_shape(self):
        """The static batch shape (a TensorShape, possibly partially known)."""
        return as_shape(self._batch_shape())

    def _event_shape_tensor(self):
        raise NotImplementedError(
            f"event_shape_tensor is not implemented: {type(self).__name__}")

    def event_shape_tensor(self, name="event_shape_tensor"):
        """The event shape as a 1-D int32 Tensor (a constant when known statically).

        Args:
            name: name scope.

        Returns:
            A 1-D int32 Tensor.

        Example:
            >>> Dirichlet([1.0, 2.0, 3.0]).event_shape_tensor()  # [3]
        """
        with self._name_scope(name):
            if self.event_shape.is_fully_defined():
                return convert_to_tensor(self.event_shape.as_list(), dtype=dtypes.int32,
                                         name="event_shape")
            return self._event_shape_tensor()

    def _event_shape(self):
        return TensorShape(None)

    @property
    def event_shape(self):
        """The static event shape (a TensorShape, possibly partially known)."""
        return as_shape(self._event_shape())

    def is_scalar_event(self, name="is_scalar_event"):
        """Whether events are scalars.

        Args:
            name: name scope.

        Returns:
            A bool Tensor.

        Example:
            >>> Normal(0.0, 1.0).is_scalar_event()  # True
        """
        with self._name_scope(name):
            return convert_to_tensor(
                self._is_scalar_helper(self.event_shape, self.event_shape_tensor),
                name="is_scalar_event")

    def is_scalar_batch(self, name="is_scalar_batch"):
        """Whether the batch is a single distribution (batch shape []).

        Args:
            name: name scope.

        Returns:
            A bool Tensor.

        Example:
            >>> Normal([0.0, 1.0], 1.0).is_scalar_batch()  # False
        """
        with self._name_scope(name):
            return convert_to_tensor(
                self._is_scalar_helper(self.batch_shape, self.batch_shape_tensor),
                name="is_scalar_batch")

    # ----- sampling ------------------------------------------------------------------------
    def _sample_n(self, n, seed=None):
        raise NotImplementedError(f"sample_n is not implemented: {type(self).__name__}")

    def _call_sample_n(self, sample_shape, seed, name, **kwargs):
        with self._name_scope(name, values=[sample_shape]):
            sample_shape = convert_to_tensor(sample_shape, dtype=dtypes.int32,
                                             name="sample_shape")
            sample_shape, n = self._expand_sample_shape_to_vector(sample_shape, "sample_shape")
            samples = self._sample_n(n, seed, **kwargs)
            batch_event_shape = array_ops.shape(samples)[1:]
            final_shape = array_ops.concat([sample_shape, batch_event_shape], 0)
            samples = array_ops.reshape(samples, final_shape)
            return self._set_sample_static_shape(samples, sample_shape)

    def sample(self, sample_shape=(), seed=None, name="sample"):
        """Draws samples of shape `sample_shape + batch_shape + event_shape`.

        Args:
            sample_shape: an int or 1-D int shape (default (): one draw per distribution).
            seed: op-level seed (see `set_random_seed`).
            name: name scope (default "sample").

        Returns:
            A Tensor of `self.dtype`; differentiable with respect to the parameters when
            `reparameterization_type` is FULLY_REPARAMETERIZED.

        Raises:
            ValueError: `sample_shape` is neither a scalar nor a vector.

        Example:
            >>> Normal(0.0, 1.0).sample([2, 3], seed=1).shape
            TensorShape([2, 3])
        """
        return self._call_sample_n(sample_shape, seed, name)

    # ----- densities -----------------------------------------------------------------------
    def _log_prob(self, value):
        raise NotImplementedError(f"log_prob is not implemented: {type(self).__name__}")

    def _prob(self, value):
        raise NotImplementedError(f"prob is not implemented: {type(self).__name__}")

    def _log_cdf(self, value):
        raise NotImplementedError(f"log_cdf is not implemented: {type(self).__name__}")

    def _cdf(self, value):
        raise NotImplementedError(f"cdf is not implemented: {type(self).__name__}")

    def _log_survival_function(self, value):
        raise NotImplementedError(
            f"log_survival_function is not implemented: {type(self).__name__}")

    def _survival_function(self, value):
        raise NotImplementedError(
            f"survival_function is not implemented: {type(self).__name__}")

    def _call_with_fallback(self, value, name, primary, fallback):
        with self._name_scope(name, values=[value]):
            value = _convert_value(value, self.dtype)
            return _first_implemented(lambda: primary(value), lambda: fallback(value))

    def log_prob(self, value, name="log_prob"):
        """log of the probability density (mass) function at `value`.

        Args:
            value: a Tensor broadcastable to `batch_shape + event_shape`.
            name: name scope.

        Returns:
            A float Tensor of the broadcast batch shape.

        Raises:
            NotImplementedError: neither `_log_prob` nor `_prob` is implemented.

        Example:
            >>> Normal(0.0, 1.0).log_prob(0.0)  # -0.9189385
        """
        return self._call_with_fallback(value, name, self._log_prob,
                                        lambda v: math_ops.log(self._prob(v)))

    def prob(self, value, name="prob"):
        """The probability density (mass) function at `value`.

        Args:
            value: a Tensor broadcastable to `batch_shape + event_shape`.
            name: name scope.

        Returns:
            A float Tensor of the broadcast batch shape.

        Raises:
            NotImplementedError: neither `_prob` nor `_log_prob` is implemented.

        Example:
            >>> Uniform(0.0, 2.0).prob(1.0)  # 0.5
        """
        return self._call_with_fallback(value, name, self._prob,
                                        lambda v: math_ops.exp(self._log_prob(v)))

    def log_cdf(self, value, name="log_cdf"):
        """log P[X <= value].

        Args:
            value: a Tensor broadcastable to `batch_shape + event_shape`.
            name: name scope.

        Returns:
            A float Tensor.

        Raises:
            NotImplementedError: neither `_log_cdf` nor `_cdf` is implemented.

        Example:
            >>> Normal(0.0, 1.0).log_cdf(-30.0)  # about -454.32, no underflow
        """
        return self._call_with_fallback(value, name, self._log_cdf,
                                        lambda v: math_ops.log(self._cdf(v)))

    def cdf(self, value, name="cdf"):
        """P[X <= value].

        Args:
            value: a Tensor broadcastable to `batch_shape + event_shape`.
            name: name scope.

        Returns:
            A float Tensor.

        Raises:
            NotImplementedError: neither `_cdf` nor `_log_cdf` is implemented.

        Example:
            >>> Normal(0.0, 1.0).cdf(0.0)  # 0.5
        """
        return self._call_with_fallback(value, name, self._cdf,
                                        lambda v: math_ops.exp(self._log_cdf(v)))

    def log_survival_function(self, value, name="log_survival_function"):
        """log P[X > value] = log(1 - cdf(value)).

        Args:
            value: a Tensor broadcastable to `batch_shape + event_shape`.
            name: name scope.

        Returns:
            A float Tensor.

        Raises:
            NotImplementedError: neither it nor `cdf` is implemented.

        Example:
            >>> Exponential(2.0).log_survival_function(1.0)  # -2.0
        """
        return self._call_with_fallback(value, name, self._log_survival_function,
                                        lambda v: math_ops.log1p(-self.cdf(v)))

    def survival_function(self, value, name="survival_function"):
        """P[X > value] = 1 - cdf(value).

        Args:
            value: a Tensor broadcastable to `batch_shape + event_shape`.
            name: name scope.

        Returns:
            A float Tensor.

        Raises:
            NotImplementedError: neither it nor `cdf` is implemented.

        Example:
            >>> Normal(0.0, 1.0).survival_function(0.0)  # 0.5
        """
        return self._call_with_fallback(value, name, self._survival_function,
                                        lambda v: 1.0 - self.cdf(v))

    def _quantile(self, value):
        raise NotImplementedError(f"quantile is not implemented: {type(self).__name__}")

    def quantile(self, value, name="quantile"):
        """The inverse CDF: x such that P[X <= x] = value.

        Args:
            value: probabilities broadcastable to `batch_shape`.
            name: name scope.

        Returns:
            A float Tensor.

        Raises:
            NotImplementedError: the family has no quantile (only Normal does in TF 1.x).

        Example:
            >>> Normal(0.0, 1.0).quantile(0.975)  # 1.959964
        """
        with self._name_scope(name, values=[value]):
            return self._quantile(_convert_value(value, self.dtype))

    # ----- statistics ----------------------------------------------------------------------
    def _entropy(self):
        raise NotImplementedError(f"entropy is not implemented: {type(self).__name__}")

    def entropy(self, name="entropy"):
        """Shannon entropy in nats.

        Args:
            name: name scope.

        Returns:
            A float Tensor of `batch_shape`.

        Raises:
            NotImplementedError: the family has no entropy.

        Example:
            >>> Uniform(0.0, 2.0).entropy()  # log(2)
        """
        with self._name_scope(name):
            return self._entropy()

    def _mean(self):
        raise NotImplementedError(f"mean is not implemented: {type(self).__name__}")

    def mean(self, name="mean"):
        """The mean, shape `batch_shape + event_shape`.

        Args:
            name: name scope.

        Returns:
            A float Tensor.

        Raises:
            NotImplementedError: the family has no mean.

        Example:
            >>> Gamma(2.0, 4.0).mean()  # 0.5
        """
        with self._name_scope(name):
            return self._mean()

    def _variance(self):
        raise NotImplementedError(f"variance is not implemented: {type(self).__name__}")

    def variance(self, name="variance"):
        """The variance, shape `batch_shape + event_shape` (falls back to stddev**2).

        Args:
            name: name scope.

        Returns:
            A float Tensor.

        Raises:
            NotImplementedError: neither variance nor stddev is implemented.

        Example:
            >>> Normal(0.0, 3.0).variance()  # 9.0
        """
        with self._name_scope(name):
            return _first_implemented(self._variance,
                                      lambda: math_ops.square(self._stddev()))

    def _stddev(self):
        raise NotImplementedError(f"stddev is not implemented: {type(self).__name__}")

    def stddev(self, name="stddev"):
        """The standard deviation (falls back to sqrt(variance)).

        Args:
            name: name scope.

        Returns:
            A float Tensor.

        Raises:
            NotImplementedError: neither stddev nor variance is implemented.

        Example:
            >>> Normal(0.0, 3.0).stddev()  # 3.0
        """
        with self._name_scope(name):
            return _first_implemented(self._stddev, lambda: math_ops.sqrt(self._variance()))

    def _covariance(self):
        raise NotImplementedError(f"covariance is not implemented: {type(self).__name__}")

    def covariance(self, name="covariance"):
        """The covariance matrix of vector events, shape `batch_shape + [k, k]`.

        Args:
            name: name scope.

        Returns:
            A float Tensor.

        Raises:
            NotImplementedError: the family has no covariance (scalar events, in TF 1.x).

        Example:
            >>> Dirichlet([1.0, 1.0]).covariance()  # [[1/12, -1/12], [-1/12, 1/12]]
        """
        with self._name_scope(name):
            return self._covariance()

    def _mode(self):
        raise NotImplementedError(f"mode is not implemented: {type(self).__name__}")

    def mode(self, name="mode"):
        """The mode (NaN where undefined when `allow_nan_stats`).

        Args:
            name: name scope.

        Returns:
            A Tensor of `batch_shape + event_shape`.

        Raises:
            NotImplementedError: the family has no mode.

        Example:
            >>> Beta(2.0, 2.0).mode()  # 0.5
        """
        with self._name_scope(name):
            return self._mode()

    def _cross_entropy(self, other):
        return kullback_leibler.cross_entropy(self, other,
                                              allow_nan_stats=self.allow_nan_stats)

    def cross_entropy(self, other, name="cross_entropy"):
        """The cross entropy H[self, other] = entropy(self) + KL(self || other), in nats.

        Args:
            other: a Distribution with a registered KL against this one.
            name: name scope.

        Returns:
            A float Tensor of the broadcast batch shape.

        Raises:
            NotImplementedError: no KL is registered for the pair.

        Example:
            >>> Normal(0.0, 1.0).cross_entropy(Normal(1.0, 1.0))
        """
        with self._name_scope(name):
            return self._cross_entropy(other)

    def _kl_divergence(self, other):
        return kullback_leibler.kl_divergence(self, other,
                                              allow_nan_stats=self.allow_nan_stats)

    def kl_divergence(self, other, name="kl_divergence"):
        """KL(self || other), in nats.

        Args:
            other: a Distribution with a registered KL against this one.
            name: name scope.

        Returns:
            A float Tensor of the broadcast batch shape.

        Raises:
            NotImplementedError: no KL is registered for the pair.

        Example:
            >>> Normal(0.0, 1.0).kl_divergence(Normal(1.0, 1.0))  # 0.5
        """
        with self._name_scope(name):
            return self._kl_divergence(other)

    # ----- text ----------------------------------------------------------------------------
    def __str__(self):
        batch = (f", batch_shape={self.batch_shape}" if self.batch_shape.ndims is not None
                 else "")
        event = (f", event_shape={self.event_shape}" if self.event_shape.ndims is not None
                 else "")
        return (f"tfp.distributions.{type(self).__name__}(\"{self.name}\"{batch}{event}, "
                f"dtype={self.dtype.name})")

    def __repr__(self):
        return (f"<tfp.distributions.{type(self).__name__} '{self.name}' batch_shape="
                f"{self.batch_shape} event_shape={self.event_shape} dtype={self.dtype.name}>")

    # ----- helpers -------------------------------------------------------------------------
    @contextlib.contextmanager
    def _name_scope(self, name=None, values=None):
        with name_scope(self.name):
            with name_scope(name, values=([] if values is None else list(values))
                            + self._graph_parents) as scope:
                yield scope

    def _expand_sample_shape_to_vector(self, x, name):
        static = shape_fns.constant_value(x)
        if static is None:
            prod = math_ops.reduce_prod(x)
        else:
            prod = np.prod(static, dtype=x.dtype.as_numpy_dtype)
        ndims = x.shape.ndims
        if ndims is None:
            ndims = array_ops.rank(x)
            x = array_ops.reshape(x, array_ops.concat(
                [array_ops.shape(x), array_ops.ones(
                    [1 - math_ops.minimum(ndims, 1)], dtype=dtypes.int32)], 0))
        elif ndims == 0:
            if static is not None:
                x = convert_to_tensor(np.array([static], dtype=x.dtype.as_numpy_dtype),
                                      name=name)
            else:
                x = array_ops.reshape(x, [1])
        elif ndims != 1:
            raise ValueError("Input is neither scalar nor vector.")
        return x, prod

    def _set_sample_static_shape(self, x, sample_shape):
        static = shape_fns.constant_value(sample_shape)
        sample_shape = TensorShape(None if static is None else
                                   [int(d) for d in np.asarray(static).ravel()])
        ndims = x.shape.ndims
        sample_ndims = sample_shape.ndims
        batch_ndims = self.batch_shape.ndims
        event_ndims = self.event_shape.ndims
        if ndims is None and None not in (sample_ndims, batch_ndims, event_ndims):
            ndims = sample_ndims + batch_ndims + event_ndims
            x.set_shape([None] * ndims)
        if ndims is not None and sample_ndims is not None:
            x.set_shape(x.shape.merge_with(
                sample_shape.concatenate([None] * (ndims - sample_ndims))))
        if ndims is not None and event_ndims is not None:
            x.set_shape(x.shape.merge_with(
                TensorShape([None] * (ndims - event_ndims)).concatenate(self.event_shape)))
        if batch_ndims is not None:
            if ndims is not None:
                if sample_ndims is None and event_ndims is not None:
                    sample_ndims = ndims - batch_ndims - event_ndims
                elif event_ndims is None and sample_ndims is not None:
                    event_ndims = ndims - batch_ndims - sample_ndims
            if sample_ndims is not None and event_ndims is not None:
                x.set_shape(x.shape.merge_with(
                    TensorShape([None] * sample_ndims).concatenate(self.batch_shape)
                    .concatenate([None] * event_ndims)))
        return x

    def _is_scalar_helper(self, static_shape, dynamic_shape_fn):
        if static_shape.ndims is not None:
            return static_shape.ndims == 0
        shape = dynamic_shape_fn()
        if shape.shape.ndims is not None and shape.shape.as_list()[0] is not None:
            return shape.shape.as_list() == [0]
        return math_ops.equal(array_ops.shape(shape)[0], 0)
