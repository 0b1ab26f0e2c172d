"""`tf.contrib.seq2seq.gather_tree` (TF 1.15's contrib/seq2seq/python/ops/beam_search_ops.py):
the op GatherTree lives in flowexec/ops/gather_tree_ops.py."""

from flowexec.ops.gather_tree_ops import gather_tree  # noqa: F401

__all__ = ["gather_tree"]
