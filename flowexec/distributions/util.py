"""Helpers shared by the `tf.distributions` families (TF 1.x's `distributions/util.py`):
logits/probs conversion, the embedded validity checks that `validate_args=True` adds (each
an Assert with TF's message, run before the checked tensor is read), `log_combinations` and
the seed salting that derives a second op seed from the user's; and what several families
share in this port: the checked conversion of their parameters and their shape methods
(`FamilyMixin`), `convert_concentration`, `convert_total_count`, `embed_check_counts_sum`,
read-only parameter properties (`parameter_property`) and the covariance of the Dirichlet
family (`scaled_mean_covariance`).

Every function adds ops to the default graph; nothing here holds state.
"""

import functools
import hashlib
import operator

import numpy as np

from flowexec.distributions import distribution
from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import control_dependencies, name_scope
from flowexec.framework.tensor_shape import TensorShape, dimension_value
from flowexec.ops import array_ops, check_ops, math_ops, nn_ops
from flowexec.ops.constant_op import constant, identity, no_op
from flowexec.ops.matrix_ops import matrix_set_diag
from flowexec.ops.shape_util_ops import broadcast_dynamic_shape, broadcast_static_shape
from flowexec.ops.special_ops import lgamma

__all__ = ["FamilyMixin", "assert_integer_form",
           "convert_concentration", "convert_total_count",
           "embed_check_categorical_event_shape", "embed_check_counts_sum",
           "embed_check_integer_casting_closed", "embed_check_nonnegative_integer_form",
           "gen_new_seed", "get_logits_and_probs", "log_combinations",
           "parameter_property", "scaled_mean_covariance", "with_dependencies"]


def with_dependencies(dependencies, output_tensor, name=None):
    """`output_tensor`, readable only after every op of `dependencies` has run.

    Args:
        dependencies: Operations (e.g. Asserts) to run first.
        output_tensor: the Tensor to gate.
        name: name scope (default "control_dependency").

    Returns:
        An Identity of `output_tensor` with control inputs on `dependencies`.

    Example:
        >>> x = with_dependencies([assert_positive(x)], x)
    """
    output_tensor = convert_to_tensor(output_tensor)
    with name_scope(name, "control_dependency", [*dependencies, output_tensor]) as scope:
        with control_dependencies(dependencies):
            return identity(output_tensor, name=scope)


def _largest_integer_by_dtype(dt):
    if dt.is_floating:
        return int(2 ** (np.finfo(dt.as_numpy_dtype).nmant + 1))
    if dt.is_integer:
        return int(np.iinfo(dt.as_numpy_dtype).max)
    if dt.base_dtype == dtypes.bool:
        return 1
    raise TypeError(f"Unrecognized dtype: {dt.name}")


def _smallest_integer_by_dtype(dt):
    if dt.base_dtype in (dtypes.bool, dtypes.uint8, dtypes.uint16):
        return 0
    return -1 * _largest_integer_by_dtype(dt)


def _is_integer_like(dt):
    return dt.is_integer or dt.base_dtype == dtypes.bool


def assert_integer_form(x, data=None, summarize=None, message=None, int_dtype=None,
                        name="assert_integer_form"):
    """Asserts that a float `x` holds whole numbers only (`x == cast(cast(x, int), x.dtype)`).

    Args:
        x: a Tensor.
        data, summarize: as `assert_equal`.
        message: the failure message (default "<x> has non-integer components").
        int_dtype: the integer type to round-trip through (default: same width as x).
        name: name scope.

    Returns:
        An Assert Operation (a NoOp when `x` is of an integer type).

    Raises:
        TypeError: `x` has a dtype with no integer counterpart.

    Example:
        >>> check = assert_integer_form(counts)
    """
    with name_scope(name, values=[x]):
        x = convert_to_tensor(x, name="x")
        if x.dtype.is_integer:
            return no_op()
        message = message or f"{x} has non-integer components"
        if int_dtype is None:
            try:
                int_dtype = {dtypes.float16: dtypes.int16, dtypes.float32: dtypes.int32,
                             dtypes.float64: dtypes.int64}[x.dtype.base_dtype]
            except KeyError:
                raise TypeError(f"Unrecognized type {x.dtype.name}") from None
        return check_ops.assert_equal(x, math_ops.cast(math_ops.cast(x, int_dtype), x.dtype),
                                      data=data, summarize=summarize, message=message,
                                      name=name)


def embed_check_nonnegative_integer_form(x, name="embed_check_nonnegative_integer_form"):
    """`x`, gated on `x >= 0` and (for floats) on `x` holding whole numbers.

    Args:
        x: a Tensor (counts).
        name: name scope.

    Returns:
        `x` behind the checks; they raise InvalidArgumentError "'<x>' must be non-negative."
        or "'<x>' cannot contain fractional components." when it is read.

    Example:
        >>> total_count = embed_check_nonnegative_integer_form(total_count)
    """
    with name_scope(name, values=[x]):
        x = convert_to_tensor(x, name="x")
        assertions = [check_ops.assert_non_negative(x, message=f"'{x}' must be non-negative.")]
        if not x.dtype.is_integer:
            assertions.append(assert_integer_form(
                x, message=f"'{x}' cannot contain fractional components."))
        return with_dependencies(assertions, x)


def embed_check_categorical_event_shape(categorical_param,
                                        name="embed_check_categorical_event_shape"):
    """`categorical_param`, checked to have rank >= 1 and 2 <= event size <= what its float
    dtype counts exactly (statically when the shape is known, else by run-time Asserts).

    Args:
        categorical_param: float logits, probs or concentration.
        name: name scope.

    Returns:
        `categorical_param` (gated by Asserts when its last dimension is unknown).

    Raises:
        TypeError: a non-float dtype.
        ValueError: a scalar, fewer than 2 events, or more than the dtype can index.

    Example:
        >>> logits = embed_check_categorical_event_shape(logits)
    """
    with name_scope(name, values=[categorical_param]):
        x = convert_to_tensor(categorical_param, name="categorical_param")
        x_dtype = x.dtype.base_dtype
        max_event_size = _largest_integer_by_dtype(x_dtype) if x_dtype.is_floating else 0
        if max_event_size == 0:
            raise TypeError(f"Unable to validate size of unrecognized dtype ({x_dtype.name}).")
        try:
            x_shape_static = x.shape.with_rank_at_least(1)
        except ValueError:
            raise ValueError("A categorical-distribution parameter must have at least 1 "
                             "dimension.") from None
        if x_shape_static.ndims is not None and \
                dimension_value(x_shape_static[-1]) is not None:
            event_size = dimension_value(x_shape_static[-1])
            if event_size < 2:
                raise ValueError("A categorical-distribution parameter must have at least 2 "
                                 "events.")
            if event_size > max_event_size:
                raise ValueError(f"Number of classes exceeds `dtype` precision, i.e., "
                                 f"{x_dtype.name} implies shape ({event_size}) cannot exceed "
                                 f"{max_event_size}.")
            return x
        event_size = array_ops.shape(x, name="x_shape")[-1]
        return with_dependencies([
            check_ops.assert_rank_at_least(
                x, 1, message="A categorical-distribution parameter must have at least 1 "
                              "dimension."),
            check_ops.assert_greater_equal(
                array_ops.shape(x)[-1], 2,
                message="A categorical-distribution parameter must have at least 2 events."),
            check_ops.assert_less_equal(
                event_size, max_event_size,
                message=f"Number of classes exceeds `dtype` precision, i.e., {x_dtype.name} "
                        f"dtype cannot exceed {max_event_size} shape."),
        ], x)


def embed_check_integer_casting_closed(x, target_dtype, assert_nonnegative=True,
                                       name="embed_check_casting_closed"):
    """`x`, checked to survive a cast to `target_dtype` unchanged (non-negative, whole,
    within range), as TF's Bernoulli/Categorical `validate_args` event checks.

    Args:
        x: a float or integer Tensor.
        target_dtype: the dtype the values must be castable to.
        assert_nonnegative: also assert `x >= 0` ("Elements must be non-negative.").
        name: name scope.

    Returns:
        `x` behind the checks.

    Raises:
        TypeError: neither `x`'s dtype nor `target_dtype` is integer-like.

    Example:
        >>> event = embed_check_integer_casting_closed(event, dtypes.bool)
    """
    with name_scope(name, values=[x]):
        x = convert_to_tensor(x, name="x")
        if not _is_integer_like(x.dtype) and not x.dtype.is_floating:
            raise TypeError(f"{x.dtype.name}.dtype must be floating- or integer-type.")
        if not _is_integer_like(target_dtype) and not target_dtype.is_floating:
            raise TypeError(f"target_dtype ({target_dtype.name}) must be floating- or "
                            "integer-type.")
        if not _is_integer_like(x.dtype) and not _is_integer_like(target_dtype):
            raise TypeError(f"At least one of {x}.dtype ({x.dtype.name}) and target_dtype "
                            f"({target_dtype.name}) must be integer-type.")
        assertions = []
        if assert_nonnegative:
            assertions.append(check_ops.assert_non_negative(
                x, message="Elements must be non-negative."))
        if x.dtype.is_floating:
            assertions.append(assert_integer_form(
                x, int_dtype=target_dtype,
                message=f"Elements must be {target_dtype.name}-equivalent."))
        else:
            if _largest_integer_by_dtype(x.dtype) > _largest_integer_by_dtype(target_dtype):
                top = _largest_integer_by_dtype(target_dtype)
                assertions.append(check_ops.assert_less_equal(
                    x, constant(top, dtype=x.dtype), message=f"Elements cannot exceed {top}."))
            if not assert_nonnegative and \
                    _smallest_integer_by_dtype(x.dtype) < _smallest_integer_by_dtype(target_dtype):
                low = _smallest_integer_by_dtype(target_dtype)
                assertions.append(check_ops.assert_greater_equal(
                    x, constant(low, dtype=x.dtype),
                    message=f"Elements cannot be smaller than {low}."))
        if not assertions:
            return x
        return with_dependencies(assertions, x)


def get_logits_and_probs(logits=None, probs=None, multidimensional=False, validate_args=False,
                         name="get_logits_and_probs", dtype=None):
    """The (logits, probs) pair from exactly one of them, as TF.

    Bernoulli-style (`multidimensional=False`): probs = sigmoid(logits), logits =
    log(p) - log1p(-p). Categorical-style: probs = softmax(logits), logits = log(probs).

    Args:
        logits: float log-odds (or unnormalized log-probabilities).
        probs: float probabilities.
        multidimensional: the last dimension indexes the classes.
        validate_args: add TF's probs checks ("probs does not sum to 1.", "probs has
            components greater than 1.", non-negativity).
        name: name scope.
        dtype: the dtype to convert to.

    Returns:
        (logits, probs) Tensors.

    Raises:
        ValueError: both or neither given ("Must pass probs or logits, but not both.").
        TypeError: a non-float argument.

    Example:
        >>> logits, probs = get_logits_and_probs(probs=[0.2, 0.8], multidimensional=True)
    """
    with name_scope(name, values=[probs, logits]):
        if (probs is None) == (logits is None):
            raise ValueError("Must pass probs or logits, but not both.")
        if probs is None:
            logits = convert_to_tensor(logits, name="logits", dtype=dtype)
            if not logits.dtype.is_floating:
                raise TypeError("logits must having floating type.")
            if multidimensional:
                if validate_args:
                    logits = embed_check_categorical_event_shape(logits)
                return logits, nn_ops.softmax(logits, name="probs")
            return logits, math_ops.sigmoid(logits, name="probs")
        probs = convert_to_tensor(probs, name="probs", dtype=dtype)
        if not probs.dtype.is_floating:
            raise TypeError("probs must having floating type.")
        if validate_args:
            with name_scope("validate_probs"):
                one = constant(1.0, probs.dtype)
                deps = [check_ops.assert_non_negative(probs)]
                if multidimensional:
                    probs = embed_check_categorical_event_shape(probs)
                    deps.append(check_ops.assert_near(math_ops.reduce_sum(probs, -1), one,
                                                      message="probs does not sum to 1."))
                else:
                    deps.append(check_ops.assert_less_equal(
                        probs, one, message="probs has components greater than 1."))
                probs = with_dependencies(deps, probs)
        with name_scope("logits"):
            if multidimensional:
                return math_ops.log(probs), probs
            return math_ops.log(probs) - math_ops.log1p(-1.0 * probs), probs


def log_combinations(n, counts, name="log_combinations"):
    """log of the multinomial coefficient n! / prod(counts!) over the last axis of counts.

    Args:
        n: float total counts, shape [B...].
        counts: float counts, shape [B..., k].
        name: name scope.

    Returns:
        A Tensor of shape [B...].

    Example:
        >>> log_combinations(3.0, [1.0, 2.0])  # log(3)
    """
    with name_scope(name, values=[n, counts]):
        n = convert_to_tensor(n, name="n")
        counts = convert_to_tensor(counts, name="counts")
        return lgamma(n + 1) - math_ops.reduce_sum(lgamma(counts + 1), axis=[-1])


def gen_new_seed(seed, salt):
    """A new op seed derived from `seed` and `salt` (TF's md5 rule; None stays None).

    Args:
        seed: an int op seed or None.
        salt: a string.

    Returns:
        An int in [0, 2**31) or None.

    Example:
        >>> gen_new_seed(42, "beta")
    """
    if seed is None:
        return None
    string = (str(seed) + salt).encode("utf-8")
    return int(hashlib.md5(string).hexdigest()[:8], 16) & 0x7FFFFFFF


def convert_concentration(concentration, name, validate_args, event_checks=None):
    """A concentration parameter as a Tensor named `name`, gated (with `validate_args`) on
    being positive ("Concentration parameter must be positive.").

    Args:
        concentration: float values.
        name: the Tensor's name ("concentration", "concentration1", ...).
        validate_args: whether to add the checks.
        event_checks: None (a scalar event: Beta); "dirichlet": also run-time Asserts of rank
            >= 1 and event size >= 2 with TF Dirichlet's messages; "categorical": first
            `embed_check_categorical_event_shape` (TF's DirichletMultinomial).

    Returns:
        The Tensor, behind its checks.

    Example:
        >>> c = convert_concentration([1.0, 2.0], "concentration", True, "dirichlet")
    """
    concentration = convert_to_tensor(concentration, name=name)
    if not validate_args:
        return concentration
    if event_checks == "categorical":
        concentration = embed_check_categorical_event_shape(concentration)
    checks = [check_ops.assert_positive(concentration,
                                        message="Concentration parameter must be positive.")]
    if event_checks == "dirichlet":
        checks += [
            check_ops.assert_rank_at_least(
                concentration, 1, message="Concentration parameter must have >=1 dimensions."),
            check_ops.assert_less(1, array_ops.shape(concentration)[-1],
                                  message="Concentration parameter must have event_size >= 2."),
        ]
    return with_dependencies(checks, concentration)


def convert_total_count(total_count, validate_args):
    """`total_count` as a Tensor named "total_count", gated (with `validate_args`) on holding
    non-negative whole numbers (`embed_check_nonnegative_integer_form`).

    Args:
        total_count: the number of draws.
        validate_args: whether to add the checks.

    Returns:
        The Tensor, behind its checks.

    Example:
        >>> n = convert_total_count(3.0, validate_args=True)
    """
    total_count = convert_to_tensor(total_count, name="total_count")
    if validate_args:
        total_count = embed_check_nonnegative_integer_form(total_count)
    return total_count


def embed_check_counts_sum(counts, total_count, validate_args, message):
    """`counts`, gated (with `validate_args`) on holding non-negative whole numbers that sum
    over the last axis to `total_count` (InvalidArgumentError `message` otherwise).

    Args:
        counts: float counts, [B..., k].
        total_count: float, broadcastable to [B...].
        validate_args: whether to add the checks.
        message: the message of the sum check.

    Returns:
        `counts`, behind its checks.

    Example:
        >>> counts = embed_check_counts_sum(counts, n, True, "counts must sum to `n`")
    """
    if not validate_args:
        return counts
    counts = embed_check_nonnegative_integer_form(counts)
    return with_dependencies([check_ops.assert_equal(
        total_count, math_ops.reduce_sum(counts, -1), message=message)], counts)


def scaled_mean_covariance(x, variance):
    """The covariance -x x^T with the diagonal set to `variance()` (Dirichlet-style families,
    x = the mean scaled by the family's variance scale term).

    Args:
        x: float [B..., k].
        variance: a callable giving the [B..., k] variances (made after the product, as TF).

    Returns:
        A [B..., k, k] Tensor.

    Example:
        >>> cov = scaled_mean_covariance(scale * mean, self._variance)
    """
    return matrix_set_diag(-math_ops.matmul(x[..., None], x[..., None, :]), variance())


class FamilyMixin:
    """What several families share: the checked conversion of their parameters
    (`_init_parameters`) and the shape methods, from three class attributes (put it before
    `Distribution` among the bases).

    Attributes:
        _param_names: the constructor arguments `param_shapes` gives the sample shape to
            (empty: `param_shapes` is not implemented).
        _batch_params: the attributes whose shapes broadcast to the batch shape (empty: the
            shape of `_event_param` less its last axis).
        _event_param: the attribute whose last axis is the event (None: a scalar event).

    Example:
        >>> class Normal(FamilyMixin, distribution.Distribution):
        ...     _param_names = _batch_params = ("loc", "scale")
    """

    _param_names = ()
    _batch_params = ()
    _event_param = None

    def _init_parameters(self, parameters, name, params, checks, validate_args,
                         allow_nan_stats):
        """Sets `self._<key>` for each of `params` to an Identity named `<key>` under the
        `name` scope, gated (with `validate_args`) on the Asserts `checks` makes, and then
        initializes the fully reparameterized Distribution with them as graph parents.

        The Asserts are made first, inside the scope, from the values as given (as TF's
        Normal, Laplace, Uniform, StudentT and Gamma constructors do).

        Args:
            parameters: the constructor's `dict(locals())`.
            name: the family's name scope (e.g. "Normal").
            params: a dict of parameter name to value, in the order of the scope's values.
            checks: a callable returning the list of Assert ops (called only with
                validate_args).
            validate_args, allow_nan_stats: as the Distribution's.

        Raises:
            ValueError: the parameters have different (or non-float) dtypes.

        Example:
            >>> self._init_parameters(dict(locals()), name, {"loc": loc, "scale": scale},
            ...                       lambda: [check_ops.assert_positive(scale)],
            ...                       validate_args, allow_nan_stats)
        """
        with name_scope(name, values=list(params.values())) as name:
            with control_dependencies(checks() if validate_args else []):
                tensors = [identity(value, name=key) for key, value in params.items()]
                check_ops.assert_same_float_dtype(tensors)
        for key, tensor in zip(params, tensors):
            setattr(self, "_" + key, tensor)
        super().__init__(dtype=tensors[0].dtype,
                         reparameterization_type=distribution.FULLY_REPARAMETERIZED,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                         parameters=parameters, graph_parents=tensors, name=name)

    @classmethod
    def _param_shapes(cls, sample_shape):
        if not cls._param_names:
            return super()._param_shapes(sample_shape)
        shape = convert_to_tensor(sample_shape, dtype=dtypes.int32)
        return {pname: shape for pname in cls._param_names}

    def _batch_shape_tensor(self):
        if not self._batch_params:
            return array_ops.shape(getattr(self, self._event_param))[:-1]
        shapes = [array_ops.shape(getattr(self, p)) for p in self._batch_params]
        # TF nests to the right: broadcast(df, broadcast(loc, scale))
        return functools.reduce(lambda y, x: broadcast_dynamic_shape(x, y), shapes[::-1])

    def _batch_shape(self):
        if not self._batch_params:
            return getattr(self, self._event_param).shape.with_rank_at_least(1)[:-1]
        return functools.reduce(broadcast_static_shape,
                                [getattr(self, p).shape for p in self._batch_params])

    def _event_shape_tensor(self):
        if self._event_param is None:
            return constant([], dtype=dtypes.int32)
        return array_ops.shape(getattr(self, self._event_param))[-1:]

    def _event_shape(self):
        if self._event_param is None:
            return TensorShape([])
        return getattr(self, self._event_param).shape.with_rank_at_least(1)[-1:]


def parameter_property(attribute, doc):
    """A read-only property giving `self.<attribute>` (a family's parameter Tensor).

    Args:
        attribute: the instance attribute ("_loc").
        doc: the property's docstring.

    Returns:
        A property.

    Example:
        >>> loc = parameter_property("_loc", "The mean(s).")
    """
    return property(operator.attrgetter(attribute), doc=doc)
