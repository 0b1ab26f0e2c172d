"""tf.train.Example & co.: byte-identical to TF's deterministic serialization (fixtures from
scripts/gen_example_fixtures.py), round trips, protobuf-like field behaviour and errors."""

import importlib.util
import json
import os

import pytest

import flowexec as tf

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
with open(os.path.join(HERE, "fixtures", "tf_examples.json")) as f:
    TF_BYTES = {k: bytes.fromhex(v) for k, v in json.load(f).items()}


def _builders():
    spec = importlib.util.spec_from_file_location(
        "gen_example_fixtures", os.path.join(ROOT, "scripts", "gen_example_fixtures.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build(tf)


@pytest.mark.parametrize("name", sorted(TF_BYTES))
def test_serialization_is_tfs_and_round_trips(name):
    msg = _builders()[name]
    assert msg.SerializeToString() == TF_BYTES[name]
    parsed = type(msg).FromString(TF_BYTES[name])
    assert parsed == msg
    assert parsed.SerializeToString() == TF_BYTES[name]
    assert msg.ByteSize() == len(TF_BYTES[name])


def test_parsed_values_and_oneof():
    ex = tf.train.Example.FromString(TF_BYTES["example"])
    feat = ex.features.feature
    assert list(feat["label"].int64_list.value) == [3, -1, 2 ** 40, 0]
    assert feat["weights"].float_list.value[0] == pytest.approx(0.1, rel=1e-7)
    assert feat["weights"].float_list.value[0] != 0.1  # float32, as protobuf's
    assert feat["image"].WhichOneof("kind") == "bytes_list"
    assert feat["empty"].WhichOneof("kind") is None
    assert ex.HasField("features") and not tf.train.Example().HasField("features")
    seq = tf.train.SequenceExample.FromString(TF_BYTES["sequence_example"])
    steps = seq.feature_lists.feature_list["tokens"].feature
    assert [list(s.int64_list.value) for s in steps] == [[1, 2], [7]]


def test_mutation_like_protobuf():
    ex = tf.train.Example()
    ex.features.feature["x"].float_list.value.extend([1.0, 2.0])
    ex.features.feature["y"].int64_list.value.append(5)
    again = tf.train.Example()
    again.ParseFromString(ex.SerializeToString())
    assert again == ex and list(again.features.feature["x"].float_list.value) == [1.0, 2.0]
    f = tf.train.Feature()
    f.bytes_list.value.append(b"a")
    assert f.WhichOneof("kind") == "bytes_list"


def test_unpacked_repeated_fields_parse():
    # field 1, wire type 0 (varint) twice: an unpacked Int64List; wire type 5 for floats.
    assert list(tf.train.Int64List.FromString(b"\x08\x05\x08\x7f").value) == [5, 127]
    assert list(tf.train.FloatList.FromString(b"\x0d\x00\x00\x80\x3f").value) == [1.0]


def test_type_and_range_errors():
    with pytest.raises(TypeError, match="has type str, but expected one of: bytes"):
        tf.train.BytesList(value=["text"])
    with pytest.raises(TypeError, match="expected one of: int"):
        tf.train.Int64List(value=[1.5])
    with pytest.raises(ValueError, match="Value out of range"):
        tf.train.Int64List(value=[2 ** 63])
    with pytest.raises(TypeError, match="expected one of: int, float"):
        tf.train.FloatList(value=["1"])
    with pytest.raises(ValueError, match='has no "featurez" field'):
        tf.train.Example(featurez=tf.train.Features())
    with pytest.raises(tf.errors.DataLossError):
        tf.train.Example.FromString(b"\x0a\x05\x0a")
