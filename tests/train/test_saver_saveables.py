"""tf.train.Saver with SaveableObjects (TF's BaseSaverBuilder.SaveableObject): objects that
are not variables save the tensors of their specs under the specs' names and restore through
their own `restore`, beside the variables, from a list, a dict or SAVEABLE_OBJECTS."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.train.saveable import SaveableObject, SaveSpec


class _TwoPartSaveable(SaveableObject):
    """Saves a variable as two halves under "<name>/lo" and "<name>/hi"."""

    def __init__(self, var, name):
        lo, hi = tf.split(var.value(), 2)
        super().__init__(var, [SaveSpec(lo, "", name + "/lo"), SaveSpec(hi, "", name + "/hi")],
                         name)
        self.var = var

    def restore(self, restored_tensors, restored_shapes):
        return tf.assign(self.var, tf.concat(restored_tensors, 0))


@pytest.mark.parametrize("form", ["list", "dict", "collection"])
def test_a_saveable_saves_its_specs_and_restores_itself(tmp_path, form):
    prefix = str(tmp_path / "ckpt")
    with tf.Graph().as_default():
        w = tf.Variable([1.0, 2.0, 3.0, 4.0], name="w")
        b = tf.Variable(5.0, name="b")
        saveable = _TwoPartSaveable(w, "halves")
        if form == "list":
            saver = tf.train.Saver([b, saveable])
        elif form == "dict":
            saver = tf.train.Saver({"bias": b, "ignored": saveable})
        else:
            tf.add_to_collection(tf.GraphKeys.SAVEABLE_OBJECTS, saveable)
            saver = tf.train.Saver([b] + tf.get_collection(tf.GraphKeys.SAVEABLE_OBJECTS))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            saver.save(sess, prefix)
            sess.run([tf.assign(w, [0.0] * 4), tf.assign(b, 0.0)])
            saver.restore(sess, prefix)
            np.testing.assert_array_equal(sess.run(w), [1.0, 2.0, 3.0, 4.0])
            assert sess.run(b) == 5.0
    reader = tf.train.NewCheckpointReader(prefix)
    shapes = reader.get_variable_to_shape_map()
    assert shapes["halves/lo"] == [2] and shapes["halves/hi"] == [2]
    np.testing.assert_array_equal(reader.get_tensor("halves/hi"), [3.0, 4.0])
    assert ("bias" if form == "dict" else "b") in shapes and "w" not in shapes


def test_a_spec_name_taken_twice_is_refused():
    with tf.Graph().as_default():
        w = tf.Variable([1.0, 2.0], name="w")
        with pytest.raises(ValueError, match="same name: halves/lo"):
            tf.train.Saver([_TwoPartSaveable(w, "halves"), _TwoPartSaveable(w, "halves")])


def test_a_missing_spec_names_the_saveable(tmp_path):
    prefix = str(tmp_path / "ckpt")
    with tf.Graph().as_default():
        w = tf.Variable([1.0, 2.0], name="w")
        with tf.Session() as sess:
            sess.run(w.initializer)
            tf.train.Saver([w]).save(sess, prefix)
            saver = tf.train.Saver([_TwoPartSaveable(w, "halves")])
            with pytest.raises(tf.errors.NotFoundError, match="Key halves/hi not found"):
                saver.restore(sess, prefix)
            np.testing.assert_array_equal(sess.run(w), [1.0, 2.0])
