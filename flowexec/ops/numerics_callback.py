"""`tf.debugging.enable_check_numerics` / `disable_check_numerics`: TF's check-numerics op
callback, for graph mode.

While enabled (per thread, as TF), every op added to a graph has each float output passed
through a CheckNumericsV2 op ("<op name>/CheckNumericsV2") whose message names the op, the
output slot, dtype, shape, inputs and the stack that created the op (TF's text, the frames of
user code marked "->"); the op's caller gets the checked tensor, so anything built on it runs
the check first. A Placeholder's output is left as it is (it is fed); its check becomes a
control input of the first op that reads it. Ops TF skips are skipped (control-flow
primitives, Identity, and TF's SAFE_OPS: Reshape, Concat, Gather, ...), as are the FusedBatchNorm
statistics outputs and a VariableV2's reference output (the variable itself, which TF 2's
resource variables do not expose as a float tensor either; what is computed from it is
checked). Ops built before enabling, or after disabling, are not checked.

Example:
    >>> tf.debugging.enable_check_numerics()
    >>> y = tf.log(x)  # running y with x = 0 raises InvalidArgumentError:
    ... # '!!! Detected Infinity or NaN in output 0 of graph op "Log" (# of outputs: 1) !!!'
"""

import threading

from flowexec.framework import op_callbacks
from flowexec.framework.graph import name_scope
from flowexec.framework.operation import _is_internal
from flowexec.ops.numerics_ops import check_numerics_v2

# TF's op_callbacks_common.OP_CALLBACK_SKIP_OPS and check_numerics_callback.SAFE_OPS.
_SKIP_OPS = frozenset((
    "Enter", "Exit", "Identity", "If", "LoopCond", "Merge", "NextIteration", "StatelessIf",
    "StatefulPartitionedCall", "Switch", "While", "RemoteCall", "TPUReplicatedInput",
    "TPUReplicateMetadata", "TPUCompilationResult", "TPUReplicatedOutput",
    "ConfigureDistributedTPU", "DestroyResourceOp",
    "Concat", "ConcatV2", "ExpandDims", "Fill", "Gather", "Maximum", "Minimum", "Reshape",
    "Slice", "Squeeze", "Stack", "StridedSlice", "StridedSliceGrad", "TensorListConcatV2",
    "TensorListGather", "TensorListGetItem", "TensorListPopBack", "TensorListStack",
    "Transpose", "Unpack",
    "CheckNumerics", "CheckNumericsV2",
))
# (op type, output slot) never checked: batch statistics that are NaN for an empty batch.
_IGNORE_OUTPUTS = frozenset(
    [("FusedBatchNorm", i) for i in range(1, 5)] + [("FusedBatchNormV2", i) for i in range(1, 5)]
    + [("FusedBatchNormV3", i) for i in range(1, 6)])
_CHECKABLE = frozenset(("bfloat16", "float16", "float32", "float64"))

_state = threading.local()


def _limit(text, max_len):
    if max_len is None or len(text) <= max_len:
        return text
    return "..." + text[len(text) - max_len:]


def error_message(slot, num_outputs, op_type, tensor, inputs, traceback,
                  stack_height_limit=30, path_length_limit=50, originals=lambda t: t):
    """TF's `get_check_numerics_error_message` for a graph op's output `slot`; `originals`
    maps an input to the tensor it stands for (a check to what it checks)."""
    message = "\n"
    message += (f"\n!!! Detected Infinity or NaN in output {slot} of graph op \"{op_type}\" "
                f"(# of outputs: {num_outputs}) !!!\n")
    message += f"  dtype: {tensor.dtype}\n"
    message += f"  shape: {tensor.shape}\n"
    if len(inputs) > 1:
        message += f"\n  Input tensors ({len(inputs)}):\n"
        for i, t in enumerate(inputs):
            message += f"         {i}: {originals(t)}\n"
    elif len(inputs) == 1:
        message += f"\n  Input tensor: {originals(inputs[0])}\n"
    if traceback:
        message += "\n  Stack trace of op's creation (\"->\": inferred user code):\n"
        if stack_height_limit is not None and len(traceback) > stack_height_limit:
            message += f"    + ... (Omitted {len(traceback) - stack_height_limit} frames)\n"
            traceback = traceback[-stack_height_limit:]
        for filename, lineno, function, line in traceback:
            marker = "    " if _is_internal(filename) else " -> "
            message += f"    + {_limit(filename, path_length_limit)} (L{lineno}) {function}\n"
            if line is not None:
                message += f"{marker}|   {line}\n"
    return message + "\n"


class _CheckNumericsCallback:
    def __init__(self, stack_height_limit, path_length_limit):
        self._stack_height_limit = stack_height_limit
        self._path_length_limit = path_length_limit
        self._placeholder_checks = {}  # id(placeholder output) -> (output, its check)
        self._checked = {}  # id(check) -> (check, the output it checks)

    def __call__(self, op_type, inputs, attrs, outputs, op_name=None, graph=None):
        if op_type in _SKIP_OPS:
            return None
        if outputs:
            for t in inputs:
                pair = self._placeholder_checks.get(id(t))
                if pair is not None and pair[0] is t:
                    outputs[0].op._add_control_input(pair[1].op)
        instrumented = []
        for slot, output in enumerate(outputs):
            if (output.dtype.base_dtype.name not in _CHECKABLE
                    or (op_type, slot) in _IGNORE_OUTPUTS
                    or (slot == 0 and output.op.op_def.ref_output)):
                instrumented.append(output)
                continue
            message = error_message(slot, len(outputs), op_type, output, inputs,
                                    output.op.traceback, self._stack_height_limit,
                                    self._path_length_limit, self._original)
            with name_scope(op_name + "/"):
                checked = check_numerics_v2(output, message)
            self._checked[id(checked)] = (checked, output)
            if op_type == "Placeholder":
                self._placeholder_checks[id(output)] = (output, checked)
                instrumented.append(output)
            else:
                instrumented.append(checked)
        return instrumented

    def _original(self, tensor):
        """The tensor a check stands for (TF names the unchecked input in the message)."""
        pair = self._checked.get(id(tensor))
        return pair[1] if pair is not None and pair[0] is tensor else tensor


def enable_check_numerics(stack_height_limit=30, path_length_limit=50):
    """Checks every float output of the ops built from now on (on this thread) for Inf and
    NaN, raising InvalidArgumentError naming the op that produced it.

    Args:
        stack_height_limit: at most this many frames of the creating stack in the message
            (None: all).
        path_length_limit: file paths longer than this are shown as "...<tail>".

    Example:
        >>> tf.debugging.enable_check_numerics()
        >>> z = tf.log(x) * 2.  # sess.run(z, {x: [0.]}) raises, naming "Log"
    """
    if not hasattr(_state, "callback"):
        _state.callback = _CheckNumericsCallback(stack_height_limit, path_length_limit)
    op_callbacks.add_op_callback(_state.callback)


def disable_check_numerics():
    """Stops checking ops built from now on (on this thread); idempotent. Checks already
    in the graph stay."""
    if not hasattr(_state, "callback"):
        return
    try:
        op_callbacks.remove_op_callback(_state.callback)
    except KeyError:
        pass
    del _state.callback


__all__ = ["disable_check_numerics", "enable_check_numerics"]
