"""tf.train.warm_start and VocabInfo: every case equals TF's warm-started values
(tests/data/tf1/warm_start/warm.npz, scripts/make_tf_warm_start_fixtures.py: vocabulary rows
with OOV buckets, class columns, partitioned embeddings, old_vocab_size, renames, object-based
checkpoints, only-vocab warm starts), and TF's errors."""

import os

import numpy as np
import pytest

import flowexec as tf
from scripts.make_tf_warm_start_fixtures import CASES, build, old_values
from tests.graph_io.helpers import DATA

WS = os.path.join(DATA, "warm_start")
with np.load(os.path.join(WS, "warm.npz")) as _f:
    RECORDED = {k: _f[k] for k in _f.files}


@pytest.mark.parametrize("case", CASES)
def test_equals_tfs_warm_start(case):
    made = build(tf, case, WS)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for name, var in made.items():
            np.testing.assert_array_equal(sess.run(var), RECORDED[f"{case}|{name}"],
                                          err_msg=f"{case} {name}")


def test_vocab_rows_take_old_rows_and_backup_elsewhere():
    emb = RECORDED["vocab_rows|emb"]
    old = old_values()["emb"]
    # new vocab c x a e y b (+1 OOV) against old a b c d e
    np.testing.assert_array_equal(emb[[0, 2, 3, 5]], old[[2, 0, 4, 1]])
    np.testing.assert_array_equal(emb[[1, 4, 6]], np.ones((3, 3)))


def test_directory_and_unused_names_raise():
    tf.get_variable("dense", [3, 2], initializer=tf.zeros_initializer())
    with pytest.raises(ValueError, match="You provided the following variables in "
                                         "var_name_to_prev_var_name that were not used: "
                                         r"\{'nope'\}"):
        tf.train.warm_start(os.path.join(WS, "old.ckpt"),
                            var_name_to_prev_var_name={"nope": "dense"})
    info = tf.train.VocabInfo("a", 1, 0, "b")
    with pytest.raises(ValueError, match="var_name_to_vocab_info that were not used"):
        tf.train.warm_start(os.path.join(WS, "old.ckpt"), var_name_to_vocab_info={"x": info})
    with pytest.raises(ValueError, match="`vars_to_warm_start must be a `list` or `str`"):
        tf.train.warm_start(os.path.join(WS, "old.ckpt"), vars_to_warm_start=3)
    with pytest.raises(ValueError, match="it must be all `Variable` or all `str`"):
        tf.train.warm_start(os.path.join(WS, "old.ckpt"), vars_to_warm_start=["dense", 1])


def test_object_based_checkpoint_missing_variable_raises():
    tf.get_variable("emb", [5, 3])
    with pytest.raises(ValueError, match="did not contain values for all variables. The "
                                         r"following variables were missing: \{'emb'\}"):
        tf.train.warm_start(os.path.join(WS, "obj"))


def test_vocab_info_axis_and_defaults():
    with pytest.raises(ValueError, match="The only supported values for the axis argument are "
                                         "0 and 1.  Provided axis: 2"):
        tf.train.VocabInfo("n", 3, 0, "o", axis=2)
    info = tf.train.VocabInfo("n", 3, 1, "o")
    assert (info.old_vocab_size, info.backup_initializer, info.axis) == (-1, None, 0)
    assert info._fields[0] == "new_vocab"


def test_vocab_on_a_vector_raises():
    tf.get_variable("bias", [4])
    info = tf.train.VocabInfo(os.path.join(WS, "new_vocab.txt"), 4, 0,
                              os.path.join(WS, "old_vocab.txt"))
    with pytest.raises(ValueError, match="Expected 2-dim shape"):
        tf.train.warm_start(os.path.join(WS, "old.ckpt"), ".*", {"bias": info})
