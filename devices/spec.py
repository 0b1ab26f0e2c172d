"""TensorFlow device specifications: parse, merge, print and match.

A device specification names a device fully or in part::

    /job:worker/replica:0/task:3/device:CPU:1     every field set
    /device:GPU:1   /gpu:1   GPU:1                device type and index
    /gpu:*   /device:GPU:*   /cpu                 a type, any index
    ''                                            anything

:class:`DeviceSpec` is immutable and hashable. Its canonical text is TensorFlow's
(``/job:<job>/replica:<r>/task:<t>/device:<TYPE>:<index>``, unset fields left out, an
unset index printed ``*``); the well-known device types (``cpu``, ``gpu``, ...) are
upper-cased whichever way they were written.

The placer uses :func:`is_compatible` to ask whether a fully named device (such as
``/job:localhost/replica:0/task:0/device:CPU:1``) satisfies a partial specification.

Everything here is pure and thread-safe.
"""

from __future__ import annotations

__all__ = [
    "LOCAL_JOB",
    "LOCAL_PREFIX",
    "DeviceSpec",
    "canonical_name",
    "full_name",
    "is_compatible",
    "matches",
]

#: The job, replica and task of every device of this process, as TensorFlow names them.
LOCAL_JOB = "localhost"
LOCAL_PREFIX = "/job:localhost/replica:0/task:0"

# Device types written in any case in a spec and printed upper-case.
_KNOWN_TYPES = frozenset({"CPU", "GPU", "TPU", "XLA_CPU", "XLA_GPU", "CUSTOM", "EPU"})
# Types that may be written without the "device:" prefix ("/gpu:0", "CPU:1").
_SHORT_TYPES = frozenset({"CPU", "GPU", "TPU", "CUSTOM", "EPU"})


def _canonical_type(device_type: str) -> str:
    upper = device_type.upper()
    return upper if upper in _KNOWN_TYPES else device_type


def _to_index(value, field: str, spec: str | None = None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError(f"Invalid {field} {value!r}: expected a non-negative integer.")
    try:
        number = int(value)
    except (TypeError, ValueError):
        where = f" while parsing the device spec: '{spec}'" if spec is not None else ""
        raise ValueError(
            f"Invalid {field} {value!r}{where}: expected a non-negative integer."
        ) from None
    if number < 0 or (isinstance(value, float) and value != number):
        where = f" while parsing the device spec: '{spec}'" if spec is not None else ""
        raise ValueError(f"Invalid {field} {value!r}{where}: expected a non-negative integer.")
    return number


class DeviceSpec:
    """An immutable, possibly partial, TensorFlow device specification.

    Args:
        job: job name (``"worker"``, ``"localhost"``) or ``None``.
        replica: replica index or ``None``.
        task: task index or ``None``.
        device_type: ``"CPU"``, ``"GPU"`` (any case) or another type name, or ``None``.
        device_index: device index, or ``None`` for any device of the type.

    Raises:
        ValueError: an index is negative or not an integer, or a name holds ``/``
            or ``:``.

    Example:
        >>> spec = DeviceSpec.from_string("/job:worker/gpu:1")
        >>> spec.to_string()
        '/job:worker/device:GPU:1'
        >>> spec.make_merged_spec(DeviceSpec(device_index=0)).to_string()
        '/job:worker/device:GPU:0'
    """

    __slots__ = ("_device_index", "_device_type", "_hash", "_job", "_replica", "_task")

    def __init__(
        self,
        job: str | None = None,
        replica: int | None = None,
        task: int | None = None,
        device_type: str | None = None,
        device_index: int | None = None,
    ) -> None:
        for field, value in (("job", job), ("device_type", device_type)):
            if value is None:
                continue
            if not isinstance(value, str) or not value or "/" in value or ":" in value:
                raise ValueError(
                    f"Invalid {field} {value!r}: expected a non-empty string without '/' "
                    "or ':'."
                )
        set_ = object.__setattr__
        set_(self, "_job", job)
        set_(self, "_replica", _to_index(replica, "replica"))
        set_(self, "_task", _to_index(task, "task"))
        set_(self, "_device_type", None if device_type is None else _canonical_type(device_type))
        set_(self, "_device_index", _to_index(device_index, "device index"))
        set_(self, "_hash", None)

    def __setattr__(self, name, value):
        raise AttributeError("DeviceSpec is immutable; use replace() or make_merged_spec()")

    __delattr__ = __setattr__

    @property
    def job(self) -> str | None:
        """The job name, or ``None``."""
        return self._job

    @property
    def replica(self) -> int | None:
        """The replica index, or ``None``."""
        return self._replica

    @property
    def task(self) -> int | None:
        """The task index, or ``None``."""
        return self._task

    @property
    def device_type(self) -> str | None:
        """The device type (``"CPU"``, ``"GPU"``, ...), or ``None``."""
        return self._device_type

    @property
    def device_index(self) -> int | None:
        """The device index, or ``None`` for any device of the type."""
        return self._device_index

    @classmethod
    def from_string(cls, spec: str | None) -> DeviceSpec:
        """Parse a TensorFlow device string.

        Args:
            spec: e.g. ``"/cpu:0"``, ``"/device:GPU:1"``, ``"GPU:*"``,
                ``"/job:worker/replica:0/task:3/device:CPU:1"``; ``""`` or ``None``
                gives the empty specification.

        As in TensorFlow, a repeated ``job``, ``replica`` or ``task`` keeps its last
        value (``'/job:a/job:b'`` is job ``b``), and ``device:<TYPE>`` needs an index
        or ``*`` (``'/device:GPU'`` names an unknown attribute; ``'/gpu'`` is fine).

        Returns:
            The specification; fields the string leaves out are ``None``.

        Raises:
            ValueError: the string names an unknown attribute, two device types, or
                an index that is not a non-negative integer.
        """
        if spec is None:
            return cls()
        if isinstance(spec, DeviceSpec):
            return spec
        if not isinstance(spec, str):
            raise TypeError(f"Expected a device spec string, got {type(spec).__name__}: {spec!r}")
        fields = {}

        def put_type(device_type, index):
            if "device_type" in fields:
                raise ValueError(
                    "Multiple device types are not allowed while parsing the device "
                    f"spec: {spec}."
                )
            fields["device_type"] = device_type
            if index != "*":
                fields["device_index"] = _to_index(index, "device index", spec)

        for part in spec.split("/"):
            if not part:
                continue
            pieces = part.split(":")
            head, count = pieces[0], len(pieces)
            if count == 2 and head in ("job", "replica", "task"):
                if not pieces[1]:
                    raise ValueError(
                        f"Empty '{head}' is not allowed while parsing the device spec: "
                        f"'{spec}'."
                    )
                # the last value wins, as in TensorFlow
                fields[head] = pieces[1] if head == "job" else _to_index(pieces[1], head, spec)
            elif count in (1, 2) and head.upper() in _SHORT_TYPES:
                put_type(head.upper(), pieces[1] if count == 2 else "*")
            elif count == 3 and head == "device" and pieces[1]:
                put_type(pieces[1], pieces[2])
            else:
                raise ValueError(
                    f"Unknown attribute '{head}' is encountered while parsing the device "
                    f"spec: '{spec}'."
                )
        return cls(**fields)

    @classmethod
    def parse_from_string(cls, spec: str | None) -> DeviceSpec:
        """Same as :meth:`from_string` (TensorFlow's older name); returns a new spec."""
        return cls.from_string(spec)

    def to_string(self) -> str:
        """Return the canonical TensorFlow form, e.g. ``'/job:worker/device:GPU:1'``."""
        out = []
        if self._job is not None:
            out.append(f"/job:{self._job}")
        if self._replica is not None:
            out.append(f"/replica:{self._replica}")
        if self._task is not None:
            out.append(f"/task:{self._task}")
        if self._device_type is not None:
            index = "*" if self._device_index is None else str(self._device_index)
            out.append(f"/device:{self._device_type}:{index}")
        return "".join(out)

    def make_merged_spec(self, other: DeviceSpec | str | None) -> DeviceSpec:
        """Return a new spec: this one with every field that ``other`` sets replaced.

        Args:
            other: a :class:`DeviceSpec` or a device string.

        Returns:
            The merged specification.
        """
        other = DeviceSpec.from_string(other)
        return DeviceSpec(
            job=other.job if other.job is not None else self._job,
            replica=other.replica if other.replica is not None else self._replica,
            task=other.task if other.task is not None else self._task,
            device_type=other.device_type if other.device_type is not None
            else self._device_type,
            device_index=other.device_index if other.device_index is not None
            else self._device_index,
        )

    def replace(self, **fields) -> DeviceSpec:
        """Return a copy with the given fields (``job=``, ``device_index=``, ...) set."""
        values = self._fields()
        unknown = set(fields) - set(values)
        if unknown:
            raise TypeError(f"Unknown DeviceSpec field(s): {sorted(unknown)}")
        values.update(fields)
        return DeviceSpec(**values)

    def is_fully_specified(self) -> bool:
        """Whether every field (job, replica, task, type and index) is set."""
        return None not in self._key()

    def _fields(self) -> dict:
        return {
            "job": self._job,
            "replica": self._replica,
            "task": self._task,
            "device_type": self._device_type,
            "device_index": self._device_index,
        }

    def _key(self) -> tuple:
        return (self._job, self._replica, self._task, self._device_type, self._device_index)

    def __eq__(self, other) -> bool:
        if isinstance(other, DeviceSpec):
            return self._key() == other._key()
        return NotImplemented

    def __hash__(self) -> int:
        if self._hash is None:
            object.__setattr__(self, "_hash", hash(self._key()))
        return self._hash

    def __str__(self) -> str:
        return self.to_string()

    def __repr__(self) -> str:
        return f"DeviceSpec.from_string({self.to_string()!r})"

    def __reduce__(self):
        return (DeviceSpec, self._key())


def canonical_name(device_type: str, index: int) -> str:
    """Return TensorFlow's short device name, e.g. ``'/device:CPU:0'``."""
    return f"/device:{_canonical_type(device_type)}:{int(index)}"


def full_name(device_type: str, index: int) -> str:
    """Return the full local name, e.g. ``'/job:localhost/replica:0/task:0/device:CPU:0'``."""
    return LOCAL_PREFIX + canonical_name(device_type, index)


def is_compatible(spec: DeviceSpec | str | None, name: DeviceSpec | str) -> bool:
    """Tell whether the device called ``name`` satisfies the (partial) ``spec``.

    Every field that ``spec`` sets must equal the device's (device types compare
    case-insensitively); fields left unset match anything. A short device name such
    as ``/device:CPU:1`` is taken as a device of this process (job ``localhost``,
    replica 0, task 0).

    Args:
        spec: the requested placement, e.g. ``"/gpu:*"`` or ``"/job:localhost/cpu:1"``.
        name: a device name, full (``/job:localhost/replica:0/task:0/device:CPU:1``)
            or short (``/device:CPU:1``).

    Returns:
        ``True`` when the device can serve the request.

    Example:
        >>> is_compatible("/gpu:*", "/job:localhost/replica:0/task:0/device:GPU:1")
        True
        >>> is_compatible("/cpu:1", "/device:CPU:0")
        False
    """
    want = DeviceSpec.from_string(spec)
    have = DeviceSpec.from_string(name)
    have = DeviceSpec(job=LOCAL_JOB, replica=0, task=0).make_merged_spec(have)
    if want.job is not None and want.job != have.job:
        return False
    if want.replica is not None and want.replica != have.replica:
        return False
    if want.task is not None and want.task != have.task:
        return False
    if want.device_type is not None and (
            have.device_type is None or want.device_type.upper() != have.device_type.upper()):
        return False
    return want.device_index is None or want.device_index == have.device_index


#: Alias of :func:`is_compatible`.
matches = is_compatible
