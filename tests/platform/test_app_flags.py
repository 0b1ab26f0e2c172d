"""tf.app.run and tf.flags / tf.app.flags (absl-py underneath), run as real programs."""

import os
import subprocess
import sys
import textwrap

import pytest

import flowexec as tf

pytest.importorskip("absl")

PROGRAM = textwrap.dedent("""
    import sys
    import flowexec as tf

    tf.app.flags.DEFINE_integer("steps", 10, "Training steps.")
    tf.flags.DEFINE_string("name", "mlp", "Model name.")
    FLAGS = tf.flags.FLAGS

    def main(argv):
        print("steps", FLAGS.steps, "name", FLAGS.name, "rest", argv[1:])
        return 3

    if __name__ == "__main__":
        tf.app.run()
""")


def _run(tmp_path, *args):
    path = tmp_path / "prog.py"
    path.write_text(PROGRAM)
    root = os.path.dirname(os.path.dirname(tf.__file__))
    env = dict(os.environ, PYTHONPATH=root)
    return subprocess.run([sys.executable, str(path), *args], capture_output=True, text=True,
                          timeout=60, env=env)


def test_app_run_parses_flags_and_exits_with_mains_value(tmp_path):
    r = _run(tmp_path, "--steps=5", "--name", "cnn", "positional")
    assert r.returncode == 3, r.stderr
    assert "steps 5 name cnn rest ['positional']" in r.stdout


def test_app_run_tolerates_flags_it_does_not_know(tmp_path):
    r = _run(tmp_path, "--unknown_flag=1", "--steps=2")
    assert r.returncode == 3, r.stderr
    assert "steps 2" in r.stdout
    assert "--unknown_flag=1" in r.stdout


def test_app_run_rejects_a_bad_flag_value(tmp_path):
    r = _run(tmp_path, "--steps=abc")
    assert r.returncode == 1
    assert "steps" in r.stderr


def test_flags_are_absl_flags():
    from absl import flags

    assert tf.flags.FLAGS is flags.FLAGS
    assert tf.app.flags.DEFINE_bool is flags.DEFINE_bool
    assert "DEFINE_string" in dir(tf.flags)
    with pytest.raises(AttributeError, match="no attribute 'not_a_flag_api'"):
        tf.flags.not_a_flag_api  # noqa: B018
