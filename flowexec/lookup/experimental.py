"""`tf.lookup.experimental`: the mutable tables."""

from flowexec.lookup.tables import DenseHashTable, MutableHashTable  # noqa: F401

__all__ = ["DenseHashTable", "MutableHashTable"]
