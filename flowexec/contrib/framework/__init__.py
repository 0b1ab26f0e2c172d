"""`tf.contrib.framework`: `arg_scope` / `add_arg_scope` (default keyword arguments of
decorated functions, see arg_scope.py) and contrib's variable helpers (`variable`,
`model_variable`, `get_model_variables`, `get_variables`, `get_variables_by_name`). The rest
of TF 1.x's contrib.framework is not here.

Example:
    >>> with tf.contrib.framework.arg_scope([tf.contrib.layers.conv2d], padding="VALID"):
    ...     net = tf.contrib.layers.conv2d(images, 32, 3)
"""

from flowexec.contrib.framework.arg_scope import (  # noqa: F401
    add_arg_scope,
    arg_scope,
    arg_scoped_arguments,
    current_arg_scope,
    has_arg_scope,
)
from flowexec.contrib.framework.variables import (  # noqa: F401
    get_model_variables,
    get_variables,
    get_variables_by_name,
    model_variable,
    variable,
)

__all__ = ["arg_scope", "add_arg_scope", "current_arg_scope", "has_arg_scope",
           "arg_scoped_arguments", "variable", "model_variable", "get_model_variables",
           "get_variables", "get_variables_by_name"]
