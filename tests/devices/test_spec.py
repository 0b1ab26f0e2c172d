"""DeviceSpec: parsing, printing, merging and matching, table-driven."""

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.spec import DeviceSpec, canonical_name, full_name, is_compatible, matches

# string, (job, replica, task, device_type, device_index), canonical string
PARSE_CASES = [
    ("/cpu:0", (None, None, None, "CPU", 0), "/device:CPU:0"),
    ("/CPU:0", (None, None, None, "CPU", 0), "/device:CPU:0"),
    ("cpu:0", (None, None, None, "CPU", 0), "/device:CPU:0"),
    ("/device:GPU:1", (None, None, None, "GPU", 1), "/device:GPU:1"),
    ("/device:gpu:2", (None, None, None, "GPU", 2), "/device:GPU:2"),
    ("GPU:1", (None, None, None, "GPU", 1), "/device:GPU:1"),
    ("/gpu:*", (None, None, None, "GPU", None), "/device:GPU:*"),
    ("/device:GPU:*", (None, None, None, "GPU", None), "/device:GPU:*"),
    ("cpu", (None, None, None, "CPU", None), "/device:CPU:*"),
    ("/device:XLA_GPU:0", (None, None, None, "XLA_GPU", 0), "/device:XLA_GPU:0"),
    ("/job:worker/replica:0/task:3/device:CPU:1", ("worker", 0, 3, "CPU", 1),
     "/job:worker/replica:0/task:3/device:CPU:1"),
    ("/job:worker/replica:0/task:3/cpu:1", ("worker", 0, 3, "CPU", 1),
     "/job:worker/replica:0/task:3/device:CPU:1"),
    ("/task:3/job:ps", ("ps", None, 3, None, None), "/job:ps/task:3"),
    # TensorFlow: a repeated job, replica or task keeps its last value
    ("/job:a/job:b", ("b", None, None, None, None), "/job:b"),
    ("/replica:0/task:1/replica:2/task:3/cpu:0", (None, 2, 3, "CPU", 0),
     "/replica:2/task:3/device:CPU:0"),
    ("/job:localhost", ("localhost", None, None, None, None), "/job:localhost"),
    ("/replica:1/device:TPU:*", (None, 1, None, "TPU", None), "/replica:1/device:TPU:*"),
    ("//cpu:0/", (None, None, None, "CPU", 0), "/device:CPU:0"),
    ("", (None, None, None, None, None), ""),
]


@pytest.mark.parametrize("text, fields, canonical", PARSE_CASES)
def test_from_string_parses_and_prints_canonically(text, fields, canonical):
    spec = DeviceSpec.from_string(text)
    assert (spec.job, spec.replica, spec.task, spec.device_type, spec.device_index) == fields
    assert spec.to_string() == canonical
    assert str(spec) == canonical
    assert DeviceSpec.parse_from_string(text) == spec
    assert DeviceSpec.from_string(canonical) == spec


BAD_CASES = [
    ("/cpu:0/gpu:1", r"Multiple device types are not allowed while parsing the device spec"),
    ("/device:CPU:0/GPU:0", r"Multiple device types"),
    ("/foo:1", r"Unknown attribute 'foo' is encountered while parsing the device spec: '/foo:1'"),
    ("/cpu:0:1", r"Unknown attribute 'cpu'"),
    ("/job:a:b", r"Unknown attribute 'job'"),
    ("/device:GPU:x", r"Invalid device index 'x' while parsing the device spec: '/device:GPU:x'"),
    ("/task:-1", r"Invalid task '-1'"),
    ("/replica:", r"Empty 'replica'"),
    # TensorFlow: "device:<TYPE>" needs an index or "*"
    ("/device:GPU", r"Unknown attribute 'device' is encountered while parsing the device "
                    r"spec: '/device:GPU'"),
    ("/job:a/device:CPU", r"Unknown attribute 'device'"),
    ("/device:CPU:0/device:GPU:*", r"Multiple device types"),
]


@pytest.mark.parametrize("text, message", BAD_CASES)
def test_from_string_rejects_bad_strings_with_tf_style_message(text, message):
    with pytest.raises(ValueError, match=message):
        DeviceSpec.from_string(text)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"device_index": -1}, ValueError, "device index"),
    ({"task": "x"}, ValueError, "task"),
    ({"replica": True}, TypeError, "replica"),
    ({"job": "a/b"}, ValueError, "job"),
    ({"device_type": ""}, ValueError, "device_type"),
])
def test_constructor_validates_fields(kwargs, error, message):
    with pytest.raises(error, match=message):
        DeviceSpec(**kwargs)


def test_constructor_canonicalizes_known_types_and_int_strings():
    spec = DeviceSpec(job="worker", replica="0", task=2, device_type="gpu", device_index="1")
    assert spec.to_string() == "/job:worker/replica:0/task:2/device:GPU:1"
    assert DeviceSpec(device_type="MyAccel", device_index=0).to_string() == "/device:MyAccel:0"


MERGE_CASES = [
    ("/job:worker/gpu:0", "/cpu:1", "/job:worker/device:CPU:1"),
    ("/job:worker/gpu:0", "/task:2", "/job:worker/task:2/device:GPU:0"),
    ("/job:worker/gpu:0", "", "/job:worker/device:GPU:0"),
    ("/job:worker/gpu:0", "/device:GPU:*", "/job:worker/device:GPU:0"),
    ("/gpu:*", "/job:ps/replica:1", "/job:ps/replica:1/device:GPU:*"),
    ("", "/job:worker/replica:0/task:3/device:CPU:1",
     "/job:worker/replica:0/task:3/device:CPU:1"),
]


@pytest.mark.parametrize("base, other, merged", MERGE_CASES)
def test_make_merged_spec_lets_the_other_specs_set_fields_win(base, other, merged):
    spec = DeviceSpec.from_string(base)
    assert spec.make_merged_spec(DeviceSpec.from_string(other)).to_string() == merged
    assert spec.make_merged_spec(other).to_string() == merged
    assert spec.to_string() == DeviceSpec.from_string(base).to_string()  # unchanged


def test_spec_is_immutable_hashable_and_picklable():
    spec = DeviceSpec.from_string("/job:worker/gpu:1")
    with pytest.raises(AttributeError):
        spec.job = "ps"
    assert spec == DeviceSpec(job="worker", device_type="GPU", device_index=1)
    assert len({spec, DeviceSpec.from_string("/job:worker/device:GPU:1")}) == 1
    assert spec != DeviceSpec.from_string("/job:worker/gpu:0")
    assert pickle.loads(pickle.dumps(spec)) == spec
    assert spec.replace(device_index=3).to_string() == "/job:worker/device:GPU:3"
    assert repr(spec) == "DeviceSpec.from_string('/job:worker/device:GPU:1')"


def test_is_fully_specified():
    assert DeviceSpec.from_string("/job:a/replica:0/task:0/cpu:0").is_fully_specified()
    assert not DeviceSpec.from_string("/job:a/replica:0/task:0/cpu:*").is_fully_specified()


LOCAL_CPU1 = "/job:localhost/replica:0/task:0/device:CPU:1"
MATCH_CASES = [
    ("", LOCAL_CPU1, True),
    ("/cpu:1", LOCAL_CPU1, True),
    ("/CPU:1", LOCAL_CPU1, True),
    ("/cpu:0", LOCAL_CPU1, False),
    ("/cpu:*", LOCAL_CPU1, True),
    ("/gpu:*", LOCAL_CPU1, False),
    ("/job:localhost", LOCAL_CPU1, True),
    ("/job:localhost/replica:0/task:0/device:CPU:1", LOCAL_CPU1, True),
    ("/job:worker/cpu:1", LOCAL_CPU1, False),
    ("/task:1", LOCAL_CPU1, False),
    ("/replica:0/device:CPU:1", "/device:CPU:1", True),
    ("/gpu:1", "/device:GPU:1", True),
    (DeviceSpec(device_type="GPU"), "/job:localhost/replica:0/task:0/device:GPU:3", True),
]


@pytest.mark.parametrize("spec, name, expected", MATCH_CASES)
def test_is_compatible_tells_whether_a_named_device_satisfies_a_spec(spec, name, expected):
    assert is_compatible(spec, name) is expected
    assert matches(spec, name) is expected


def test_canonical_and_full_names():
    assert canonical_name("cpu", 0) == "/device:CPU:0"
    assert full_name("GPU", 1) == "/job:localhost/replica:0/task:0/device:GPU:1"


_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=8)


@given(
    job=st.none() | _names,
    replica=st.none() | st.integers(0, 1000),
    task=st.none() | st.integers(0, 1000),
    device_type=st.none() | st.sampled_from(["CPU", "GPU", "TPU", "XLA_GPU"]),
    device_index=st.none() | st.integers(0, 64),
)
def test_to_string_round_trips(job, replica, task, device_type, device_index):
    spec = DeviceSpec(job, replica, task, device_type, device_index)
    if device_type is None:
        spec = spec.replace(device_index=None)  # an index alone is not printable
    assert DeviceSpec.from_string(spec.to_string()) == spec
