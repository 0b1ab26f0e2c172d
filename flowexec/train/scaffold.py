"""`tf.train.Scaffold`: the ops a MonitoredSession needs to initialize, check, summarize and
save a model, taken from the graph's collections or created with their defaults.

`finalize()` fills what the constructor was not given (each piece from its collection:
INIT_OP, READY_OP, READY_FOR_LOCAL_INIT_OP, LOCAL_INIT_OP, SUMMARY_OP, SAVERS; else a
default, which is then stored in that collection), builds the saver and finalizes the
default graph, so that the training loop cannot add ops by mistake (TF's behaviour).
"""

import logging

from flowexec.framework import graph as graph_mod
from flowexec.framework.graph import GraphKeys

_log = logging.getLogger("flowexec")


def _default_init_op():
    from flowexec.ops import constant_op
    from flowexec.variables import global_variables_initializer

    return constant_op.group(global_variables_initializer())


def _default_ready_op():
    from flowexec.variables import report_uninitialized_variables

    return report_uninitialized_variables()


def _default_ready_for_local_init_op():
    from flowexec.variables import global_variables, report_uninitialized_variables

    return report_uninitialized_variables(global_variables())


def _default_summary_op():
    from flowexec.summary import merge_all

    return merge_all()


def _saver_or_default():
    """The one Saver of the SAVERS collection, or a new one stored there."""
    from flowexec import train

    savers = graph_mod.get_collection(GraphKeys.SAVERS)
    if savers:
        if len(savers) > 1:
            raise RuntimeError(f"More than one item in collection {GraphKeys.SAVERS}. Please "
                               "indicate which one to use by passing it to the constructor.")
        return savers[0]
    saver = train.Saver(sharded=True, allow_empty=True)
    graph_mod.add_to_collection(GraphKeys.SAVERS, saver)
    return saver


class Scaffold:
    """The pieces needed to create and save a training session.

    Args:
        init_op: initializes the variables (default: `global_variables_initializer()`).
        init_feed_dict: feeds for `init_op`.
        init_fn: `init_fn(scaffold, session)`, called after `init_op`.
        ready_op: a 1-D string tensor naming what is not initialized (default:
            `report_uninitialized_variables()`).
        ready_for_local_init_op: as `ready_op`, for the global variables only; checked
            before `local_init_op` runs.
        local_init_op: initializes the local variables (default:
            `local_variables_initializer()`).
        summary_op: the merged summaries (default: `tf.summary.merge_all()`, may be None).
        saver: the `tf.train.Saver` (default: the one in SAVERS, or a new one).
        copy_from_scaffold: a Scaffold whose pieces are used where none is given here.

    Raises:
        TypeError: `copy_from_scaffold` is not a Scaffold.

    Example:
        >>> scaffold = tf.train.Scaffold(saver=tf.train.Saver(max_to_keep=2))
        >>> with tf.train.MonitoredTrainingSession(scaffold=scaffold) as sess: ...
    """

    def __init__(self, init_op=None, init_feed_dict=None, init_fn=None, ready_op=None,
                 ready_for_local_init_op=None, local_init_op=None, summary_op=None,
                 saver=None, copy_from_scaffold=None):
        if copy_from_scaffold is not None:
            if not isinstance(copy_from_scaffold, Scaffold):
                raise TypeError("copy_from_scaffold is not a Scaffold instance.")
            other = copy_from_scaffold

            def pick(a, b):
                return a if a is not None else b
            init_op = pick(init_op, other.init_op)
            init_feed_dict = pick(init_feed_dict, other.init_feed_dict)
            init_fn = pick(init_fn, other._user_init_fn)
            ready_op = pick(ready_op, other.ready_op)
            ready_for_local_init_op = pick(ready_for_local_init_op,
                                           other.ready_for_local_init_op)
            local_init_op = pick(local_init_op, other.local_init_op)
            summary_op = pick(summary_op, other.summary_op)
            saver = pick(saver, other.saver)
        self._user_init_fn = init_fn
        self._init_fn = (lambda sess: init_fn(self, sess)) if init_fn else None
        self._init_op = init_op
        self._init_feed_dict = init_feed_dict
        self._ready_op = ready_op
        self._ready_for_local_init_op = ready_for_local_init_op
        self._local_init_op = local_init_op
        self._summary_op = summary_op
        self._saver = saver

    def finalize(self):
        """Creates the missing pieces, builds the saver and finalizes the default graph.

        Returns:
            self.

        Raises:
            RuntimeError: a collection holds more than one candidate for a piece.
        """
        if self._init_op is None:
            self._init_op = Scaffold.get_or_default("init_op", GraphKeys.INIT_OP,
                                                    _default_init_op)
        if self._ready_op is None:
            self._ready_op = Scaffold.get_or_default("ready_op", GraphKeys.READY_OP,
                                                     _default_ready_op)
        if self._ready_for_local_init_op is None:
            self._ready_for_local_init_op = Scaffold.get_or_default(
                "ready_for_local_init_op", GraphKeys.READY_FOR_LOCAL_INIT_OP,
                _default_ready_for_local_init_op)
        if self._local_init_op is None:
            self._local_init_op = Scaffold.get_or_default(
                "local_init_op", GraphKeys.LOCAL_INIT_OP, Scaffold.default_local_init_op)
        if self._summary_op is None:
            self._summary_op = Scaffold.get_or_default("summary_op", GraphKeys.SUMMARY_OP,
                                                       _default_summary_op)
        if self._saver is None:
            self._saver = _saver_or_default()
        self._saver.build()
        graph_mod.get_default_graph().finalize()
        _log.info("Graph was finalized.")
        return self

    @property
    def init_fn(self):
        return self._init_fn

    @property
    def init_op(self):
        return self._init_op

    @property
    def ready_op(self):
        return self._ready_op

    @property
    def ready_for_local_init_op(self):
        return self._ready_for_local_init_op

    @property
    def local_init_op(self):
        return self._local_init_op

    @property
    def summary_op(self):
        return self._summary_op

    @property
    def saver(self):
        return self._saver

    @property
    def init_feed_dict(self):
        return self._init_feed_dict

    @staticmethod
    def get_or_default(arg_name, collection_key, default_constructor):
        """The one item of `collection_key`, or `default_constructor()` (stored there).

        Raises:
            RuntimeError: the collection holds more than one item.
        """
        elements = graph_mod.get_collection(collection_key)
        if elements:
            if len(elements) > 1:
                raise RuntimeError(
                    f'More than one item in the collection "{collection_key}". Please '
                    f"indicate which one to use by passing it to the tf.Scaffold "
                    f"constructor as:  tf.Scaffold({arg_name}=item to use)")
            return elements[0]
        op = default_constructor()
        if op is not None:
            graph_mod.add_to_collection(collection_key, op)
        return op

    @staticmethod
    def default_local_init_op():
        """The default local init op: `local_variables_initializer()`, grouped."""
        from flowexec.ops import constant_op
        from flowexec.variables import local_variables_initializer

        return constant_op.group(local_variables_initializer())


__all__ = ["Scaffold"]
