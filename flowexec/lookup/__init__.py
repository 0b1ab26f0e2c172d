"""`tf.lookup`: tables mapping keys to values inside the graph (vocabularies, id maps).

Example:
    >>> import flowexec as tf
    >>> table = tf.lookup.StaticHashTable(
    ...     tf.lookup.KeyValueTensorInitializer(["emerson", "lake"], [0, 1]), -1)
    >>> ids = table.lookup(tf.constant(["lake", "palmer"]))
    >>> with tf.Session() as sess:
    ...     sess.run(tf.tables_initializer())
    ...     sess.run(ids)                       # array([ 1, -1], dtype=int32)
"""

from flowexec.lookup import experimental  # noqa: F401
from flowexec.lookup.tables import (  # noqa: F401
    KeyValueTensorInitializer,
    StaticHashTable,
    StaticVocabularyTable,
    TextFileIndex,
    TextFileInitializer,
)

__all__ = ["KeyValueTensorInitializer", "StaticHashTable", "StaticVocabularyTable",
           "TextFileIndex", "TextFileInitializer", "experimental"]
