"""Prints TF's tf.test.assert_equal_graph_def messages for the graph pairs of
tests/platform/test_graph_compare.py (the expected messages there are copied from this output):

    /work/tfvenv/bin/python scripts/make_tf_graph_compare_fixtures.py
"""
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
def gd(build):
    g = tf.Graph()
    with g.as_default():
        build()
    return g.as_graph_def()
def b1():
    a = tf.constant(1.0, name="a"); c = tf.constant(2.0, name="c"); tf.add(a, c, name="b")
def b2():
    c = tf.constant(2.0, name="c"); a = tf.constant(1.0, name="a"); tf.add(a, c, name="b")
def b3():
    a = tf.constant(1.0, name="a"); c = tf.constant(2.0, name="c"); tf.multiply(a, c, name="b")
def b4():
    a = tf.constant(1.0, name="a"); c = tf.constant(2.0, name="c"); tf.add(c, a, name="b")
def b5():
    a = tf.constant(1.0, name="a"); c = tf.constant(3.0, name="c"); tf.add(a, c, name="b")
def b6():
    a = tf.constant(1.0, name="a"); c = tf.constant(2.0, name="c")
    with tf.control_dependencies([c]): tf.add(a, a, name="b")
def b7():
    a = tf.constant(1.0, name="a"); c = tf.constant(2.0, name="c")
    tf.add(a, c, name="b"); tf.identity(a, name="extra")
def b8():
    a = tf.constant(1.0, name="a"); c = tf.constant(2.0, name="c")
    with tf.device("/cpu:0"): tf.add(a, c, name="b")
cases = {"order": b2, "op": b3, "inputs": b4, "attr": b5, "ctrl": b6, "extra": b7, "device": b8}
for k, b in cases.items():
    for first, second in ((b1, b), (b, b1)):
        try:
            tf.test.assert_equal_graph_def(gd(first), gd(second)); print(k, "equal")
        except AssertionError as e:
            print(k, repr(str(e)))
try:
    tf.test.assert_equal_graph_def(1, gd(b1))
except TypeError as e:
    print("type", repr(str(e)))
def b9():
    a = tf.constant([1.0, 2.0, 3.0, 4.0], name="a"); c = tf.constant(2.0, name="c"); tf.add(a, c, name="b")
def b10():
    a = tf.constant(1.0, name="a"); c = tf.constant(2.0, name="c"); tf.add(a, c, name="b"); tf.reshape(a, [1, 1], name="r"); tf.zeros([2, 3], name="z")
for k, b in {"vec": b9, "extra2": b10}.items():
    try:
        tf.test.assert_equal_graph_def(gd(b1), gd(b)); print(k, "equal")
    except AssertionError as e:
        print(k, repr(str(e)))
