"""The consumers of feature columns: `input_layer` (a dense [batch, n] Tensor for a network),
`linear_model` (a weighted sum per output unit), `make_parse_example_spec` (the
`tf.parse_example` config of a set of columns) and `_transform_features`.

Both layers walk their columns sorted by name, each inside its own variable scope (the
column's `_var_scope_name`, made unique), so variable names are TF 1.15's:
"input_layer/<column>/embedding_weights", "linear_model/<column>/weights" and
"linear_model/bias_weights". Every variable goes to GLOBAL_VARIABLES, MODEL_VARIABLES and
the given `weight_collections` (TRAINABLE_VARIABLES when trainable). `linear_model` treats a
categorical column as its multi-hot vector: the weights of its ids (times their weights) are
combined by `sparse_combiner` ('sum', 'mean' or 'sqrtn'), with TF's safe embedding lookup.
"""

from flowexec.feature_column.base import (
    _CategoricalColumn,
    _DenseColumn,
    _FeatureColumn,
    _LazyBuilder,
    normalize_feature_columns,
    shape_of,
    verify_static_batch_size_equality,
)
from flowexec.framework.graph import (
    GraphKeys,
    add_to_collection,
    get_collection,
    name_scope,
)
from flowexec.init_ops import Zeros
from flowexec.ops import (
    array_ops,
    embedding_ops,
    math_ops,
    nn_ops,
    sparse_structure_ops,
)

__all__ = ["input_layer", "linear_model", "make_parse_example_spec"]


def _with_model_collections(weight_collections):
    weight_collections = list(weight_collections or [])
    for key in (GraphKeys.GLOBAL_VARIABLES, GraphKeys.MODEL_VARIABLES):
        if key not in weight_collections:
            weight_collections.append(key)
    return weight_collections


def _leaf(scope_name):
    return scope_name.rsplit("/", 1)[-1]


def input_layer(features, feature_columns, weight_collections=None, trainable=True,
                cols_to_vars=None, cols_to_output_tensors=None):
    """The dense input of a network: the columns' dense Tensors, each reshaped to
    [batch, elements], concatenated in the order of the columns' names.

    Args:
        features: a dict from feature key to a Tensor or SparseTensor (or values convertible
            to them; a rank-1 feature is treated as [batch, 1]).
        feature_columns: dense columns (`numeric_column`, `bucketized_column`,
            `embedding_column`, `indicator_column`, ...).
        weight_collections: more collections for the variables created.
        trainable: whether the variables are trainable.
        cols_to_vars: a dict to fill with column -> list of its variables.
        cols_to_output_tensors: a dict to fill with column -> its [batch, n] Tensor.

    Returns:
        A float32 Tensor [batch, sum of the columns' sizes].

    Raises:
        ValueError: a column that is not dense, no columns, duplicate names, or features of
            different known batch sizes.

    Example:
        >>> price = numeric_column("price")
        >>> keywords = embedding_column(categorical_column_with_hash_bucket("kw", 10000), 16)
        >>> dense = input_layer({"price": ..., "kw": ...}, [price, keywords])  # [batch, 17]
    """
    feature_columns = normalize_feature_columns(feature_columns)
    for column in feature_columns:
        if not isinstance(column, _DenseColumn):
            raise ValueError(
                "Items of feature_columns must be a _DenseColumn. You can wrap a categorical "
                f"column with an embedding_column or indicator_column. Given: {column}")
    weight_collections = _with_model_collections(weight_collections)
    from flowexec.variable_scope import get_variable_scope, variable_scope

    with variable_scope(None, default_name="input_layer", values=list(features.values())):
        builder = _LazyBuilder(features)
        outputs, ordered = [], []
        for column in sorted(feature_columns, key=lambda c: c.name):
            ordered.append(column)
            with variable_scope(None, default_name=column._var_scope_name):
                tensor = column._get_dense_tensor(builder, weight_collections=weight_collections,
                                                  trainable=trainable)
                num_elements = column._variable_shape.num_elements()
                batch_size = array_ops.shape(tensor)[0]
                output = array_ops.reshape(tensor, shape=(batch_size, num_elements))
                outputs.append(output)
                if cols_to_vars is not None:
                    cols_to_vars[column] = get_collection(
                        GraphKeys.GLOBAL_VARIABLES, scope=get_variable_scope().name)
                if cols_to_output_tensors is not None:
                    cols_to_output_tensors[column] = output
        verify_static_batch_size_equality(outputs, ordered)
        return array_ops.concat(outputs, 1)


def _add_to_collections(var, weight_collections):
    for key in weight_collections:
        if key == GraphKeys.GLOBAL_VARIABLES:
            continue
        for v in (list(var) if hasattr(var, "_get_variable_list") else [var]):
            add_to_collection(key, v)


def _dense_weighted_sum(column, builder, units, weight_collections, trainable, weight):
    tensor = column._get_dense_tensor(builder, weight_collections=weight_collections,
                                      trainable=trainable)
    num_elements = column._variable_shape.num_elements()
    batch_size = array_ops.shape(tensor)[0]
    tensor = array_ops.reshape(tensor, shape=(batch_size, num_elements))
    return math_ops.matmul(tensor, weight, name="weighted_sum")


def _categorical_weighted_sum(column, builder, sparse_combiner, weight_collections, trainable,
                              weight):
    sparse_tensors = column._get_sparse_tensors(builder, weight_collections=weight_collections,
                                                trainable=trainable)
    id_tensor = sparse_structure_ops.sparse_reshape(
        sparse_tensors.id_tensor, [shape_of(sparse_tensors.id_tensor)[0], -1])
    weight_tensor = sparse_tensors.weight_tensor
    if weight_tensor is not None:
        weight_tensor = sparse_structure_ops.sparse_reshape(
            weight_tensor, [shape_of(weight_tensor)[0], -1])
    return embedding_ops.safe_embedding_lookup_sparse(
        weight, id_tensor, sparse_weights=weight_tensor, combiner=sparse_combiner,
        name="weighted_sum")


def linear_model(features, feature_columns, units=1, sparse_combiner="sum",
                 weight_collections=None, trainable=True, cols_to_vars=None):
    """A linear prediction of the columns: sum over columns of (their dense Tensor, or the
    multi-hot vector of a categorical column) times their weights, plus a bias.

    Args:
        features: a dict from feature key to a Tensor or SparseTensor.
        feature_columns: dense or categorical columns.
        units: the number of outputs.
        sparse_combiner: how a categorical row's id weights are combined: 'sum' (the
            default), 'mean' or 'sqrtn'.
        weight_collections: more collections for the variables created.
        trainable: whether the variables are trainable.
        cols_to_vars: a dict to fill with column -> [its weights variable(s)] and 'bias' ->
            [the bias variable].

    Returns:
        A float32 Tensor [batch, units]. Variables: "linear_model/<column>/weights"
        ([elements or buckets, units], zeros) and "linear_model/bias_weights" ([units],
        zeros).

    Raises:
        ValueError: a column neither dense nor categorical, no columns, duplicate names, or
            features of different known batch sizes.

    Example:
        >>> price = bucketized_column(numeric_column("price"), [10., 100.])
        >>> logits = linear_model(features, [price, crossed_column(["a", "b"], 100)])
    """
    from flowexec.variable_scope import get_variable, variable_scope

    with variable_scope(None, "linear_model") as vs:
        model_name = _leaf(vs.name)
    feature_columns = normalize_feature_columns(feature_columns)
    weight_collections = _with_model_collections(weight_collections)
    layer_names = {}
    for column in sorted(feature_columns, key=lambda c: c.name):
        with variable_scope(None, default_name=column._var_scope_name) as vs:
            layer_names[column] = _leaf(vs.name)
    result_vars = {}
    with variable_scope(model_name):
        for column in feature_columns:
            if not isinstance(column, (_DenseColumn, _CategoricalColumn)):
                raise ValueError("Items of feature_columns must be either a _DenseColumn or "
                                 f"_CategoricalColumn. Given: {column}")
        weighted_sums, ordered = [], []
        builder = _LazyBuilder(features)
        for column in sorted(feature_columns, key=lambda c: layer_names[c]):
            ordered.append(column)
            with variable_scope(None, default_name=layer_names[column]) as layer_scope:
                if isinstance(column, _CategoricalColumn):
                    shape = (column._num_buckets, units)
                else:
                    shape = [column._variable_shape.num_elements(), units]
                weight = get_variable("weights", shape=shape, initializer=Zeros(),
                                      trainable=trainable)
                _add_to_collections(weight, weight_collections)
                if isinstance(column, _CategoricalColumn):
                    weighted_sums.append(_categorical_weighted_sum(
                        column, builder, sparse_combiner, weight_collections, trainable,
                        weight))
                else:
                    weighted_sums.append(_dense_weighted_sum(
                        column, builder, units, weight_collections, trainable, weight))
                result_vars[column] = get_collection(GraphKeys.GLOBAL_VARIABLES,
                                                     scope=layer_scope.name)
        verify_static_batch_size_equality(weighted_sums, ordered)
        predictions_no_bias = math_ops.add_n(weighted_sums, name="weighted_sum_no_bias")
        bias = get_variable("bias_weights", shape=[units], initializer=Zeros(),
                            trainable=trainable)
        _add_to_collections(bias, weight_collections)
        predictions = nn_ops.bias_add(predictions_no_bias, bias, name="weighted_sum")
        result_vars["bias"] = list(bias) if hasattr(bias, "_get_variable_list") else [bias]
    if cols_to_vars is not None:
        cols_to_vars.update(result_vars)
    return predictions


def _transform_features(features, feature_columns):
    """{column: its transformed Tensor or SparseTensor} for the given columns."""
    feature_columns = normalize_feature_columns(feature_columns)
    outputs = {}
    with name_scope(None, "transform_features", list(features.values())):
        builder = _LazyBuilder(features)
        for column in sorted(feature_columns, key=lambda c: c.name):
            with name_scope(None, column.name):
                outputs[column] = builder.get(column)
    return outputs


def make_parse_example_spec(feature_columns):
    """The `tf.parse_example` features config of the columns: {key: FixedLenFeature or
    VarLenFeature}.

    Args:
        feature_columns: an iterable of feature columns.

    Returns:
        A dict from feature key to its parsing config.

    Raises:
        ValueError: an item that is not a column, or two configs of one key that differ.

    Example:
        >>> spec = make_parse_example_spec([numeric_column("a"),
        ...                                 categorical_column_with_hash_bucket("b", 10)])
        >>> # {"a": FixedLenFeature((1,), tf.float32, None), "b": VarLenFeature(tf.string)}
        >>> features = tf.parse_example(serialized, features=spec)
    """
    result = {}
    for column in feature_columns:
        if not isinstance(column, _FeatureColumn):
            raise ValueError("All feature_columns must be _FeatureColumn instances. "
                             f"Given: {column}")
        config = column._parse_example_spec
        for key, value in config.items():
            if key in result and value != result[key]:
                raise ValueError(f"feature_columns contain different parse_spec for key {key}. "
                                 f"Given {value} and {result[key]}")
        result.update(config)
    return result
