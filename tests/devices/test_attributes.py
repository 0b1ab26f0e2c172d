"""DeviceAttributes: TensorFlow's text form, exactly, and the JSON dict."""

import dataclasses
import json

import pytest

from devices.attributes import DeviceAttributes, InterconnectLink, Locality

# The seed lecture's cell: print(device_lib.list_local_devices()) on TensorFlow.
SEED_OUTPUT = '''[name: "/device:CPU:0"
device_type: "CPU"
memory_limit: 268435456
locality {
}
incarnation: 2068544266075719452
, name: "/device:XLA_CPU:0"
device_type: "XLA_CPU"
memory_limit: 17179869184
locality {
}
incarnation: 13574654590561000430
physical_device_desc: "device: XLA_CPU device"
, name: "/device:XLA_GPU:0"
device_type: "XLA_GPU"
memory_limit: 17179869184
locality {
}
incarnation: 9558320008213973088
physical_device_desc: "device: XLA_GPU device"
, name: "/device:XLA_GPU:1"
device_type: "XLA_GPU"
memory_limit: 17179869184
locality {
}
incarnation: 734147575090736606
physical_device_desc: "device: XLA_GPU device"
]'''


def _seed_devices():
    rows = [
        ("/device:CPU:0", "CPU", 268435456, 2068544266075719452, ""),
        ("/device:XLA_CPU:0", "XLA_CPU", 17179869184, 13574654590561000430,
         "device: XLA_CPU device"),
        ("/device:XLA_GPU:0", "XLA_GPU", 17179869184, 9558320008213973088,
         "device: XLA_GPU device"),
        ("/device:XLA_GPU:1", "XLA_GPU", 17179869184, 734147575090736606,
         "device: XLA_GPU device"),
    ]
    return [DeviceAttributes(name, kind, limit, Locality(), inc, desc)
            for name, kind, limit, inc, desc in rows]


def test_printing_a_list_reads_exactly_as_the_seed_lecture_output():
    assert str(_seed_devices()) == SEED_OUTPUT
    assert repr(_seed_devices()) == SEED_OUTPUT


GPU_TEXT = '''name: "/device:GPU:1"
device_type: "GPU"
memory_limit: 14674281152
locality {
  bus_id: 2
  numa_node: 1
  links {
    link {
      device_id: 0
      type: "StreamExecutor"
      strength: 1
    }
  }
}
incarnation: 6265286294395838376
physical_device_desc: "device: 1, name: Tesla T4, pci bus id: 0000:00:05.0, compute capability: 7.5"
'''


def test_gpu_record_shows_bus_numa_and_links_as_tensorflow_does():
    gpu = DeviceAttributes(
        "/device:GPU:1", "GPU", 14674281152,
        Locality(bus_id=2, numa_node=1, links=[InterconnectLink(0)]),
        6265286294395838376,
        "device: 1, name: Tesla T4, pci bus id: 0000:00:05.0, compute capability: 7.5",
        physical_device_id=1,
    )
    assert str(gpu) == GPU_TEXT
    assert repr(gpu) == GPU_TEXT


def test_gpu_without_peers_prints_an_empty_links_block_and_numa_node_zero_is_left_out():
    gpu = DeviceAttributes("/device:GPU:0", "GPU", 1024, Locality(bus_id=1, numa_node=0), 7,
                           "device: 0, name: Tesla T4")
    assert "locality {\n  bus_id: 1\n  links {\n  }\n}\n" in str(gpu)
    assert "numa_node" not in str(gpu)


def test_default_fields_are_left_out_as_in_protobuf_text_form():
    record = DeviceAttributes("/device:CPU:0", "CPU", 0, Locality(), 0)
    assert str(record) == 'name: "/device:CPU:0"\ndevice_type: "CPU"\nlocality {\n}\n'


def test_strings_are_escaped_as_protobuf_text_form():
    record = DeviceAttributes("/device:CPU:0", "CPU", 1, Locality(), 1, 'a "q" \\ é\n')
    assert 'physical_device_desc: "a \\"q\\" \\\\ \\303\\251\\n"\n' in str(record)


def test_full_name_index_and_immutability():
    record = _seed_devices()[0]
    assert record.full_name == "/job:localhost/replica:0/task:0/device:CPU:0"
    assert record.index == 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.memory_limit = 1
    assert hash(record) == hash(_seed_devices()[0])
    assert record == _seed_devices()[0]


def test_properties_are_read_only_and_ignored_by_equality():
    a = DeviceAttributes("/device:CPU:0", "CPU", 1, Locality(), 1, properties={"cores": 2})
    b = DeviceAttributes("/device:CPU:0", "CPU", 1, Locality(), 1, properties={"cores": 4})
    assert a == b
    with pytest.raises(TypeError):
        a.properties["cores"] = 8


def test_to_dict_has_stable_keys_and_is_json_ready():
    gpu = DeviceAttributes(
        "/device:GPU:0", "GPU", 1000, Locality(1, None, [InterconnectLink(1)]), 5,
        "device: 0, name: X", physical_device_id=0, properties={"compute_capability": "9.0"},
    )
    data = json.loads(json.dumps(gpu.to_dict()))
    assert list(data) == [
        "name", "full_name", "device_type", "memory_limit", "locality", "incarnation",
        "physical_device_desc", "physical_device_id", "properties",
    ]
    assert data["full_name"] == "/job:localhost/replica:0/task:0/device:GPU:0"
    assert data["locality"] == {
        "bus_id": 1, "numa_node": None,
        "links": [{"device_id": 1, "type": "StreamExecutor", "strength": 1}],
    }
    assert data["memory_limit"] == 1000 and data["incarnation"] == 5
    assert data["properties"] == {"compute_capability": "9.0"}
