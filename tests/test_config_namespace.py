"""tf.config: the devices package under TF's names."""

import flowexec as tf


def test_physical_and_logical_devices():
    cpus = tf.config.list_physical_devices("CPU")
    assert cpus and cpus[0].name == "/physical_device:CPU:0" and cpus[0].device_type == "CPU"
    logical = tf.config.list_logical_devices()
    assert any(d.name == "/device:CPU:0" for d in logical)
    assert all(d.device_type == "GPU" for d in tf.config.list_logical_devices("gpu"))
    assert tf.config.LogicalDeviceConfiguration(memory_limit=1024).memory_limit == 1024
    assert tf.config.experimental.list_physical_devices is tf.config.list_physical_devices
    assert isinstance(tf.config.get_logical_device_configuration(cpus[0]), (list, type(None)))
