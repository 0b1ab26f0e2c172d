"""`slim.model_analyzer` (TF 1.15's contrib/slim/python/slim/model_analyzer.py): counts of a
model's variables and op outputs, optionally printed as TF prints them:

    ---------
    Variables: name (type shape) [size]
    ---------
    conv1/weights:0 (float32_ref 3x3x3x32) [864, bytes: 3456]
    Total size of variables: 864
    Total bytes of variables: 3456

A variable's type is printed with TF 1.x's `_ref` suffix (a RefVariable's dtype name).
"""

__all__ = ["analyze_ops", "analyze_vars", "tensor_description"]


def tensor_description(var, ref=False):
    """`"(<dtype> <d0>x<d1>...)"` for a tensor or variable (`<dtype>_ref` when `ref`).

    Args:
        var: a Tensor or Variable.
        ref: append "_ref" to the dtype name (as TF 1.x's RefVariable dtypes read).

    Returns:
        The description string.

    Example:
        >>> slim.model_analyzer.tensor_description(tf.zeros([3, 4]))
        '(float32 3x4)'
    """
    name = var.dtype.base_dtype.name + ("_ref" if ref else "")
    dims = var.get_shape().dims if var.get_shape().ndims is not None else []
    return "(" + name + " " + "x".join(str(d if d is None else int(d)) for d in dims) + ")"


def analyze_ops(graph, print_info=False):
    """The total number of elements of all op outputs of `graph` (unknown shapes count 0).

    Args:
        graph: a Graph.
        print_info: print one line per op: `name \\t-> (type shape), ... [size]`.

    Returns:
        The total size.

    Example:
        >>> slim.model_analyzer.analyze_ops(tf.get_default_graph(), print_info=True)
    """
    if print_info:
        print("---------")
        print("Operations: name -> (type shapes) [size]")
        print("---------")
    total = 0
    for op in graph.get_operations():
        size = 0
        shapes = []
        for out in op.outputs:
            shape = out.get_shape()
            if shape.ndims:
                shapes.append(tensor_description(out))
            size += (shape.num_elements() if shape.is_fully_defined() else 0) or 0
        if print_info:
            print(op.name, "\t->", ", ".join(shapes), "[" + str(size) + "]")
        total += size
    return total


def analyze_vars(variables, print_info=False):
    """The total number of elements and bytes of `variables`.

    Args:
        variables: a list of Variables (e.g. `slim.get_model_variables()`).
        print_info: print the table of the module docstring.

    Returns:
        `(total_size, total_bytes)`.

    Example:
        >>> size, nbytes = slim.model_analyzer.analyze_vars(tf.trainable_variables(),
        ...                                                 print_info=True)
    """
    if print_info:
        print("---------")
        print("Variables: name (type shape) [size]")
        print("---------")
    total_size = 0
    total_bytes = 0
    for var in variables:
        shape = var.get_shape()
        size = (shape.num_elements() if shape.is_fully_defined() else 0) or 0
        nbytes = size * var.dtype.base_dtype.size
        total_size += size
        total_bytes += nbytes
        if print_info:
            print(var.name, tensor_description(var, ref=True),
                  "[%d, bytes: %d]" % (size, nbytes))
    if print_info:
        print("Total size of variables: %d" % total_size)
        print("Total bytes of variables: %d" % total_bytes)
    return total_size, total_bytes
