"""Small graphs built the same way under flowexec and under TensorFlow's tf.compat.v1.

`scripts/make_tf_profiler_fixtures.py` builds them with TensorFlow to record tfprof's numbers
and reports; the tests build them with flowexec. Every builder takes the `tf` module
(`flowexec`, or `tensorflow.compat.v1` after `disable_v2_behavior()`) and returns a new Graph;
op names and types are the same under both (save TF's AddV2 for flowexec's Add).
"""


def dense(tf, x, units, name):
    """x @ kernel + bias under variable scope `name` (kernel: glorot uniform, bias: zeros)."""
    with tf.variable_scope(name):
        w = tf.get_variable("kernel", [int(x.shape[1]), units])
        b = tf.get_variable("bias", [units], initializer=tf.zeros_initializer())
        return tf.nn.bias_add(tf.matmul(x, w), b)


def build_mlp(tf):
    """A 32-64-10 MLP on a batch of 16 with a mean squared error loss."""
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [16, 32], name="x")
        h = tf.nn.relu(dense(tf, x, 64, "hidden"))
        y = dense(tf, h, 10, "logits")
        labels = tf.placeholder(tf.float32, [16, 10], name="labels")
        tf.reduce_mean(tf.square(y - labels), name="loss")
        tf.get_variable("global_scale", [], initializer=tf.ones_initializer())
        tf.get_variable("frozen", [7, 7], trainable=False,
                        initializer=tf.zeros_initializer())
    return g


def build_cnn(tf):
    """conv 3x3x3x4 + bias + relu, 2x2 max pool, a 64x5 fully connected layer, softmax."""
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2, 8, 8, 3], name="images")
        with tf.variable_scope("conv1"):
            w = tf.get_variable("weights", [3, 3, 3, 4], initializer=tf.zeros_initializer())
            b = tf.get_variable("biases", [4], initializer=tf.zeros_initializer())
            c = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, w, [1, 1, 1, 1], "SAME"), b))
        p = tf.nn.max_pool(c, [1, 2, 2, 1], [1, 2, 2, 1], "VALID", name="pool1")
        flat = tf.reshape(p, [2, 64])
        with tf.variable_scope("fc"):
            w2 = tf.get_variable("weights", [64, 5], initializer=tf.zeros_initializer())
            b2 = tf.get_variable("biases", [5], initializer=tf.zeros_initializer())
            out = tf.nn.bias_add(tf.matmul(flat, w2), b2)
        tf.nn.softmax(out, name="probs")
    return g


def build_zoo(tf):
    """One or more ops of every type with a TF flops rule (and some without), with
    gradients for the backprop ops. Shapes are fully known."""
    g = tf.Graph()
    with g.as_default():
        a = tf.placeholder(tf.float32, [4, 6], name="a")
        b = tf.placeholder(tf.float32, [6, 5], name="b")
        c = tf.placeholder(tf.float32, [4, 6], name="c")
        tf.matmul(a, b, name="mm")
        tf.matmul(a, c, transpose_b=True, name="mm_tb")
        tf.matmul(a, c, transpose_a=True, name="mm_ta")
        x3 = tf.placeholder(tf.float32, [3, 4, 6], name="x3")
        y3 = tf.placeholder(tf.float32, [3, 6, 2], name="y3")
        tf.matmul(x3, y3, name="bmm")
        tf.add(a, c, name="add")
        tf.add(a, 1.0, name="add_scalar")
        tf.subtract(a, c, name="sub")
        tf.multiply(a, c, name="mul")
        tf.math.truediv(a, c, name="div")
        tf.maximum(a, c, name="maximum")
        tf.minimum(a, c, name="minimum")
        tf.pow(a, c, name="pow")
        tf.math.squared_difference(a, c, name="sqdiff")
        tf.greater(a, c, name="greater")
        tf.greater_equal(a, c, name="greater_equal")
        tf.less(a, c, name="less")
        tf.less_equal(a, c, name="less_equal")
        tf.equal(a, c, name="equal")
        tf.not_equal(a, c, name="not_equal")
        tf.square(a, name="square")
        tf.math.rsqrt(a, name="rsqrt")
        tf.math.log(a, name="log")
        tf.negative(a, name="neg")
        tf.math.reciprocal(a, name="reciprocal")
        tf.nn.l2_loss(a, name="l2")
        tf.nn.softmax(a, name="softmax")
        tf.nn.relu(a, name="relu")
        tf.tanh(a, name="tanh")
        tf.reduce_mean(a, axis=1, name="mean")
        tf.reduce_sum(a, name="sum_all")
        tf.reduce_sum(a, axis=0, name="sum0")
        tf.argmax(a, axis=1, name="argmax")
        tf.argmin(a, axis=0, name="argmin")
        tf.add_n([a, c, a], name="addn")
        img = tf.placeholder(tf.float32, [2, 9, 9, 3], name="img")
        filt = tf.placeholder(tf.float32, [3, 3, 3, 8], name="filt")
        conv = tf.nn.conv2d(img, filt, [1, 2, 2, 1], "SAME", name="conv")
        dfilt = tf.placeholder(tf.float32, [3, 3, 3, 2], name="dfilt")
        tf.nn.depthwise_conv2d_native(img, dfilt, [1, 1, 1, 1], "VALID", name="dwconv")
        bias = tf.placeholder(tf.float32, [8], name="bias")
        ba = tf.nn.bias_add(conv, bias, name="biasadd")
        mp = tf.nn.max_pool(ba, [1, 2, 2, 1], [1, 1, 1, 1], "VALID", name="maxpool")
        ap = tf.nn.avg_pool(ba, [1, 3, 3, 1], [1, 2, 2, 1], "SAME", name="avgpool")
        loss = tf.reduce_sum(mp, name="loss_mp") + tf.reduce_sum(ap, name="loss_ap")
        tf.gradients(loss, [img, filt, bias], name="grads")
        v = tf.get_variable("v", [4, 6], initializer=tf.zeros_initializer())
        tf.assign_add(v, a, name="assign_add")
        tf.assign_sub(v, a, name="assign_sub")
    return g
