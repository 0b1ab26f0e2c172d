"""`tf.contrib.framework.arg_scope`: default keyword arguments for decorated functions.

State: one module-level stack of scopes (`_ARGSTACK`), each a dict `{key_op: {arg: value}}`
where `key_op` is `str(func)` of the undecorated function (TF's key), and the registry
`_DECORATED_OPS` of functions decorated with `add_arg_scope` (key -> keyword-argument names).
An inner `arg_scope` copies the enclosing scope and updates it; explicit keyword arguments at
a call always win over the scope's. As in TF the stack is process-wide and not thread-safe:
build graphs with arg scopes from one thread.

Example:
    >>> with arg_scope([tf.contrib.layers.fully_connected],
    ...                weights_regularizer=tf.contrib.layers.l2_regularizer(0.01)):
    ...     h = tf.contrib.layers.fully_connected(x, 64)   # regularized
"""

import contextlib
import functools

__all__ = ["arg_scope", "add_arg_scope", "current_arg_scope", "has_arg_scope",
           "arg_scoped_arguments"]

_ARGSTACK = [{}]
_DECORATED_OPS = {}


def _get_arg_stack():
    if not _ARGSTACK:
        _ARGSTACK.append({})
    return _ARGSTACK


def current_arg_scope():
    """The innermost scope: a dict `{key_op: {arg: value}}`."""
    return _get_arg_stack()[-1]


def _key_op(op):
    return getattr(op, "_key_op", str(op))


def _name_op(op):
    return (op.__module__, op.__name__)


def _kwarg_names(func):
    # The parameters with defaults, as TF lists them (those arg_scope can set).
    n_defaults = len(func.__defaults__) if func.__defaults__ else 0
    return func.__code__.co_varnames[-n_defaults:func.__code__.co_argcount]


@contextlib.contextmanager
def arg_scope(list_ops_or_scope, **kwargs):
    """Sets default keyword arguments of the given decorated functions inside the block.

    Args:
        list_ops_or_scope: a list or tuple of functions decorated with `add_arg_scope`, or a
            scope dict yielded by an earlier `arg_scope` (then `kwargs` must be empty) to
            re-enter it.
        **kwargs: the defaults; a nested scope updates the enclosing one's.

    Yields:
        The current scope, a dict `{key_op: {arg: value}}`, re-usable as above.

    Raises:
        TypeError: `list_ops_or_scope` is neither a list/tuple nor a dict.
        ValueError: a dict with `kwargs`, or a function not decorated with `add_arg_scope`.

    Example:
        >>> with arg_scope([conv2d], padding="VALID") as sc:
        ...     pass
        >>> with arg_scope(sc):
        ...     net = conv2d(x, 8, 3)   # padding="VALID"
    """
    if isinstance(list_ops_or_scope, dict):
        if kwargs:
            # TF's message (with its missing space).
            raise ValueError("When attempting to re-use a scope by suppling a"
                             "dictionary, kwargs must be empty.")
        current_scope = list_ops_or_scope.copy()
        try:
            _get_arg_stack().append(current_scope)
            yield current_scope
        finally:
            _get_arg_stack().pop()
        return
    if not isinstance(list_ops_or_scope, (list, tuple)):
        raise TypeError("list_ops_or_scope must either be a list/tuple or reused"
                        "scope (i.e. dict)")
    current_scope = current_arg_scope().copy()
    for op in list_ops_or_scope:
        key_op = _key_op(op)
        if not has_arg_scope(op):
            # TF passes the name as a second argument (the message is not formatted).
            raise ValueError("%s is not decorated with @add_arg_scope", _name_op(op))
        merged = dict(current_scope.get(key_op, {}))
        merged.update(kwargs)
        current_scope[key_op] = merged
    try:
        _get_arg_stack().append(current_scope)
        yield current_scope
    finally:
        _get_arg_stack().pop()


def add_arg_scope(func):
    """Decorates `func` so that `arg_scope` can set its keyword arguments.

    Returns:
        The wrapped function (same name and docstring); explicit keyword arguments override
        the scope's.

    Example:
        >>> @add_arg_scope
        ... def my_layer(x, units=10, activation=None): ...
    """
    key_func = _key_op(func)

    @functools.wraps(func)
    def func_with_args(*args, **kwargs):
        current_scope = current_arg_scope()
        current_args = kwargs
        if key_func in current_scope:
            current_args = current_scope[key_func].copy()
            current_args.update(kwargs)
        return func(*args, **current_args)

    if key_func not in _DECORATED_OPS:
        _DECORATED_OPS[key_func] = _kwarg_names(func)
    func_with_args._key_op = key_func
    return func_with_args


def has_arg_scope(func):
    """Whether `func` was decorated with `add_arg_scope`."""
    return _key_op(func) in _DECORATED_OPS


def arg_scoped_arguments(func):
    """The keyword-argument names of a decorated `func` that `arg_scope` can set."""
    if not has_arg_scope(func):
        raise ValueError(f"{_name_op(func)} is not decorated with @add_arg_scope")
    return _DECORATED_OPS[_key_op(func)]
