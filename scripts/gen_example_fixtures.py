"""Write tests/train/fixtures/tf_examples.json: TF's own serialization of a few Example and
SequenceExample protos, for tests/train/test_example_proto.py.

Run once, by hand, in a scratch virtualenv with tensorflow-cpu (never a flowexec dependency):

    /tmp/tfvenv/bin/python scripts/gen_example_fixtures.py
"""

import json
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests/train/fixtures/tf_examples.json"


def build(tf):
    """name -> message, built with the `tf.train` classes of module `tf`."""
    t = tf.train
    ex = t.Example(features=t.Features(feature={
        "label": t.Feature(int64_list=t.Int64List(value=[3, -1, 2 ** 40, 0])),
        "weights": t.Feature(float_list=t.FloatList(value=[0.1, -2.5, 1e30])),
        "image": t.Feature(bytes_list=t.BytesList(value=[b"\x89PNG", b""])),
        "empty": t.Feature(),
    }))
    seq = t.SequenceExample(
        context=t.Features(feature={"id": t.Feature(bytes_list=t.BytesList(value=[b"q1"]))}),
        feature_lists=t.FeatureLists(feature_list={"tokens": t.FeatureList(feature=[
            t.Feature(int64_list=t.Int64List(value=[1, 2])),
            t.Feature(int64_list=t.Int64List(value=[7]))])}))
    return {"example": ex, "sequence_example": seq, "empty_example": t.Example()}


def main():
    import tensorflow.compat.v1 as tf

    data = {name: msg.SerializeToString(deterministic=True).hex()
            for name, msg in build(tf).items()}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
