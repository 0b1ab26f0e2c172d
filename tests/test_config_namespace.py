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
