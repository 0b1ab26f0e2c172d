"""Writes tests/data/tf1/sparse/ops.npz: what TensorFlow's sparse ops return (values, index
order, dense shapes) and the errors they raise, case by case.

TensorFlow is never a dependency: run this by hand with a scratch virtualenv that has it,

    /work/tfvenv/bin/python scripts/make_tf_sparse_ops_fixtures.py

Each entry of CASES is `build(tf) -> {name: fetch}` written against the TF 1.x API, so that
tests/ops/test_sparse_*.py build the very same graph with `import flowexec as tf`. For each
case the file holds `<case>/<name>` (a Tensor's value) or `<case>/<name>/indices|values|
dense_shape` (a SparseTensor's), or `<case>/error` = [error class name, message] when the
run (or the build) raised.
"""

import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "tests", "data", "tf1", "sparse", "ops.npz")

# A 3 x 4 SparseTensor in row-major order, and an unordered one with an empty row.
IDX = [[0, 1], [0, 3], [2, 0], [2, 2]]
VALS = [1.0, 2.0, 3.0, 4.0]
UIDX = [[2, 3], [0, 1], [2, 0], [0, 2]]


def _st(tf, idx=IDX, vals=VALS, shape=(3, 4), dtype="float32"):
    return tf.SparseTensor(idx, tf.constant(vals, dtype), list(shape))


def _st3(tf):
    idx = [[0, 0, 1], [0, 2, 0], [1, 1, 1], [1, 2, 3]]
    return tf.SparseTensor(idx, tf.constant([1, 2, 3, 4], "int32"), [2, 3, 4])


CASES = {
    # ----- reshape ---------------------------------------------------------------------
    "reshape": lambda tf: {"out": tf.sparse.reshape(_st(tf), [4, 3])},
    "reshape_infer": lambda tf: {"out": tf.sparse_reshape(_st(tf), [2, -1, 2])},
    "reshape_rank3": lambda tf: {"out": tf.sparse.reshape(_st3(tf), [-1, 4])},
    "reshape_bad_size": lambda tf: {"out": tf.sparse.reshape(
        _st(tf), tf.placeholder_with_default(tf.constant([5, 3], "int64"), [2]))},
    "reshape_two_unknown": lambda tf: {"out": tf.sparse.reshape(
        _st(tf), tf.placeholder_with_default(tf.constant([-1, -1], "int64"), [2]))},
    "reshape_not_multiple": lambda tf: {"out": tf.sparse.reshape(
        _st(tf), tf.placeholder_with_default(tf.constant([5, -1], "int64"), [2]))},
    "reshape_static_bad_size": lambda tf: {"out": tf.sparse.reshape(_st(tf), [5, 3])},
    # ----- slice / split ---------------------------------------------------------------
    "slice": lambda tf: {"out": tf.sparse.slice(_st(tf), [0, 1], [3, 2])},
    "slice_past_end": lambda tf: {"out": tf.sparse_slice(_st(tf), [1, 2], [5, 5])},
    "slice_empty": lambda tf: {"out": tf.sparse.slice(_st(tf), [1, 0], [1, 4])},
    "slice_start_beyond": lambda tf: {"out": tf.sparse.slice(_st(tf), [4, 0], [1, 4])},
    "split_rows": lambda tf: dict(enumerate(tf.sparse.split(sp_input=_st(tf), num_split=2,
                                                            axis=0))),
    "split_cols_uneven": lambda tf: dict(enumerate(tf.sparse_split(
        sp_input=_st(tf), num_split=3, axis=1))),
    "split_negative_axis": lambda tf: dict(enumerate(tf.sparse.split(
        sp_input=_st3(tf), num_split=2, axis=-1))),
    "split_bad_axis": lambda tf: dict(enumerate(tf.sparse.split(
        sp_input=_st(tf), num_split=2, axis=tf.placeholder_with_default(
            tf.constant(2, "int64"), [])))),
    "split_too_many": lambda tf: dict(enumerate(tf.sparse.split(
        sp_input=_st(tf), num_split=5, axis=0))),
    # ----- concat ----------------------------------------------------------------------
    "concat_rows": lambda tf: {"out": tf.sparse.concat(0, [_st(tf), _st(tf, UIDX[:1], [9.0])])},
    "concat_cols": lambda tf: {"out": tf.sparse_concat(
        1, [_st(tf), _st(tf, [[1, 0]], [8.0], (3, 2)), _st(tf, [[0, 0], [2, 1]], [5.0, 6.0],
                                                             (3, 3))])},
    "concat_negative_axis": lambda tf: {"out": tf.sparse.concat(
        -1, [_st(tf), _st(tf, [[1, 0]], [8.0], (3, 2))])},
    "concat_expand": lambda tf: {"out": tf.sparse.concat(
        1, [_st(tf), _st(tf, [[4, 0]], [8.0], (5, 2))], expand_nonconcat_dim=True)},
    "concat_mismatch": lambda tf: {"out": tf.sparse.concat(
        1, [_st(tf), tf.SparseTensor([[4, 0]], [8.0], tf.placeholder_with_default(
            tf.constant([5, 2], "int64"), [2]))])},
    # ----- transpose / reorder / fill_empty_rows ---------------------------------------
    "transpose": lambda tf: {"out": tf.sparse.transpose(_st(tf))},
    "transpose_perm": lambda tf: {"out": tf.sparse_transpose(_st3(tf), [1, 2, 0])},
    "reorder": lambda tf: {"out": tf.sparse.reorder(_st(tf, UIDX))},
    "fill_empty_rows": lambda tf: dict(zip(("out", "empty"), tf.sparse.fill_empty_rows(
        _st(tf, [[0, 1], [0, 3], [2, 0], [2, 2]], VALS, (4, 4)), -1.0))),
    "fill_empty_rows_unordered": lambda tf: dict(zip(("out", "empty"),
                                                     tf.sparse_fill_empty_rows(
        _st(tf, UIDX, VALS, (4, 4)), 7.0))),
    "fill_empty_rows_all_empty": lambda tf: dict(zip(("out", "empty"),
                                                     tf.sparse.fill_empty_rows(
        tf.SparseTensor(tf.zeros([0, 2], "int64"), tf.zeros([0]), [2, 3]), 5.0))),
    "fill_empty_rows_bad_row": lambda tf: dict(zip(("out", "empty"),
                                                   tf.sparse.fill_empty_rows(
        _st(tf, [[0, 1], [5, 0]], [1.0, 2.0], (4, 4)), 0.0))),
    # ----- retain / reset_shape / expand_dims / eye -------------------------------------
    "retain": lambda tf: {"out": tf.sparse.retain(_st(tf), [True, False, False, True])},
    "reset_shape": lambda tf: {"out": tf.sparse.reset_shape(_st(tf, [[0, 1], [1, 2]],
                                                                  [1.0, 2.0], (5, 6)))},
    "reset_shape_new": lambda tf: {"out": tf.sparse_reset_shape(_st(tf), [4, 6])},
    "expand_dims": lambda tf: {"out": tf.sparse.expand_dims(_st(tf), 1)},
    "expand_dims_last": lambda tf: {"out": tf.sparse.expand_dims(_st(tf), -1)},
    "eye": lambda tf: {"out": tf.sparse.eye(3, 4, dtype="int32")},
    # ----- sparse x dense matmul ----------------------------------------------------------
    "matmul": lambda tf: {"out": tf.sparse_tensor_dense_matmul(_st(tf), _dense(tf, 4, 2))},
    "matmul_adjoint_a": lambda tf: {"out": tf.sparse.matmul(_st(tf), _dense(tf, 3, 2),
                                                            adjoint_a=True)},
    "matmul_adjoint_b": lambda tf: {"out": tf.sparse.matmul(_st(tf), _dense(tf, 2, 4),
                                                            adjoint_b=True)},
    "matmul_adjoint_both": lambda tf: {"out": tf.sparse_tensor_dense_matmul(
        _st(tf), _dense(tf, 2, 3), adjoint_a=True, adjoint_b=True)},
    "matmul_dense_sparse": lambda tf: {"out": tf.sparse.matmul(_dense(tf, 2, 3), _st(tf))},
    "matmul_repeated": lambda tf: {"out": tf.sparse.matmul(
        _st(tf, [[0, 1], [0, 1], [2, 0]], [1.0, 2.0, 3.0]), _dense(tf, 4, 2))},
    "matmul_inner_mismatch": lambda tf: {"out": tf.sparse.matmul(
        tf.SparseTensor(IDX, VALS, tf.placeholder_with_default(
            tf.constant([3, 4], "int64"), [2])), _dense(tf, 3, 2))},
    "matmul_out_of_bounds": lambda tf: {"out": tf.sparse.matmul(
        _st(tf, [[0, 1], [2, 5]], [1.0, 2.0]), _dense(tf, 4, 2))},
    "matmul_row_out_of_bounds": lambda tf: {"out": tf.sparse.matmul(
        _st(tf, [[0, 1], [3, 0]], [1.0, 2.0]), _dense(tf, 4, 2))},
    # ----- add ----------------------------------------------------------------------------
    "add": lambda tf: {"out": tf.sparse.add(_st(tf), _st(tf, [[0, 1], [1, 1], [2, 2]],
                                                           [1.5, -2.0, -4.0]))},
    "add_thresh": lambda tf: {"out": tf.sparse_add(_st(tf), _st(
        tf, [[0, 0], [0, 1], [2, 2]], [0.1, -0.95, -3.5]), thresh=0.5)},
    "add_dense": lambda tf: {"out": tf.sparse.add(_st(tf), _dense(tf, 3, 4))},
    "add_dense_first": lambda tf: {"out": tf.sparse.add(_dense(tf, 3, 4), _st(tf))},
    "add_shape_mismatch": lambda tf: {"out": tf.sparse.add(_st(tf), tf.SparseTensor(
        IDX, VALS, tf.placeholder_with_default(tf.constant([3, 5], "int64"), [2])))},
    "add_rank_mismatch": lambda tf: {"out": tf.sparse.add(_st(tf), tf.SparseTensor(
        tf.zeros([0, 3], "int64"), tf.zeros([0]), tf.placeholder_with_default(
            tf.constant([3, 4, 1], "int64"), [3])))},
    "add_int": lambda tf: {"out": tf.sparse.add(_st3(tf), _st3(tf))},
    # ----- sparse (op) dense elementwise ----------------------------------------------------
    "cwise_mul": lambda tf: {"out": _st(tf) * _dense(tf, 3, 4)},
    "cwise_mul_broadcast": lambda tf: {"out": _st(tf) * tf.constant([1.0, 2.0, 3.0, 4.0])},
    "cwise_div": lambda tf: {"out": _st(tf) / _dense(tf, 3, 1)},
    "cwise_truediv_int": lambda tf: {"out": _st3(tf) / tf.constant(2, "int32")},
    "cwise_bad_broadcast": lambda tf: {"out": _st(tf) * _dense(tf, 2, 4)},
    # ----- reductions ---------------------------------------------------------------------
    "reduce_sum": lambda tf: {"all": tf.sparse.reduce_sum(_st(tf)),
                              "rows": tf.sparse_reduce_sum(_st(tf), 1),
                              "cols_keep": tf.sparse.reduce_sum(_st(tf), 0, keepdims=True),
                              "neg": tf.sparse.reduce_sum(_st3(tf), -1),
                              "two": tf.sparse.reduce_sum(_st3(tf), [0, 2])},
    "reduce_max": lambda tf: {"all": tf.sparse.reduce_max(_st(tf, vals=[-1.0, -2.0, 3.0, -4.0])),
                              "rows": tf.sparse_reduce_max(_st(tf, vals=[-1.0, -2.0, 3.0, -4.0]),
                                                           1),
                              "keep": tf.sparse.reduce_max(_st3(tf), [1], keepdims=True)},
    "reduce_sum_sparse": lambda tf: {"rows": tf.sparse.reduce_sum_sparse(_st(tf), 1),
                                     "keep": tf.sparse_reduce_sum_sparse(_st3(tf), 1,
                                                                         keepdims=True)},
    "reduce_max_sparse": lambda tf: {"cols": tf.sparse.reduce_max_sparse(
        _st(tf, vals=[-1.0, -2.0, 3.0, -4.0]), 0), "keep": tf.sparse_reduce_max_sparse(
        _st3(tf), [0, 2], keepdims=True)},
    "reduce_bad_axis": lambda tf: {"out": tf.sparse.reduce_sum(_st(tf), 2)},
    # ----- softmax / maximum / minimum -------------------------------------------------------
    "softmax": lambda tf: {"out": tf.sparse.softmax(_st(tf))},
    "softmax_rank3": lambda tf: {"out": tf.sparse_softmax(tf.SparseTensor(
        [[0, 0, 1], [0, 0, 2], [0, 2, 0], [1, 1, 3]], [1.0, 2.0, 3.0, 4.0], [2, 3, 4]))},
    "softmax_rank1": lambda tf: {"out": tf.sparse.softmax(tf.SparseTensor(
        [[0], [2]], [1.0, 2.0], tf.placeholder_with_default(tf.constant([3], "int64"), [1])))},
    "maximum": lambda tf: {"out": tf.sparse.maximum(_st(tf), _st(
        tf, [[0, 1], [1, 1], [2, 2]], [1.5, -2.0, 5.0]))},
    "minimum": lambda tf: {"out": tf.sparse_minimum(_st(tf), _st(
        tf, [[0, 1], [1, 1], [2, 2]], [1.5, -2.0, 5.0]))},
    "maximum_shape_mismatch": lambda tf: {"out": tf.sparse.maximum(_st(tf), tf.SparseTensor(
        IDX, VALS, tf.placeholder_with_default(tf.constant([3, 5], "int64"), [2])))},
    # ----- sparse segment reductions --------------------------------------------------------
    "segment_sum": lambda tf: {"out": tf.sparse.segment_sum(_rows(tf), [0, 2, 2, 1],
                                                            [0, 0, 2, 2])},
    "segment_mean": lambda tf: {"out": tf.sparse_segment_mean(_rows(tf), [0, 2, 2, 1],
                                                              [0, 0, 2, 2])},
    "segment_sqrt_n": lambda tf: {"out": tf.sparse.segment_sqrt_n(
        _rows(tf), tf.constant([0, 2, 1], "int64"), [0, 1, 1])},
    "segment_sum_num_segments": lambda tf: {"out": tf.sparse_segment_sum(
        _rows(tf), [0, 1], [1, 1], num_segments=4)},
    "segment_mean_num_segments": lambda tf: {"out": tf.sparse.segment_mean(
        _rows(tf), [0, 1, 2], [0, 0, 3], num_segments=5)},
    "segment_unsorted": lambda tf: {"out": tf.sparse.segment_sum(_rows(tf), [0, 1], [1, 0])},
    "segment_bad_index": lambda tf: {"out": tf.sparse.segment_sum(_rows(tf), [0, 3], [0, 1])},
    "segment_negative_id": lambda tf: {"out": tf.sparse.segment_mean(_rows(tf), [0, 1],
                                                                     [-1, 0])},
    "segment_too_many_ids": lambda tf: {"out": tf.sparse.segment_sum(
        _rows(tf), [0, 1], [0, 3], num_segments=2)},
    # ----- string_split / strings.split -----------------------------------------------------
    "string_split": lambda tf: {"out": tf.string_split(["a b  c", "", "de f"])},
    "string_split_keep_empty": lambda tf: {"out": tf.string_split(["a b  c", "", "de f"],
                                                                  skip_empty=False)},
    "string_split_chars": lambda tf: {"out": tf.string_split(["a,b;c", ";;d"], ",;")},
    "string_split_empty_delimiter": lambda tf: {"out": tf.string_split(["abc", "de"], "")},
    "strings_split_sep": lambda tf: {"out": tf.strings.split(["a<>b<><>c", "", "x"], sep="<>")},
    "strings_split_whitespace": lambda tf: {"out": tf.strings.split(
        [" a  b\tc\n", "", "  "])},
    "strings_split_maxsplit": lambda tf: {"out": tf.strings.split(["a,b,c,d", "e"], sep=",",
                                                                  maxsplit=2)},
    "strings_split_whitespace_maxsplit": lambda tf: {"out": tf.strings.split(
        [" a  b c  ", "d", "  e\t f"], maxsplit=1)},
    "string_split_not_vector": lambda tf: {"out": tf.string_split([["a b"]])},
    # ----- serialization (TF's bytes) --------------------------------------------------------
    "serialize_sparse": lambda tf: {"out": tf.serialize_sparse(_st(tf))},
    "serialize_sparse_int": lambda tf: {"out": tf.serialize_sparse(_st3(tf))},
    "serialize_sparse_string": lambda tf: {"out": tf.serialize_sparse(tf.SparseTensor(
        [[0], [3]], ["ab", ""], [5]))},
    "serialize_many_sparse": lambda tf: {"out": tf.serialize_many_sparse(_st3(tf))},
    "serialize_many_sparse_empty_row": lambda tf: {"out": tf.serialize_many_sparse(_st(tf))},
    "serialize_many_sparse_rank1": lambda tf: {"out": tf.serialize_many_sparse(
        tf.SparseTensor([[1]], [1.0], [2]))},
    "deserialize_many_sparse": lambda tf: {"out": tf.deserialize_many_sparse(
        tf.serialize_many_sparse(_st3(tf)), "int32")},
    "deserialize_many_sparse_stacked": lambda tf: {"out": tf.deserialize_many_sparse(
        tf.stack([tf.serialize_sparse(_st(tf)), tf.serialize_sparse(
            _st(tf, [[1, 5]], [7.0], (2, 6)))]), "float32")},
    "deserialize_many_sparse_wrong_dtype": lambda tf: {"out": tf.deserialize_many_sparse(
        tf.serialize_many_sparse(_st3(tf)), "float32")},
    "deserialize_many_sparse_rank_mismatch": lambda tf: {"out": tf.deserialize_many_sparse(
        tf.stack([tf.serialize_sparse(_st(tf)), tf.serialize_sparse(
            tf.SparseTensor([[1]], [7.0], [2]))]), "float32")},
    # ----- embedding_lookup_sparse / safe_embedding_lookup_sparse -----------------------------
    **{f"embedding_{combiner}{'_weighted' if weighted else ''}": (
        lambda tf, c=combiner, w=weighted: {"out": tf.nn.embedding_lookup_sparse(
            _table(tf), _ids(tf), _weights(tf) if w else None, combiner=c)})
       for combiner in ("sum", "mean", "sqrtn") for weighted in (False, True)},
    "embedding_partitioned_div": lambda tf: {"out": tf.nn.embedding_lookup_sparse(
        tf.split(_table(tf), 3), _ids(tf), _weights(tf), partition_strategy="div",
        combiner="sum")},
    "embedding_max_norm": lambda tf: {"out": tf.nn.embedding_lookup_sparse(
        _table(tf), _ids(tf), None, combiner="mean", max_norm=1.0)},
    "safe_embedding": lambda tf: {"out": tf.nn.safe_embedding_lookup_sparse(
        _table(tf), _ids(tf, [3, -1, 0, 5, 2], (4, 3)))},
    "safe_embedding_weighted": lambda tf: {"out": tf.nn.safe_embedding_lookup_sparse(
        _table(tf), _ids(tf, [3, 1, 0, 5, 2], (4, 3)),
        _weights(tf, [1.0, -2.0, 0.5, 0.0, 3.0], (4, 3)), combiner="sqrtn")},
    "safe_embedding_default_id": lambda tf: {"out": tf.nn.safe_embedding_lookup_sparse(
        _table(tf), _ids(tf, [3, -1, 0, 5, 2], (4, 3)), default_id=4, combiner="sum")},
    "safe_embedding_rank3": lambda tf: {"out": tf.nn.safe_embedding_lookup_sparse(
        _table(tf), tf.SparseTensor([[0, 0, 0], [0, 1, 0], [0, 1, 1], [1, 0, 1]],
                                    tf.constant([1, 2, 3, 4], "int64"), [2, 2, 2]))},
    # ----- SparseConditionalAccumulator (applies in order, then a take) ----------------------
    "accumulator_mean": lambda tf: _accumulate(tf, [5, 2], "MEAN", [
        ([1, 3], [[1.0, 2.0], [3.0, 4.0]], [5, 2], 0), ([1, 4], [[10.0, 10.0], [20.0, 20.0]],
                                                         [5, 2], 0)], 2),
    "accumulator_sum_unknown_shape": lambda tf: _accumulate(tf, None, "SUM", [
        ([0, 2], [[1.0], [2.0]], None, 0), ([2], [[5.0]], None, 0), ([1], [[7.0]], [9, 1], 0)],
        3),
    "accumulator_unordered": lambda tf: _accumulate(tf, [5, 2], "MEAN", [
        ([3, 1], [[1.0, 2.0], [3.0, 4.0]], [5, 2], 0), ([1, 4], [[10.0, 10.0], [20.0, 20.0]],
                                                         [5, 2], 0)], 2),
    "accumulator_stale_dropped": lambda tf: _accumulate(tf, [5, 2], "SUM", [
        ([1], [[1.0, 2.0]], None, 5), ([1], [[4.0, 4.0]], None, 3)], 1, set_step=4),
    "accumulator_bad_shape": lambda tf: _accumulate(tf, [5, 2], "MEAN", [
        ([0], [[1.0, 2.0, 3.0]], [5, 3], 0)], 1),
    "accumulator_bad_index": lambda tf: _accumulate(tf, [5, 2], "MEAN", [
        ([7], [[1.0, 2.0]], None, 0)], 1),
    "accumulator_bad_values": lambda tf: _accumulate(tf, [5, 2], "MEAN", [
        ([0], [[1.0, 2.0, 3.0]], None, 0)], 1),
    "accumulator_values_rank_changes": lambda tf: _accumulate(tf, None, "MEAN", [
        ([0], [[1.0, 2.0]], None, 0), ([1], [[1.0, 2.0, 3.0]], None, 0)], 2),
    "accumulator_num_required": lambda tf: _accumulate(tf, None, "MEAN", [
        ([0], [[1.0]], None, 0)], 0),
    # ----- sparse.cross / cross_hashed ------------------------------------------------------
    "cross_strings": lambda tf: {"out": tf.sparse.cross([_cross_a(tf), _cross_b(tf), tf.constant(
        [["f"], ["g"]])])},
    "cross_dense_first": lambda tf: {"out": tf.sparse.cross([tf.constant([["f"], ["g"]]),
                                                             _cross_a(tf), _cross_b(tf)])},
    "cross_ints": lambda tf: {"out": tf.sparse.cross([_cross_ints(tf), tf.constant(
        [[7, 8], [9, 10]], "int64")])},
    "cross_mixed": lambda tf: {"out": tf.sparse.cross([_cross_a(tf), _cross_ints(tf)])},
    "cross_hashed": lambda tf: {"out": tf.sparse.cross_hashed([_cross_a(tf), _cross_b(tf)])},
    "cross_hashed_buckets": lambda tf: {"out": tf.sparse.cross_hashed(
        [_cross_a(tf), _cross_ints(tf), tf.constant([["f"], ["g"]])], num_buckets=100)},
    "cross_hashed_key": lambda tf: {"out": tf.sparse.cross_hashed(
        [_cross_ints(tf), tf.constant([[7], [9]], "int64")], num_buckets=1000, hash_key=123)},
}


def _cross_a(tf):
    return tf.SparseTensor([[0, 0], [1, 0], [1, 1]], ["a", "b", "c"], [2, 2])


def _cross_b(tf):
    return tf.SparseTensor([[0, 0], [0, 1], [1, 0]], ["d", "dd", "e"], [2, 2])


def _cross_ints(tf):
    return tf.SparseTensor([[0, 0], [1, 0], [1, 1]], tf.constant([3, -4, 5], "int64"), [2, 2])


def _accumulate(tf, shape, reduction, grads, num_required, set_step=None):
    acc = tf.SparseConditionalAccumulator(tf.float32, shape=shape, reduction_type=reduction)
    deps = []
    if set_step is not None:
        deps = [acc.set_global_step(set_step)]
    for indices, values, dense_shape, step in grads:
        with tf.control_dependencies(deps):
            deps = [acc.apply_grad(indices, values, dense_shape, local_step=step)]
    with tf.control_dependencies(deps):
        n = acc.num_accumulated()
    with tf.control_dependencies([n]):
        out = acc.take_grad(max(num_required, 1) if num_required else 0)
    return {"num": n, "indices": out.indices, "values": out.values, "shape": out.shape}


def _table(tf):
    return tf.constant(np.linspace(-1.0, 2.0, 12, dtype=np.float32).reshape(6, 2))


_EMB_IDX = [[0, 0], [0, 1], [1, 0], [3, 0], [3, 2]]


def _ids(tf, ids=(1, 3, 0, 5, 1), shape=(4, 3)):
    return tf.SparseTensor(_EMB_IDX, tf.constant(list(ids), "int64"), list(shape))


def _weights(tf, w=(2.0, 0.5, 1.0, -1.0, 3.0), shape=(4, 3)):
    return tf.SparseTensor(_EMB_IDX, tf.constant(list(w), "float32"), list(shape))


def _rows(tf):
    return tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])


def _dense(tf, rows, cols):
    return tf.constant(np.arange(1, rows * cols + 1, dtype=np.float32).reshape(rows, cols) / 4)


def _flatten(tf, case, value, out):
    if isinstance(value, tf.compat.v1.SparseTensorValue):
        out[f"{case}/indices"] = np.asarray(value.indices)
        _flatten(tf, f"{case}/values", np.asarray(value.values), out)
        out[f"{case}/dense_shape"] = np.asarray(value.dense_shape)
    elif isinstance(value, np.ndarray) and value.dtype == object:
        out[f"{case}/hex"] = np.array([v.hex() for v in value.reshape(-1)]).reshape(value.shape)
    else:
        out[case] = np.asarray(value)


def _message(e):
    """The error's own message (an OpError's without TF's "Graph execution error" frame)."""
    text = getattr(e, "message", None) or str(e)
    lines = [ln for ln in text.split("\n") if ln.strip() and not ln.startswith("\t")]
    if text.startswith("Graph execution error"):
        return lines[-1]
    return lines[0]


def main():
    import tensorflow as tf2

    tf = tf2.compat.v1
    tf.disable_eager_execution()
    out = {}
    for case, build in CASES.items():
        graph = tf.Graph()
        with graph.as_default():
            try:
                fetches = build(tf)
                with tf.Session() as sess:
                    values = sess.run(fetches)
            except Exception as e:  # the recorded error is the fixture
                msg = _message(e)
                out[f"{case}/error"] = np.array([type(e).__name__, msg])
                print(f"{case}: {type(e).__name__}: {msg}")
                continue
        for name, value in values.items():
            _flatten(tf, f"{case}/{name}", value, out)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    np.savez(OUT, **out)
    print(f"{len(CASES)} cases -> {OUT}")


if __name__ == "__main__":
    main()
