"""`tf.saved_model.main_op`: the ops a SavedModel's loader runs after restoring variables."""

from flowexec.framework import graph as graph_mod
from flowexec.ops.constant_op import group

__all__ = ["main_op", "main_op_with_restore"]


def main_op():
    """One op that initializes the global and local variables and every table (TF's main op;
    as in TF, run after a restore it resets the restored variables to their initial values).

    Example:
        >>> builder.add_meta_graph_and_variables(sess, ["serve"],
        ...                                      main_op=tf.saved_model.main_op.main_op())
    """
    from flowexec.compat_api import tables_initializer
    from flowexec.variables import global_variables_initializer, local_variables_initializer

    return group(global_variables_initializer(), local_variables_initializer(),
                 tables_initializer())


def main_op_with_restore(restore_op_name):
    """`main_op()` followed by the op named `restore_op_name` (e.g. a Saver's
    `saver_def.restore_op_name`), grouped into one op."""
    with graph_mod.get_default_graph().control_dependencies([main_op()]):
        return group(restore_op_name)
