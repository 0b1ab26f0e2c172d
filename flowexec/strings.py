"""`tf.strings`: operations on string tensors.

Example:
    >>> import flowexec as tf
    >>> tf.strings.join(["a", "b"], separator="-")  # b"a-b"
"""

from flowexec.ops.print_ops import string_format as format  # noqa: F401
from flowexec.ops.string_ops import (  # noqa: F401
    as_string,
    lower,
    reduce_join,
    regex_full_match,
    regex_replace,
    substr,
    unsorted_segment_join,
    upper,
)
from flowexec.ops.hash_ops import string_to_hash_bucket as to_hash_bucket  # noqa: F401
from flowexec.ops.hash_ops import string_to_hash_bucket_fast as to_hash_bucket_fast  # noqa: F401
from flowexec.ops.hash_ops import (  # noqa: F401
    string_to_hash_bucket_strong as to_hash_bucket_strong)
from flowexec.ops.string_split_ops import strings_split as split  # noqa: F401
from flowexec.ops.unicode_ops import (  # noqa: F401
    bytes_split,
    ngrams,
    unicode_encode,
    unicode_script,
    unicode_transcode,
)
from flowexec.ops.string_ops import string_join as join  # noqa: F401
from flowexec.ops.string_ops import string_length as length  # noqa: F401
from flowexec.ops.string_ops import string_strip as strip  # noqa: F401
from flowexec.ops.string_ops import string_to_number as to_number  # noqa: F401

__all__ = ["as_string", "format", "join", "length", "lower", "reduce_join", "regex_full_match",
           "regex_replace", "split", "strip", "substr", "to_hash_bucket", "to_hash_bucket_fast",
           "to_hash_bucket_strong", "to_number", "unsorted_segment_join", "upper", "bytes_split",
           "ngrams", "unicode_encode", "unicode_script", "unicode_transcode"]
