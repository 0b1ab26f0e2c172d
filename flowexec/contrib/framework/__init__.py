"""`tf.contrib.framework`: `arg_scope` / `add_arg_scope` (default keyword arguments of
decorated functions, see arg_scope.py) and contrib's variable helpers (variables.py):
`variable`, `model_variable`, `local_variable`, `global_variable`, the `get_*variables*`
queries (`get_variables_to_restore(include, exclude)`, `get_unique_variable`, ...),
`filter_variables`, `assign_from_values[_fn]`, `assign_from_checkpoint[_fn]`,
`zero_initializer`, `VariableDeviceChooser` and the global-step helpers. Not here: tensor
utilities (`reduce_sum_n`, `with_shape`, ...), `list_variables`/`load_variable` (see
`tf.train`), `deprecated` decorators, critical sections.

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
    VariableDeviceChooser,
    assert_or_get_global_step,
    assign_from_checkpoint,
    assign_from_checkpoint_fn,
    assign_from_values,
    assign_from_values_fn,
    filter_variables,
    get_local_variables,
    get_model_variables,
    get_trainable_variables,
    get_unique_variable,
    get_variable_full_name,
    get_variables,
    get_variables_by_name,
    get_variables_by_suffix,
    get_variables_to_restore,
    global_variable,
    local_variable,
    model_variable,
    variable,
    zero_initializer,
)
from flowexec.train.training_util import (  # noqa: F401
    assert_global_step,
    create_global_step,
    get_global_step,
    get_or_create_global_step,
)

__all__ = ["arg_scope", "add_arg_scope", "current_arg_scope", "has_arg_scope",
           "arg_scoped_arguments", "variable", "model_variable", "get_model_variables",
           "get_variables", "get_variables_by_name", "get_variables_by_suffix",
           "get_local_variables", "get_trainable_variables", "get_variables_to_restore",
           "get_unique_variable", "get_variable_full_name", "filter_variables",
           "local_variable", "global_variable", "zero_initializer", "assign_from_values",
           "assign_from_values_fn", "assign_from_checkpoint", "assign_from_checkpoint_fn",
           "VariableDeviceChooser", "assert_global_step", "assert_or_get_global_step",
           "create_global_step", "get_global_step", "get_or_create_global_step"]
