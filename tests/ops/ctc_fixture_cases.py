"""The CTC / edit-distance cases recorded from TensorFlow (scripts/make_tf_ctc_fixtures.py) and
replayed on flowexec (tests/ops/test_ctc_fixtures.py): one table, one `build(tf, case)` that
builds the same graph with either library's TF 1.x API.

A case is a dict: `kind` (what to build), `seed` (its random inputs) and the arguments. Its
fetches are plain tensors (a decoded SparseTensor's indices, values and dense_shape apart), so
nothing beyond the op under test is compared.
"""

import numpy as np


def _logits(seed, shape, dtype=np.float32):
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


# Sparse labels for batch 3: rows of different lengths, repeats, one trailing blank (class 4).
LABELS_A = [[0, 1, 1], [2, 3], [1, 2, 0, 4]]
LABELS_DENSE = [[1, 2, 2, 0], [3, 1, 0, 0], [4, 4, 1, 2]]   # blank 0: padding is 0
LABEL_LEN = [3, 2, 4]


def sparse_of(rows):
    idx = [[b, t] for b, r in enumerate(rows) for t in range(len(r))]
    vals = [v for r in rows for v in r]
    width = max(len(r) for r in rows)
    return (np.array(idx, np.int64).reshape(-1, 2), np.array(vals, np.int32),
            np.array([len(rows), width], np.int64))


CASES = {
    # tf.nn.ctc_loss (v1, the CTCLoss op)
    "loss_basic": dict(kind="loss", seed=1, T=7, labels=LABELS_A, seq=[7, 6, 5]),
    "loss_collapse": dict(kind="loss", seed=2, T=7, labels=[[1, 1, 2], [3, 3, 3], [0, 2, 2]],
                          seq=[7, 7, 4], preprocess_collapse_repeated=True),
    "loss_no_merge": dict(kind="loss", seed=3, T=6, labels=[[1, 1, 2], [3, 0], [2]],
                          seq=[6, 5, 3], ctc_merge_repeated=False),
    "loss_collapse_no_merge": dict(kind="loss", seed=4, T=6, labels=[[1, 1, 2], [3, 3], [2]],
                                   seq=[6, 5, 3], preprocess_collapse_repeated=True,
                                   ctc_merge_repeated=False),
    "loss_ignore_longer": dict(kind="loss", seed=5, T=5, labels=[[0, 1, 2, 3, 0, 1], [2, 3],
                                                                 [1]],
                               seq=[5, 5, 0], ignore_longer_outputs_than_inputs=True),
    "loss_batch_major": dict(kind="loss", seed=6, T=6, labels=LABELS_A, seq=[6, 6, 6],
                             time_major=False),
    "loss_float64": dict(kind="loss", seed=7, T=6, labels=LABELS_A, seq=[6, 5, 6],
                         dtype="float64"),
    "loss_infeasible_repeats": dict(kind="loss", seed=8, T=3, labels=[[1, 1, 1], [2], [0, 3]],
                                    seq=[3, 3, 3]),
    "loss_long": dict(kind="loss", seed=9, T=40, C=12, labels=[[1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
                                                               [3, 3, 3, 3], [5]],
                      seq=[40, 31, 17]),
    # errors of the CTCLoss kernel
    "err_not_enough_time": dict(kind="loss", seed=1, T=3, labels=[[0, 1, 2, 1], [2], [1]],
                                seq=[3, 3, 3], error=True),
    "err_zero_length": dict(kind="loss", seed=1, T=3, labels=[[0, 1], [], [1]],
                            seq=[3, 3, 3], error=True),
    "err_label_after_blank": dict(kind="loss", seed=1, T=4, labels=[[4, 1], [2], [1]],
                                  seq=[4, 4, 4], error=True),
    "err_negative_label": dict(kind="loss", seed=1, T=4, labels=[[-1, 1], [2], [1]],
                               seq=[4, 4, 4], error=True),
    "err_seq_len_too_long": dict(kind="loss", seed=1, T=4, labels=LABELS_A, seq=[5, 4, 4],
                                 error=True),
    "err_unsorted": dict(kind="loss_raw", seed=1, T=4, indices=[[0, 1], [0, 0], [1, 0], [2, 0]],
                         values=[1, 2, 3, 1], shape=[3, 2], seq=[4, 4, 4], error=True),
    "err_repeated_index": dict(kind="loss_raw", seed=1, T=4,
                               indices=[[0, 0], [0, 0], [1, 0], [2, 0]], values=[1, 2, 3, 1],
                               shape=[3, 2], seq=[4, 4, 4], error=True),
    "err_batch_out_of_bounds": dict(kind="loss_raw", seed=1, T=4,
                                    indices=[[0, 0], [1, 0], [3, 0]], values=[1, 2, 3],
                                    shape=[4, 1], seq=[4, 4, 4], error=True),
    # tf.nn.ctc_loss_v2: dense labels (ctc_loss_dense), sparse labels (CTCLoss, rotated blank)
    "v2_dense": dict(kind="loss_v2", seed=11, T=8, labels=LABELS_DENSE, label_length=LABEL_LEN,
                     logit_length=[8, 6, 8]),
    "v2_dense_blank_last": dict(kind="loss_v2", seed=12, T=8,
                                labels=[[1, 2, 2, 0], [3, 1, 0, 0], [0, 0, 1, 2]],
                                label_length=LABEL_LEN, logit_length=[8, 7, 8], blank_index=-1),
    "v2_dense_blank_2": dict(kind="loss_v2", seed=13, T=8, labels=LABELS_DENSE,
                             label_length=LABEL_LEN, logit_length=[8, 8, 5], blank_index=2),
    "v2_dense_batch_major": dict(kind="loss_v2", seed=14, T=8, labels=LABELS_DENSE,
                                 label_length=LABEL_LEN, logit_length=[8, 6, 8],
                                 logits_time_major=False),
    "v2_dense_infeasible": dict(kind="loss_v2", seed=15, T=3, labels=[[1, 1, 1], [2, 0, 0],
                                                                      [1, 2, 3]],
                                label_length=[3, 1, 3], logit_length=[3, 3, 2]),
    "v2_dense_empty_label": dict(kind="loss_v2", seed=16, T=5, labels=[[0, 0], [2, 0], [1, 3]],
                                 label_length=[0, 1, 2], logit_length=[5, 4, 5]),
    "v2_dense_unique": dict(kind="loss_v2", seed=17, T=8, labels=LABELS_DENSE,
                            label_length=LABEL_LEN, logit_length=[8, 6, 8], unique=True),
    "v2_sparse_blank_0": dict(kind="loss_v2_sparse", seed=18, T=7,
                              labels=[[1, 2, 2], [3, 1], [4]], logit_length=[7, 6, 5],
                              blank_index=0),
    "v2_sparse_blank_last": dict(kind="loss_v2_sparse", seed=19, T=7, labels=LABELS_A,
                                 logit_length=[7, 6, 5], blank_index=4),
    # decoders
    "greedy_merge": dict(kind="greedy", seed=21, T=9, seq=[9, 7, 3, 0]),
    "greedy_no_merge": dict(kind="greedy", seed=21, T=9, seq=[9, 7, 3, 0], merge_repeated=False),
    "greedy_blank_0": dict(kind="greedy", seed=22, T=9, seq=[9, 8, 9, 2], blank_index=0),
    "greedy_blank_neg2": dict(kind="greedy", seed=23, T=9, seq=[9, 9, 9, 9], blank_index=-2),
    "greedy_float64": dict(kind="greedy", seed=24, T=6, seq=[6, 6, 4, 5], dtype="float64"),
    "beam_1": dict(kind="beam", seed=31, T=6, C=4, seq=[6, 5, 4, 6], beam_width=1),
    "beam_3_top_2": dict(kind="beam", seed=32, T=7, C=4, seq=[7, 6, 7, 3], beam_width=3,
                         top_paths=2),
    "beam_10_top_3": dict(kind="beam", seed=33, T=8, C=5, seq=[8, 8, 5, 7], beam_width=10,
                          top_paths=3),
    "beam_10_top_3_no_merge": dict(kind="beam", seed=33, T=8, C=5, seq=[8, 8, 5, 7],
                                   beam_width=10, top_paths=3, merge_repeated=False),
    "beam_100_top_5": dict(kind="beam", seed=34, T=12, C=6, seq=[12, 10, 11, 12],
                           beam_width=100, top_paths=5),
    "beam_wide_evictions": dict(kind="beam", seed=40, T=30, C=12, seq=[30, 25, 30, 18],
                                beam_width=16, top_paths=4),
    "beam_wide_evictions_v2": dict(kind="beam_v2", seed=41, T=30, C=8, seq=[30, 29, 30, 30],
                                   beam_width=7, top_paths=7, scale=2.0),
    "beam_v2": dict(kind="beam_v2", seed=35, T=8, C=5, seq=[8, 6, 8, 4], beam_width=6,
                    top_paths=4),
    "beam_peaked": dict(kind="beam", seed=36, T=10, C=4, seq=[10, 10, 10, 10], beam_width=4,
                        top_paths=2, scale=4.0),
    "beam_float64": dict(kind="beam", seed=37, T=6, C=4, seq=[6, 6, 5, 2], beam_width=5,
                         top_paths=2, dtype="float64"),
    "err_beam_fewer_leaves": dict(kind="beam", seed=38, T=3, C=3, seq=[3, 0, 3, 3],
                                  beam_width=4, top_paths=2, error=True),
    "err_beam_top_paths_above_width": dict(kind="beam", seed=38, T=3, C=3, seq=[3, 3, 3, 3],
                                           beam_width=2, top_paths=3, error=True),
    "err_greedy_seq_len": dict(kind="greedy", seed=39, T=4, seq=[4, 5, 4, 4], error=True),
    # label helpers
    "collapse_repeated": dict(kind="collapse", labels=[[1, 1, 2, 2, 1], [3, 4, 4, 5, 6],
                                                      [2, 2, 2, 0, 0], [7, 7, 7, 7, 7]],
                              seq=[5, 4, 3, 2]),
    "unique_labels": dict(kind="unique", labels=[[3, 4, 4, 3], [1, 1, 1, 1], [5, 6, 7, 5],
                                                 [0, 2, 0, 2]]),
    # tf.edit_distance
    "edit_basic": dict(kind="edit", hyp=([[0, 0, 0], [1, 0, 0], [1, 0, 1]], [1, 2, 3], [2, 1, 2]),
                       truth=([[0, 0, 0], [0, 0, 1], [1, 0, 0]], [1, 3, 3], [2, 1, 2])),
    "edit_unnormalized": dict(kind="edit", normalize=False,
                              hyp=([[0, 0, 0], [1, 0, 0], [1, 0, 1]], [1, 2, 3], [2, 1, 2]),
                              truth=([[0, 0, 0], [0, 0, 1], [1, 0, 0]], [1, 3, 3], [2, 1, 2])),
    "edit_empty_sides": dict(kind="edit",
                             hyp=([[0, 0], [0, 1], [2, 0], [3, 0]], [1, 2, 5, 6], [5, 2]),
                             truth=([[1, 0], [2, 0], [2, 1], [4, 0]], [4, 5, 5, 7], [5, 2])),
    "edit_empty_sides_unnormalized": dict(
        kind="edit", normalize=False,
        hyp=([[0, 0], [0, 1], [2, 0], [3, 0]], [1, 2, 5, 6], [5, 2]),
        truth=([[1, 0], [2, 0], [2, 1], [4, 0]], [4, 5, 5, 7], [5, 2])),
    "edit_shapes_differ": dict(kind="edit",
                               hyp=([[0, 0], [0, 1], [0, 2]], [1, 2, 3], [1, 3]),
                               truth=([[0, 0], [2, 0]], [1, 3], [3, 1])),
    "edit_strings": dict(kind="edit", dtype="string",
                         hyp=([[0, 0], [0, 1], [1, 0], [1, 1], [1, 2]],
                              ["a", "b", "c", "d", "e"], [2, 3]),
                         truth=([[0, 0], [0, 1], [0, 2], [1, 0], [1, 1]],
                                ["a", "x", "b", "c", "e"], [2, 3])),
    "edit_levenshtein": dict(kind="edit", normalize=False,
                             hyp=([[0, i] for i in range(7)], list(b"kitten__")[:7], [1, 7]),
                             truth=([[0, i] for i in range(7)], list(b"sitting"), [1, 7])),
    "err_edit_rank_mismatch": dict(kind="edit", hyp=([[0, 0, 0]], [1], [1, 1, 1]),
                                   truth=([[0, 0]], [1], [1, 1]), error=True, static=False),
    "err_edit_values_rows": dict(kind="edit", hyp=([[0, 0], [0, 1]], [1], [1, 2]),
                                 truth=([[0, 0]], [1], [1, 1]), error=True, static=False),
}


def inputs(case):
    """The numpy inputs of a case (identical for TF and flowexec)."""
    kind = case["kind"]
    dtype = np.float64 if case.get("dtype") == "float64" else np.float32
    if kind in ("loss", "loss_raw", "loss_v2", "loss_v2_sparse"):
        batch = len(case["seq"] if "seq" in case else case["logit_length"])
        shape = (case["T"], batch, case.get("C", 5))
        if not case.get("time_major", True) or not case.get("logits_time_major", True):
            shape = (batch, case["T"], case.get("C", 5))
        return {"logits": _logits(case["seed"], shape, dtype)}
    if kind in ("greedy", "beam", "beam_v2"):
        shape = (case["T"], len(case["seq"]), case.get("C", 5))
        return {"logits": _logits(case["seed"], shape, dtype) * case.get("scale", 1.0)}
    return {}


def build(tf, case, arrays):
    """The case's fetches, {name: tensor}, built with `tf` (TensorFlow's compat.v1 or
    flowexec)."""
    kind = case["kind"]
    fetch = {}
    if kind in ("loss", "loss_raw", "loss_v2", "loss_v2_sparse"):
        logits = tf.constant(arrays["logits"])
        if kind == "loss_raw":
            labels = tf.SparseTensor(np.array(case["indices"], np.int64),
                                     np.array(case["values"], np.int32),
                                     np.array(case["shape"], np.int64))
        elif kind != "loss_v2":
            labels = tf.SparseTensor(*sparse_of(case["labels"]))
        if kind in ("loss", "loss_raw"):
            loss = tf.nn.ctc_loss(
                labels, logits, np.array(case["seq"], np.int32),
                preprocess_collapse_repeated=case.get("preprocess_collapse_repeated", False),
                ctc_merge_repeated=case.get("ctc_merge_repeated", True),
                ignore_longer_outputs_than_inputs=case.get(
                    "ignore_longer_outputs_than_inputs", False),
                time_major=case.get("time_major", True))
        elif kind == "loss_v2_sparse":
            loss = tf.nn.ctc_loss_v2(labels, logits, None,
                                     np.array(case["logit_length"], np.int32),
                                     blank_index=case["blank_index"])
        else:
            dense = np.array(case["labels"], np.int32)
            unique = tf.nn.ctc_unique_labels(dense) if case.get("unique") else None
            loss = tf.nn.ctc_loss_v2(
                dense, logits, np.array(case["label_length"], np.int32),
                np.array(case["logit_length"], np.int32),
                logits_time_major=case.get("logits_time_major", True), unique=unique,
                blank_index=case.get("blank_index"))
        batch = len(case["seq"] if "seq" in case else case["logit_length"])
        weights = np.random.default_rng(99).uniform(0.5, 1.5, size=batch)
        weights = weights.astype(loss.dtype.as_numpy_dtype)
        fetch["loss"] = loss
        fetch["grad"] = tf.gradients(tf.reduce_sum(loss * weights), logits)[0]
    elif kind == "greedy":
        decoded, neg_sum = tf.nn.ctc_greedy_decoder(
            tf.constant(arrays["logits"]), np.array(case["seq"], np.int32),
            merge_repeated=case.get("merge_repeated", True), blank_index=case.get("blank_index"))
        _put_sparse(fetch, "decoded0", decoded[0])
        fetch["log_probability"] = neg_sum
    elif kind in ("beam", "beam_v2"):
        logits = tf.constant(arrays["logits"])
        seq = np.array(case["seq"], np.int32)
        if kind == "beam":
            decoded, log_probs = tf.nn.ctc_beam_search_decoder(
                logits, seq, beam_width=case["beam_width"], top_paths=case.get("top_paths", 1),
                merge_repeated=case.get("merge_repeated", True))
        else:
            decoded, log_probs = tf.nn.ctc_beam_search_decoder_v2(
                logits, seq, beam_width=case["beam_width"], top_paths=case.get("top_paths", 1))
        for j, d in enumerate(decoded):
            _put_sparse(fetch, f"decoded{j}", d)
        fetch["log_probability"] = log_probs
    elif kind == "collapse":
        labels, lengths = tf.nn.collapse_repeated(np.array(case["labels"], np.int32),
                                                  np.array(case["seq"], np.int32))
        fetch["labels"], fetch["lengths"] = labels, lengths
    elif kind == "unique":
        y, idx = tf.nn.ctc_unique_labels(np.array(case["labels"], np.int32))
        fetch["y"], fetch["idx"] = y, idx
    elif kind == "edit":
        vdtype = object if case.get("dtype") == "string" else np.int64

        def sparse(spec):
            idx, vals, shape = spec
            rank = len(shape)
            idx = np.array(idx, np.int64).reshape(-1, rank)
            vals = np.array([v.encode() for v in vals], object) if vdtype is object \
                else np.array(vals, vdtype)
            if case.get("static", True):
                return tf.SparseTensor(idx, vals, np.array(shape, np.int64))
            default = tf.compat.v1.placeholder_with_default  # shapes known only at run time
            return tf.SparseTensor(default(idx, [None, None]), default(vals, [None]),
                                   default(np.array(shape, np.int64), [None]))

        fetch["distance"] = tf.edit_distance(sparse(case["hyp"]), sparse(case["truth"]),
                                             normalize=case.get("normalize", True))
    else:
        raise ValueError(f"unknown case kind {kind!r}")
    return fetch


def _put_sparse(fetch, name, st):
    fetch[f"{name}_indices"] = st.indices
    fetch[f"{name}_values"] = st.values
    fetch[f"{name}_shape"] = st.dense_shape
