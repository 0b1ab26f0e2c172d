"""`tf.version`: version constants (flowexec's own, and the GraphDef versions it writes).

`VERSION` is flowexec's version; `GRAPH_DEF_VERSION` is the GraphDef producer version that
`tf.train.write_graph` / `as_graph_def` record, which TensorFlow reads.

Example:
    >>> import flowexec as tf
    >>> tf.version.GRAPH_DEF_VERSION  # 27
"""

import platform as _platform

from flowexec.graph_io.export import GRAPH_DEF_VERSION

VERSION = "0.1.0"
GIT_VERSION = "unknown"  # what TF reports for a build made outside a git checkout
COMPILER_VERSION = _platform.python_compiler()
CXX_VERSION = 0  # no C++ is compiled for flowexec
CXX11_ABI_FLAG = 0
MONOLITHIC_BUILD = 0
GRAPH_DEF_VERSION_MIN_CONSUMER = 0
GRAPH_DEF_VERSION_MIN_PRODUCER = 0

__all__ = ["COMPILER_VERSION", "GIT_VERSION", "GRAPH_DEF_VERSION",
           "GRAPH_DEF_VERSION_MIN_CONSUMER", "GRAPH_DEF_VERSION_MIN_PRODUCER", "VERSION"]
