"""Command line: list this machine's devices (``flowexec-devices``, ``python -m devices``).

Formats:

* default: TensorFlow's text form, exactly what ``print(list_local_devices())`` shows;
* ``--format table``: one aligned row per device: name, type, memory (binary units),
  description;
* ``--json`` (or ``--format json``): a list of ``DeviceAttributes.to_dict()``, bytes,
  stable keys.

Options: ``--logical-cpus N`` (N logical CPUs, as ``device_count={'CPU': N}``),
``--type CPU|GPU``. Exit status 0, or 2 with a one-line message on bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from devices.attributes import DeviceAttributes
from devices.errors import format_bytes
from devices.logical import local_devices

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit status 2
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def _device_type(text: str) -> str:
    value = text.upper()
    if value not in ("CPU", "GPU"):
        raise argparse.ArgumentTypeError(f"expected CPU or GPU, got {text!r}")
    return value


def _prog() -> str:
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return "python -m devices" if name in ("", "__main__.py", "-c", "-m") else name


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the command."""
    parser = _Parser(
        prog=_prog(),
        description="List the devices flowexec can run on, as TensorFlow's "
        "device_lib.list_local_devices() does.",
    )
    parser.add_argument(
        "--format", choices=("text", "table", "json"), default=None,
        help="output format: text (TensorFlow's, the default), table, or json",
    )
    parser.add_argument(
        "--json", action="store_true", help="same as --format json",
    )
    parser.add_argument(
        "--logical-cpus", type=_positive_int, metavar="N", default=None,
        help="split the CPU into N logical devices (ConfigProto device_count={'CPU': N})",
    )
    parser.add_argument(
        "--type", type=_device_type, metavar="CPU|GPU", dest="device_type", default=None,
        help="list only devices of this type",
    )
    return parser


def _description(device: DeviceAttributes) -> str:
    if device.physical_device_desc:
        return device.physical_device_desc
    props = device.properties
    parts = []
    if props.get("cores"):
        parts.append(f"{props['cores']} cores")
    if props.get("model"):
        parts.append(str(props["model"]))
    if props.get("logical_devices", 1) > 1:
        parts.append(f"1 of {props['logical_devices']} logical devices")
    return ", ".join(parts)


def format_table(devices: Sequence[DeviceAttributes]) -> str:
    """Return one aligned row per device under a header: name, type, memory, description."""
    rows = [("NAME", "TYPE", "MEMORY", "DESCRIPTION")]
    rows += [
        (d.name, d.device_type, format_bytes(d.memory_limit), _description(d)) for d in devices
    ]
    widths = [max(len(row[col]) for row in rows) for col in range(3)]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2].rjust(widths[2])]
        lines.append("  ".join(cells + [row[3]]).rstrip())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the command.

    Args:
        argv: the arguments (default ``sys.argv[1:]``).

    Returns:
        The exit status: 0, or 2 for bad arguments.
    """
    args = build_parser().parse_args(argv)
    fmt = args.format or ("json" if args.json else "text")
    if args.json and fmt != "json":
        print(f"{_prog()}: error: --json contradicts --format {fmt} (see --help)",
              file=sys.stderr)
        return 2
    device_count = None if args.logical_cpus is None else {"CPU": args.logical_cpus}
    try:
        listed = local_devices(device_count)
    except ValueError as exc:
        print(f"{_prog()}: error: {exc}", file=sys.stderr)
        return 2
    if args.device_type is not None:
        listed = [d for d in listed if d.device_type == args.device_type]
    try:
        if fmt == "text":
            print(listed)
        elif fmt == "table":
            print(format_table(listed))
        else:
            print(json.dumps([d.to_dict() for d in listed], indent=2))
        sys.stdout.flush()
    except BrokenPipeError:  # `flowexec-devices | head`: not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
