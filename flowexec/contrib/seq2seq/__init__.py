"""`tf.contrib.seq2seq`: TF 1.15's sequence-to-sequence library.

- `sequence_loss` (loss.py): weighted cross entropy over [batch, time] logits.
- Helpers (helper.py): TrainingHelper, GreedyEmbeddingHelper, SampleEmbeddingHelper,
  ScheduledEmbeddingTrainingHelper, InferenceHelper, CustomHelper.
- `Decoder`, `dynamic_decode` (decoder.py): the decoding loop, one `tf.while_loop`.
- `BasicDecoder`, `BasicDecoderOutput` (basic_decoder.py).
- Attention (attention_wrapper.py): BahdanauAttention, LuongAttention, the monotonic
  variants, AttentionWrapper / AttentionWrapperState, hardmax, safe_cumprod,
  monotonic_attention.
- Beam search (beam_search_decoder.py): BeamSearchDecoder, its state/output tuples,
  FinalBeamSearchDecoderOutput, tile_batch, and `gather_tree` (op GatherTree,
  flowexec/ops/gather_tree_ops.py).

Variable names follow TF 1.15, so TF checkpoints map: e.g.
`decoder/attention_wrapper/bahdanau_attention/attention_v`, `memory_layer/kernel`,
`decoder/attention_wrapper/attention_layer/kernel`.

Example:
    >>> helper = tf.contrib.seq2seq.TrainingHelper(dec_inputs, dec_lengths)
    >>> decoder = tf.contrib.seq2seq.BasicDecoder(cell, helper, enc_state,
    ...                                           output_layer=tf.layers.Dense(vocab))
    >>> outputs, _, _ = tf.contrib.seq2seq.dynamic_decode(decoder)
    >>> loss = tf.contrib.seq2seq.sequence_loss(outputs.rnn_output, targets, mask)
"""

from flowexec.contrib.seq2seq.attention_wrapper import (  # noqa: F401
    AttentionMechanism,
    AttentionWrapper,
    AttentionWrapperState,
    BahdanauAttention,
    BahdanauMonotonicAttention,
    LuongAttention,
    LuongMonotonicAttention,
    hardmax,
    monotonic_attention,
    safe_cumprod,
)
from flowexec.contrib.seq2seq.basic_decoder import BasicDecoder, BasicDecoderOutput  # noqa
from flowexec.contrib.seq2seq.beam_search_decoder import (  # noqa: F401
    BeamSearchDecoder,
    BeamSearchDecoderOutput,
    BeamSearchDecoderState,
    FinalBeamSearchDecoderOutput,
    gather_tree_from_array,
    tile_batch,
)
from flowexec.contrib.seq2seq.beam_search_ops import gather_tree  # noqa: F401
from flowexec.contrib.seq2seq.decoder import Decoder, dynamic_decode  # noqa: F401
from flowexec.contrib.seq2seq.helper import (  # noqa: F401
    CustomHelper,
    GreedyEmbeddingHelper,
    Helper,
    InferenceHelper,
    SampleEmbeddingHelper,
    ScheduledEmbeddingTrainingHelper,
    TrainingHelper,
)
from flowexec.contrib.seq2seq.loss import sequence_loss  # noqa: F401

__all__ = ["AttentionMechanism", "AttentionWrapper", "AttentionWrapperState",
           "BahdanauAttention", "BahdanauMonotonicAttention", "LuongAttention",
           "LuongMonotonicAttention", "hardmax", "monotonic_attention", "safe_cumprod",
           "BasicDecoder", "BasicDecoderOutput", "BeamSearchDecoder", "BeamSearchDecoderOutput",
           "BeamSearchDecoderState", "FinalBeamSearchDecoderOutput", "gather_tree_from_array",
           "tile_batch", "gather_tree", "Decoder", "dynamic_decode", "CustomHelper",
           "GreedyEmbeddingHelper", "Helper", "InferenceHelper", "SampleEmbeddingHelper",
           "ScheduledEmbeddingTrainingHelper", "TrainingHelper", "sequence_loss"]
