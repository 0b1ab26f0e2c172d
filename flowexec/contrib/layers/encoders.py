"""contrib's `embed_sequence` (TF 1.15's contrib/layers/python/layers/encoders.py): ids to
vectors through a `<scope>/embeddings` model variable `[vocab_size, embed_dim]` (scope default
"EmbedSequence"), optionally looking up each distinct id once (`unique=True`)."""

from flowexec.contrib.framework import variables as contrib_variables
from flowexec.framework import graph as graph_mod
from flowexec.framework.convert import convert_to_tensor
from flowexec.ops import array_ops, embedding_ops, math_ops, search_ops
from flowexec.variable_scope import variable_scope

__all__ = ["embed_sequence", "embedding_lookup_unique"]


def embedding_lookup_unique(params, ids, partition_strategy="mod", name=None):
    """`embedding_lookup` of the distinct ids, gathered back to `ids`' shape (name scope
    "EmbeddingLookupUnique")."""
    with graph_mod.name_scope(name, "EmbeddingLookupUnique", [params, ids]):
        ids = convert_to_tensor(ids)
        shape = array_ops.shape(ids)
        ids_flat = array_ops.reshape(ids, math_ops.reduce_prod(shape, keepdims=True))
        unique_ids, idx = search_ops.unique(ids_flat)
        unique_embeddings = embedding_ops.embedding_lookup(params, unique_ids,
                                                           partition_strategy)
        embeds_flat = array_ops.gather(unique_embeddings, idx)
        embed_shape = array_ops.concat([shape, array_ops.shape(unique_embeddings)[1:]], 0)
        embeds = array_ops.reshape(embeds_flat, embed_shape)
        embeds.set_shape(ids.shape.concatenate(unique_embeddings.shape[1:]))
        return embeds


def embed_sequence(ids, vocab_size=None, embed_dim=None, unique=False, initializer=None,
                   regularizer=None, trainable=True, scope=None, reuse=None):
    """Maps `[batch, length]` ids to `[batch, length, embed_dim]` vectors.

    Args:
        ids: an int Tensor of ids.
        vocab_size, embed_dim: the table's shape (may be None when reusing).
        unique: look up each distinct id once.
        initializer, regularizer, trainable: of the `embeddings` variable (initializer
            default: `get_variable`'s Glorot uniform).
        scope: the variable scope (default "EmbedSequence").
        reuse: reuse the table of `scope`.

    Returns:
        The embedded Tensor.

    Raises:
        ValueError: neither `reuse` nor both sizes.

    Example:
        >>> vectors = tf.contrib.layers.embed_sequence(word_ids, vocab_size=1000,
        ...                                            embed_dim=64)
    """
    if not (reuse or (vocab_size and embed_dim)):
        raise ValueError("Must specify vocab size and embedding dimension when not reusing. "
                         f"Got vocab_size={vocab_size} and embed_dim={embed_dim}")
    with variable_scope(scope, "EmbedSequence", [ids], reuse=reuse):
        shape = [vocab_size, embed_dim]
        # TF's condition, with its precedence: (reuse and no vocab_size) or no embed_dim.
        if (reuse and vocab_size is None) or embed_dim is None:
            shape = None
        embeddings = contrib_variables.model_variable(
            "embeddings", shape=shape, initializer=initializer, regularizer=regularizer,
            trainable=trainable)
        if unique:
            return embedding_lookup_unique(embeddings, ids)
        return embedding_ops.embedding_lookup(embeddings, ids)
