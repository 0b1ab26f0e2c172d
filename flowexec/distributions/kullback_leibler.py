"""KL divergence registry and dispatch (TF 1.x's `distributions/kullback_leibler.py`).

`RegisterKL(A, B)` registers a closed-form KL(a || b) for a pair of Distribution classes.
`kl_divergence(a, b)` picks the registered function whose (class of a, class of b) pair is
nearest in the two MROs (smallest sum of MRO distances), so a subclass (Exponential is a
Gamma) uses its parent's KL unless it registers its own. The registry is a module-level dict
written at import time (registration is not thread-safe; look-ups are read-only).
"""

import inspect

from flowexec.framework.graph import control_dependencies, name_scope
from flowexec.ops import math_ops
from flowexec.ops.constant_op import identity
from flowexec.ops.logging_ops import Assert

__all__ = ["RegisterKL", "cross_entropy", "kl_divergence"]

_DIVERGENCES = {}


def _registered_kl(type_a, type_b):
    hierarchy_a = inspect.getmro(type_a)
    hierarchy_b = inspect.getmro(type_b)
    dist_to_children = None
    kl_fn = None
    for mro_to_a, parent_a in enumerate(hierarchy_a):
        for mro_to_b, parent_b in enumerate(hierarchy_b):
            candidate_dist = mro_to_a + mro_to_b
            candidate_kl_fn = _DIVERGENCES.get((parent_a, parent_b), None)
            if not kl_fn or (candidate_kl_fn and candidate_dist < dist_to_children):
                dist_to_children = candidate_dist
                kl_fn = candidate_kl_fn
    return kl_fn


def kl_divergence(distribution_a, distribution_b, allow_nan_stats=True, name=None):
    """KL(distribution_a || distribution_b), from the registered closed form.

    Args:
        distribution_a: a Distribution.
        distribution_b: a Distribution.
        allow_nan_stats: when False, the result is checked when run and a NaN raises
            InvalidArgumentError "KL calculation between <a> and <b> returned NaN values (and
            was called with allow_nan_stats=False). Values: ...".
        name: name scope of the KL function (default e.g. "kl_normal_normal"), opened
            inside "KullbackLeibler".

    Returns:
        A float Tensor of the broadcast batch shape.

    Raises:
        NotImplementedError: no KL is registered for the two types ("No KL(distribution_a
            || distribution_b) registered for distribution_a type Normal and
            distribution_b type Gamma").

    Example:
        >>> kl = kl_divergence(Normal(0.0, 1.0), Normal(1.0, 2.0))
    """
    kl_fn = _registered_kl(type(distribution_a), type(distribution_b))
    if kl_fn is None:
        raise NotImplementedError(
            "No KL(distribution_a || distribution_b) registered for distribution_a type "
            f"{type(distribution_a).__name__} and distribution_b type "
            f"{type(distribution_b).__name__}")
    with name_scope("KullbackLeibler"):
        kl_t = kl_fn(distribution_a, distribution_b, name=name)
        if allow_nan_stats:
            return kl_t
        kl_t = identity(kl_t, name="kl")
        with control_dependencies([Assert(
                math_ops.logical_not(math_ops.reduce_any(math_ops.is_nan(kl_t))),
                [f"KL calculation between {distribution_a.name} and {distribution_b.name} "
                 "returned NaN values (and was called with allow_nan_stats=False). Values:",
                 kl_t])]):
            return identity(kl_t, name="checked_kl")


def cross_entropy(ref, other, allow_nan_stats=True, name=None):
    """The cross entropy H[ref, other] = entropy(ref) + KL(ref || other), in nats.

    Args:
        ref: a Distribution.
        other: a Distribution with a KL registered against `ref`.
        allow_nan_stats: as `kl_divergence`.
        name: name scope (default "cross_entropy").

    Returns:
        A float Tensor.

    Raises:
        NotImplementedError: no KL is registered for the pair.

    Example:
        >>> h = cross_entropy(Normal(0.0, 1.0), Normal(0.0, 2.0))
    """
    with name_scope(name, "cross_entropy"):
        return ref.entropy() + kl_divergence(ref, other, allow_nan_stats=allow_nan_stats)


class RegisterKL:
    """Decorator that registers a KL divergence function for a pair of Distribution classes.

    The function receives `(distribution_a, distribution_b, name=None)` and returns a
    Tensor.

    Args:
        dist_cls_a: the class of the first distribution.
        dist_cls_b: the class of the second distribution.

    Raises:
        TypeError: the decorated object is not callable.
        ValueError: the pair is already registered ("KL(A || B) has already been registered
            to: <fn>").

    Example:
        >>> @RegisterKL(MyDist, MyDist)
        ... def _kl_mine(a, b, name=None):
        ...     return a.mean() - b.mean()
    """

    def __init__(self, dist_cls_a, dist_cls_b):
        self._key = (dist_cls_a, dist_cls_b)

    def __call__(self, kl_fn):
        """Registers `kl_fn`; returns it unchanged.

        Args:
            kl_fn: the KL function.

        Returns:
            `kl_fn`.

        Raises:
            TypeError: `kl_fn` is not callable.
            ValueError: the pair is already registered.

        Example:
            >>> RegisterKL(A, B)(fn)
        """
        if not callable(kl_fn):
            raise TypeError(f"kl_fn must be callable, received: {kl_fn}")
        if self._key in _DIVERGENCES:
            raise ValueError(f"KL({self._key[0].__name__} || {self._key[1].__name__}) has "
                             f"already been registered to: {_DIVERGENCES[self._key]}")
        _DIVERGENCES[self._key] = kl_fn
        return kl_fn
