"""A tiny VAE-style graph: an encoder gives Normal(mu, sigma) per example, a reparameterized
sample feeds a decoder, the loss is reconstruction + kl_divergence to Normal(0, 1); Adam
training must reduce the ELBO loss a lot and the KL must stay finite and non-negative."""

import numpy as np

import flowexec as tf
import flowexec.distributions as tfd


def test_tiny_vae_with_normal_and_kl_divergence_converges():
    rng = np.random.default_rng(0)
    # 2-D data on a 1-D manifold: x = (t, t**2) + noise
    t = rng.uniform(-1, 1, (256, 1))
    data = np.concatenate([t, t ** 2], 1).astype(np.float32) + \
        0.02 * rng.normal(size=(256, 2)).astype(np.float32)
    tf.set_random_seed(1)
    x = tf.placeholder(tf.float32, [None, 2])
    h = tf.layers.dense(x, 16, activation=tf.nn.tanh)
    mu = tf.layers.dense(h, 1)
    sigma = tf.nn.softplus(tf.layers.dense(h, 1)) + 1e-4
    q = tfd.Normal(loc=mu, scale=sigma)
    z = q.sample(seed=2)
    hd = tf.layers.dense(z, 16, activation=tf.nn.tanh)
    x_mean = tf.layers.dense(hd, 2)
    likelihood = tfd.Normal(loc=x_mean, scale=0.1)
    recon = -tf.reduce_sum(likelihood.log_prob(x), 1)
    kl = tf.reduce_sum(tfd.kl_divergence(q, tfd.Normal(0.0, 1.0)), 1)
    loss = tf.reduce_mean(recon + kl)
    train = tf.train.AdamOptimizer(0.02).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = np.mean([sess.run(loss, {x: data}) for _ in range(5)])
        for _ in range(400):
            sess.run(train, {x: data})
        last = np.mean([sess.run(loss, {x: data}) for _ in range(5)])
        klv = sess.run(kl, {x: data})
    assert np.all(np.isfinite(klv)) and np.all(klv >= -1e-6)
    assert klv.mean() > 0.1  # the latent code is used
    assert last < first - 20, (first, last)
    assert last < 1.0, last
