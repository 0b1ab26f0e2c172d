"""tf.errors: TF's classes, codes and the text of an OpError."""

import pickle

import pytest

import flowexec as tf
from flowexec.framework import errors


@pytest.mark.parametrize("cls, code", [
    (tf.errors.CancelledError, 1), (tf.errors.UnknownError, 2),
    (tf.errors.InvalidArgumentError, 3), (tf.errors.DeadlineExceededError, 4),
    (tf.errors.NotFoundError, 5), (tf.errors.AlreadyExistsError, 6),
    (tf.errors.PermissionDeniedError, 7), (tf.errors.ResourceExhaustedError, 8),
    (tf.errors.FailedPreconditionError, 9), (tf.errors.AbortedError, 10),
    (tf.errors.OutOfRangeError, 11), (tf.errors.UnimplementedError, 12),
    (tf.errors.InternalError, 13), (tf.errors.UnavailableError, 14),
    (tf.errors.DataLossError, 15), (tf.errors.UnauthenticatedError, 16),
])
def test_classes_and_codes(cls, code):
    e = cls(None, None, "msg")
    assert isinstance(e, tf.errors.OpError) and e.error_code == code
    assert e.message == "msg" and str(e) == "msg" and e.op is None and e.node_def is None
    assert errors.exception_type_from_error_code(code) is cls
    assert errors.error_code_from_exception_type(cls) == code
    assert cls.__name__ == cls(None, None, "").__class__.__name__
    again = pickle.loads(pickle.dumps(e))
    assert type(again) is cls and again.message == "msg"


def test_str_with_an_op_appends_its_creation_stack():
    c = tf.constant(1.0, name="c")
    e = tf.errors.InvalidArgumentError(c.op.node_def, c.op, "bad value")
    text = str(e)
    assert text.startswith("bad value\n\nOriginal stack trace for 'c':\n  File ")
    assert "test_errors.py" in text and 'tf.constant(1.0, name="c")' in text
    assert e.node_def.name == "c" and e.op is c.op and e.message == "bad value"
