"""How much of TF 1.x's everyday public API flowexec has, per namespace.

Reads the committed list of TF 1.x public names (scripts/data/tf1_public_names.json, made by
scripts/gen_tf1_names.py from `tensorflow.compat.v1`) and looks each name up in flowexec
(`tf.nn.relu` -> `flowexec.nn.relu`). A name counts as present when flowexec has it with a
compatible kind: a TF function or class must be callable in flowexec, a TF module must be a
namespace (not callable). Existence is all this measures; that each name behaves as TF's is
the job of the tests.

    PYTHONPATH=$PWD python scripts/api_coverage.py              # table (markdown)
    PYTHONPATH=$PWD python scripts/api_coverage.py --missing tf.math
    PYTHONPATH=$PWD python scripts/api_coverage.py --json
"""

import argparse
import importlib
import json
import pathlib
import sys

DEFAULT_NAMES = pathlib.Path(__file__).resolve().parent / "data" / "tf1_public_names.json"

_MISSING = object()


def load_names(path=DEFAULT_NAMES):
    """The committed {namespace: {name: kind}} mapping and the TF version it came from."""
    data = json.loads(pathlib.Path(path).read_text())
    return data["namespaces"], data.get("tensorflow_version", "?")


def resolve(root, dotted):
    """The object named `dotted` ("tf.nn.rnn_cell") below `root`, or _MISSING."""
    obj = root
    for part in dotted.split(".")[1:]:
        obj = getattr(obj, part, _MISSING)
        if obj is _MISSING:
            return _MISSING
    return obj


def kind_matches(kind, value):
    """Whether a flowexec value can stand for a TF name of this kind."""
    if kind in ("function", "class"):
        return callable(value)
    if kind == "module":
        return not callable(value) and hasattr(value, "__dict__")
    return True


def coverage(root, namespaces):
    """Per-namespace rows: namespace, total, present names, missing names (sorted)."""
    rows = []
    for ns in sorted(namespaces, key=lambda n: (n != "tf", n)):
        names = namespaces[ns]
        target = resolve(root, ns)
        present, missing = [], []
        for name in sorted(names):
            value = _MISSING if target is _MISSING else getattr(target, name, _MISSING)
            if value is not _MISSING and kind_matches(names[name], value):
                present.append(name)
            else:
                missing.append(name)
        rows.append({"namespace": ns, "total": len(names), "present": present,
                     "missing": missing})
    return rows


def format_table(rows, tf_version):
    """The coverage table as markdown, with a total row."""
    lines = [f"| namespace | flowexec has | of TF {tf_version} compat.v1 | coverage |",
             "| --- | ---: | ---: | ---: |"]
    have = total = 0
    for row in rows:
        n = len(row["present"])
        have += n
        total += row["total"]
        pct = 100.0 * n / row["total"] if row["total"] else 100.0
        lines.append(f"| `{row['namespace']}` | {n} | {row['total']} | {pct:.0f}% |")
    pct = 100.0 * have / total if total else 100.0
    lines.append(f"| **all** | {have} | {total} | {pct:.0f}% |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=pathlib.Path, default=DEFAULT_NAMES,
                        help="the committed name list (default: %(default)s)")
    parser.add_argument("--module", default="flowexec", help="module standing for `tf`")
    parser.add_argument("--missing", metavar="NAMESPACE", action="append", default=[],
                        help="also list the names missing from NAMESPACE (repeatable; 'all')")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    namespaces, tf_version = load_names(args.names)
    rows = coverage(importlib.import_module(args.module), namespaces)
    if args.json:
        json.dump({"tensorflow_version": tf_version, "rows": rows}, sys.stdout, indent=1)
        print()
        return 0
    print(format_table(rows, tf_version))
    for row in rows:
        if "all" in args.missing or row["namespace"] in args.missing:
            print(f"\nmissing from {row['namespace']} ({len(row['missing'])}):")
            for name in row["missing"]:
                print(f"  {name}  ({namespaces[row['namespace']][name]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
