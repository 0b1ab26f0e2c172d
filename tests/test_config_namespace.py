"""tf.config: the devices package under TF's names, visible devices, memory growth and the
process thread defaults."""

import pytest

import flowexec as tf
from devices import runtime_for, testing
from flowexec.runtime.threads import inter_op_threads, set_process_threads


def test_physical_and_logical_devices():
    cpus = tf.config.list_physical_devices("CPU")
    assert cpus and cpus[0].name == "/physical_device:CPU:0" and cpus[0].device_type == "CPU"
    logical = tf.config.list_logical_devices()
    assert any(d.name == "/device:CPU:0" for d in logical)
    assert all(d.device_type == "GPU" for d in tf.config.list_logical_devices("gpu"))
    assert tf.config.LogicalDeviceConfiguration(memory_limit=1024).memory_limit == 1024
    assert tf.config.experimental.list_physical_devices is tf.config.list_physical_devices
    assert isinstance(tf.config.get_logical_device_configuration(cpus[0]), (list, type(None)))


@pytest.fixture
def fresh_devices():
    testing.reset_state()
    yield
    testing.reset_state()
    set_process_threads("inter", 0)
    set_process_threads("intra", 0)


def test_threading_sets_the_default_a_config_leaving_zero_gets(fresh_devices):
    assert tf.config.threading.get_inter_op_parallelism_threads() == 0
    tf.config.threading.set_inter_op_parallelism_threads(3)
    tf.config.threading.set_intra_op_parallelism_threads(1)
    assert tf.config.threading.get_inter_op_parallelism_threads() == 3
    assert tf.config.threading.get_intra_op_parallelism_threads() == 1
    assert inter_op_threads(tf.ConfigProto()) == 3
    assert inter_op_threads(tf.ConfigProto(inter_op_parallelism_threads=2)) == 2
    with tf.Graph().as_default():
        with tf.Session() as sess:
            assert sess.run(tf.constant(2.0) * 3.0) == 6.0
    cpu = [d for d in tf.config.list_logical_devices("CPU")][0]
    assert runtime_for(cpu.name).num_threads == 3
    with pytest.raises(RuntimeError, match="^Inter op parallelism cannot be modified after "
                                           "initialization.$"):
        tf.config.threading.set_inter_op_parallelism_threads(4)
    tf.config.threading.set_inter_op_parallelism_threads(3)  # unchanged: allowed
    with pytest.raises(RuntimeError, match="^Intra op parallelism"):
        tf.config.threading.set_intra_op_parallelism_threads(2)


def test_visible_devices_and_memory_growth_under_tf_names():
    cpus = tf.config.list_physical_devices("CPU")
    assert tf.config.get_visible_devices("CPU") == cpus
    assert tf.config.experimental.set_visible_devices is tf.config.set_visible_devices
    with pytest.raises(ValueError, match="non-GPU"):
        tf.config.experimental.set_memory_growth(cpus[0], True)
    for gpu in tf.config.list_physical_devices("GPU"):
        assert tf.config.experimental.get_memory_growth(gpu) in (None, True, False)


@pytest.fixture
def fresh_optimizer_options(monkeypatch):
    from flowexec.runtime.optimize import config as rewrite_config

    monkeypatch.setattr(rewrite_config, "_PROCESS_REWRITE_DEFAULTS", {})
    monkeypatch.setitem(tf.config._JIT, "enabled", "")


def _folded(config):
    with tf.Graph().as_default():
        y = tf.add(tf.constant(2.0) * tf.constant(3.0), 1.0) * 2.0
        with tf.Session(config=config) as sess:
            applied = sess.explain(y).optimized.applied
            assert sess.run(y) == 14.0
    return any(line.startswith("constfold") for line in applied)


def test_optimizer_options_are_process_defaults_of_the_rewriter(fresh_optimizer_options):
    opt = tf.config.optimizer
    assert opt.get_experimental_options() == {"disable_model_pruning": False,
                                              "disable_meta_optimizer": False}
    # the classic optimizer folds at L1 too (as TF's), so L0 leaves only Grappler's switch
    l0 = tf.ConfigProto(graph_options=tf.GraphOptions(
        optimizer_options=tf.OptimizerOptions(opt_level=tf.OptimizerOptions.L0)))
    assert _folded(l0)
    opt.set_experimental_options({"constant_folding": False, "min_graph_nodes": 3,
                                  "layout_optimizer": True, "bogus": 1})
    assert opt.get_experimental_options() == {
        "layout_optimizer": True, "constant_folding": False, "disable_model_pruning": False,
        "disable_meta_optimizer": False, "min_graph_nodes": 3}
    assert not _folded(l0)
    on = tf.ConfigProto(graph_options=tf.GraphOptions(
        rewrite_options=tf.RewriterConfig(constant_folding=tf.RewriterConfig.ON),
        optimizer_options=tf.OptimizerOptions(opt_level=tf.OptimizerOptions.L0)))
    assert _folded(on)  # a switch the ConfigProto sets wins over the process default


def test_jit_is_recorded_and_warns(fresh_optimizer_options):
    assert tf.config.optimizer.get_jit() == ""
    with pytest.warns(RuntimeWarning, match="no XLA"):
        tf.config.optimizer.set_jit(True)
    assert tf.config.optimizer.get_jit() == "autoclustering"
    tf.config.optimizer.set_jit(False)
    assert tf.config.optimizer.get_jit() == ""
    with pytest.raises(ValueError):
        tf.config.optimizer.set_jit("xla")


def test_memory_info_of_a_cpu_and_an_unknown_device(fresh_devices):
    info = tf.config.experimental.get_memory_info("CPU:0")
    assert info == {"current": 0, "peak": 0}  # TF 2.21 reports 0 for a CPU too
    assert tf.config.experimental.get_memory_usage("/device:CPU:0") == 0
    tf.config.experimental.reset_memory_stats("CPU:0")
    with pytest.raises(ValueError, match="No matching devices found for 'GPU:7'"):
        tf.config.experimental.get_memory_info("GPU:7")
