"""The graph framework: Graph, Operation, Tensor, dtypes, shapes, registry, errors."""
