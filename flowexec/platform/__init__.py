"""Program scaffolding TF 1.x programs rely on: `tf.app`, `tf.flags`, `tf.logging`, `tf.gfile`
(and `tf.io.gfile`), `tf.test`, `tf.compat`. Nothing here touches graphs or sessions except
`tf.test.TestCase`'s session helpers."""
