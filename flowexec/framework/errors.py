"""TensorFlow's error classes, with TF's names, codes and messages.

`OpError` carries the operation that failed (`op`, `node_def`) so a user sees which node broke;
the subclasses map one-to-one onto TensorFlow's canonical error codes. User mistakes that are
caught while the graph is being built raise Python's `TypeError` / `ValueError`, as TF does.
"""

import traceback

from flowexec.framework.traceback_filter import filter_frames

OK = 0
CANCELLED = 1
UNKNOWN = 2
INVALID_ARGUMENT = 3
DEADLINE_EXCEEDED = 4
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
ABORTED = 10
OUT_OF_RANGE = 11
UNIMPLEMENTED = 12
INTERNAL = 13
UNAVAILABLE = 14
DATA_LOSS = 15
UNAUTHENTICATED = 16


class OpError(Exception):
    """A failure while running an operation.

    Attributes:
        node_def: a small description of the failing node (name, op type, device), or None.
        op: the failing `Operation`, or None when the error is not tied to one op.
        message: the error message.
        error_code: TensorFlow's canonical integer code.
    """

    def __init__(self, node_def, op, message, error_code):
        super().__init__(message)
        self._node_def = node_def
        self._op = op
        self._message = message
        self._error_code = error_code

    @property
    def message(self):
        return self._message

    @property
    def op(self):
        return self._op

    @property
    def node_def(self):
        return self._node_def

    @property
    def error_code(self):
        return self._error_code

    def __str__(self):
        """The message; with an op, followed by the stack that created it (as TF 1.15;
        without flowexec's frames while traceback filtering is enabled)."""
        if self._op is None:
            return self._message
        stack = "".join(traceback.format_list(filter_frames(self._op.traceback)))
        return f"{self._message}\n\nOriginal stack trace for {self._op.name!r}:\n{stack}"

    def __reduce__(self):
        return (type(self), (self._node_def, None, self._message))


class InaccessibleTensorError(ValueError):
    """A tensor or operation used outside the function graph that holds it (a tensor made
    inside a `tf.cond` branch or a `tf.while_loop` body, fetched from the session)."""


def _make(name, code, doc):
    def __init__(self, node_def, op, message, *args):
        OpError.__init__(self, node_def, op, message, code)

    return type(name, (OpError,), {"__init__": __init__, "__doc__": doc})


CancelledError = _make("CancelledError", CANCELLED, "An operation or step was cancelled.")
UnknownError = _make("UnknownError", UNKNOWN, "An unknown error (e.g. an unexpected exception).")
InvalidArgumentError = _make(
    "InvalidArgumentError", INVALID_ARGUMENT, "An operation received an invalid argument.")
DeadlineExceededError = _make(
    "DeadlineExceededError", DEADLINE_EXCEEDED, "A deadline expired before the step finished.")
NotFoundError = _make("NotFoundError", NOT_FOUND, "A requested entity was not found.")
AlreadyExistsError = _make("AlreadyExistsError", ALREADY_EXISTS, "An entity already exists.")
PermissionDeniedError = _make(
    "PermissionDeniedError", PERMISSION_DENIED, "The caller may not run the operation.")
ResourceExhaustedError = _make(
    "ResourceExhaustedError", RESOURCE_EXHAUSTED, "Some resource (memory) has been exhausted.")
FailedPreconditionError = _make(
    "FailedPreconditionError", FAILED_PRECONDITION,
    "The system is not in a state to run the operation (e.g. an uninitialized variable).")
AbortedError = _make("AbortedError", ABORTED, "The operation was aborted.")
OutOfRangeError = _make("OutOfRangeError", OUT_OF_RANGE, "An operation iterated past the end.")
UnimplementedError = _make(
    "UnimplementedError", UNIMPLEMENTED, "The operation is not implemented or supported.")
InternalError = _make("InternalError", INTERNAL, "An internal invariant was broken.")
UnavailableError = _make("UnavailableError", UNAVAILABLE, "The runtime is unavailable.")
DataLossError = _make("DataLossError", DATA_LOSS, "Unrecoverable data loss or corruption.")
UnauthenticatedError = _make(
    "UnauthenticatedError", UNAUTHENTICATED, "The request lacks valid credentials.")

_CODE_TO_CLASS = {
    cls(None, None, "").error_code: cls
    for cls in (CancelledError, UnknownError, InvalidArgumentError, DeadlineExceededError,
                NotFoundError, AlreadyExistsError, PermissionDeniedError,
                ResourceExhaustedError, FailedPreconditionError, AbortedError,
                OutOfRangeError, UnimplementedError, InternalError, UnavailableError,
                DataLossError, UnauthenticatedError)
}


def exception_type_from_error_code(error_code):
    """The OpError subclass for a canonical error code."""
    return _CODE_TO_CLASS[error_code]


def error_code_from_exception_type(cls):
    """The canonical error code of an OpError subclass."""
    for code, c in _CODE_TO_CLASS.items():
        if c is cls:
            return code
    raise KeyError(cls)
