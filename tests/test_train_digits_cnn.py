"""scripts/train_digits.py --model cnn: the tf.layers CNN trains data-parallel, its towers
share one set of variables, and it reaches the issue's accuracy."""

import importlib.util
import os

import pytest

pytest.importorskip("sklearn")
pytest.importorskip("tqdm")

SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts",
                      "train_digits.py")


@pytest.fixture(scope="module")
def td():
    spec = importlib.util.spec_from_file_location("train_digits_cnn", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cnn_towers_share_tf_layers_variables(td):
    args = td.parse_args(["--model", "cnn", "--logical-cpus", "2", "--hidden", "16"])
    handles = td.build_graph(args, args.tower_devices)
    names = sorted(v.name for v in handles["trainable"])
    assert names == ["conv0/bias:0", "conv0/kernel:0", "conv1/bias:0", "conv1/kernel:0",
                     "dense0/bias:0", "dense0/kernel:0", "logits/bias:0", "logits/kernel:0"]
    shapes = {v.name: v.shape.as_list() for v in handles["trainable"]}
    assert shapes["conv1/kernel:0"] == [3, 3, 32, 64]
    assert shapes["dense0/kernel:0"] == [2 * 2 * 64, 16]


def test_cnn_reaches_098_on_two_logical_cpus(td):
    m = td.main(["--model", "cnn", "--batch-size", "64", "--logical-cpus", "2",
                 "--no-progress"])
    assert m["devices"] == ["/device:CPU:0", "/device:CPU:1"]
    assert m["test_accuracy"] >= 0.98
