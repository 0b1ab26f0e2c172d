"""`tf.saved_model.signature_def_utils`: SignatureDef protos (named inputs and outputs of a
meta graph, and the method TensorFlow Serving calls them by), built and checked as TF does."""

from flowexec.framework import errors
from flowexec.framework.tensor import Tensor
from flowexec.graph_io import protos
from flowexec.saved_model import signature_constants as sc
from flowexec.saved_model import utils
from flowexec.saved_model.method_name_updater import MethodNameUpdater

__all__ = ["MethodNameUpdater", "build_signature_def", "classification_signature_def",
           "is_valid_signature", "predict_signature_def", "regression_signature_def"]

_DT_FLOAT, _DT_STRING = 1, 7


def build_signature_def(inputs=None, outputs=None, method_name=None, defaults=None):
    """A SignatureDef of {name: TensorInfo} inputs and outputs, a method name, and defaults
    ({input name: a Const Tensor}).

    Raises:
        ValueError: a default is not a Const tensor.

    Example:
        >>> sig = tf.saved_model.build_signature_def(
        ...     {"x": tf.saved_model.build_tensor_info(x)},
        ...     {"y": tf.saved_model.build_tensor_info(y)}, "tensorflow/serving/predict")
    """
    sig = protos.proto_class("SignatureDef")()
    for name, info in (inputs or {}).items():
        sig.inputs[name].CopyFrom(info)
    for name, info in (outputs or {}).items():
        sig.outputs[name].CopyFrom(info)
    if method_name is not None:
        sig.method_name = method_name
    for name, default in (defaults or {}).items():
        if isinstance(default, Tensor) and default.op.type == "Const":
            from flowexec.graph_io.tensor_proto import make_tensor_proto

            sig.defaults[name].CopyFrom(make_tensor_proto(default.op.attrs["value"]))
        else:
            raise ValueError(f"Unable to convert object {default} of type {type(default)} to "
                             "TensorProto.")
    return sig


def regression_signature_def(examples, predictions):
    """A regress signature: a string `examples` Tensor in, float `predictions` out.

    Raises:
        ValueError: a missing argument or a wrong dtype (TF's messages).
    """
    if examples is None:
        raise ValueError("Regression `examples` cannot be None.")
    if not isinstance(examples, Tensor):
        raise ValueError("Expected regression `examples` to be of type Tensor. Found "
                         f"`examples` of type {type(examples)}.")
    if predictions is None:
        raise ValueError("Regression `predictions` cannot be None.")
    inp = utils.build_tensor_info(examples)
    if inp.dtype != _DT_STRING:
        raise ValueError("Regression input tensors must be of type string. Found tensors with "
                         f"type {inp.dtype}.")
    out = utils.build_tensor_info(predictions)
    if out.dtype != _DT_FLOAT:
        raise ValueError("Regression output tensors must be of type float. Found tensors with "
                         f"type {out.dtype}.")
    return build_signature_def({sc.REGRESS_INPUTS: inp}, {sc.REGRESS_OUTPUTS: out},
                               sc.REGRESS_METHOD_NAME)


def classification_signature_def(examples, classes, scores):
    """A classify signature: string `examples` in; string `classes` and/or float `scores` out.

    Raises:
        ValueError: a missing argument or a wrong dtype (TF's messages).
    """
    if examples is None:
        raise ValueError("Classification `examples` cannot be None.")
    if not isinstance(examples, Tensor):
        raise ValueError("Classification `examples` must be a string Tensor. Found `examples` "
                         f"of type {type(examples)}.")
    if classes is None and scores is None:
        raise ValueError("Classification `classes` and `scores` cannot both be None.")
    inp = utils.build_tensor_info(examples)
    if inp.dtype != _DT_STRING:
        raise ValueError("Classification input tensors must be of type string. Found tensors "
                         f"of type {inp.dtype}")
    outputs = {}
    if classes is not None:
        info = utils.build_tensor_info(classes)
        if info.dtype != _DT_STRING:
            raise ValueError("Classification classes must be of type string Tensor. Found "
                             f"tensors of type {info.dtype}.`")
        outputs[sc.CLASSIFY_OUTPUT_CLASSES] = info
    if scores is not None:
        info = utils.build_tensor_info(scores)
        if info.dtype != _DT_FLOAT:
            raise ValueError("Classification scores must be a float Tensor.")
        outputs[sc.CLASSIFY_OUTPUT_SCORES] = info
    return build_signature_def({sc.CLASSIFY_INPUTS: inp}, outputs, sc.CLASSIFY_METHOD_NAME)


def predict_signature_def(inputs, outputs):
    """A predict signature of {name: Tensor} inputs and outputs (any dtypes).

    Raises:
        ValueError: `inputs` or `outputs` is None or empty.

    Example:
        >>> sig = tf.saved_model.predict_signature_def({"x": x}, {"y": y})
    """
    if not inputs:
        raise ValueError("Prediction `inputs` cannot be None or empty.")
    if not outputs:
        raise ValueError("Prediction `outputs` cannot be None or empty.")
    return build_signature_def({k: utils.build_tensor_info(t) for k, t in inputs.items()},
                               {k: utils.build_tensor_info(t) for k, t in outputs.items()},
                               sc.PREDICT_METHOD_NAME)


def is_valid_signature(signature_def):
    """Whether TensorFlow Serving can serve `signature_def` (a well-formed classify, regress
    or predict signature)."""
    if signature_def is None:
        return False
    return (_valid_classification(signature_def) or _valid_regression(signature_def)
            or _valid_predict(signature_def))


def _valid_predict(sig):
    return (sig.method_name == sc.PREDICT_METHOD_NAME and bool(sig.inputs)
            and bool(sig.outputs))


def _valid_regression(sig):
    return (sig.method_name == sc.REGRESS_METHOD_NAME
            and set(sig.inputs) == {sc.REGRESS_INPUTS}
            and sig.inputs[sc.REGRESS_INPUTS].dtype == _DT_STRING
            and set(sig.outputs) == {sc.REGRESS_OUTPUTS}
            and sig.outputs[sc.REGRESS_OUTPUTS].dtype == _DT_FLOAT)


def _valid_classification(sig):
    if sig.method_name != sc.CLASSIFY_METHOD_NAME:
        return False
    if set(sig.inputs) != {sc.CLASSIFY_INPUTS} or \
            sig.inputs[sc.CLASSIFY_INPUTS].dtype != _DT_STRING:
        return False
    allowed = {sc.CLASSIFY_OUTPUT_CLASSES, sc.CLASSIFY_OUTPUT_SCORES}
    if not sig.outputs or set(sig.outputs) - allowed:
        return False
    classes = sig.outputs.get(sc.CLASSIFY_OUTPUT_CLASSES)
    scores = sig.outputs.get(sc.CLASSIFY_OUTPUT_SCORES)
    return ((classes is None or classes.dtype == _DT_STRING)
            and (scores is None or scores.dtype == _DT_FLOAT))


def op_signature_def(op, key):
    """A SignatureDef whose one output `key` names `op` (TF's init/train op records)."""
    return build_signature_def(outputs={key: utils.build_tensor_info_from_op(op)})


def load_op_from_signature_def(signature_def, key, import_scope=None):
    """The graph element that output `key` of `signature_def` names.

    Raises:
        NotFoundError: it is not in the graph (TF's message).
    """
    try:
        return utils.get_element_from_tensor_info(signature_def.outputs[key],
                                                  import_scope=import_scope)
    except KeyError:
        raise errors.NotFoundError(
            None, None, f'The key "{key}" could not be found in the graph. Please make sure '
            "the SavedModel was created by the internal _SavedModelBuilder. If you are using "
            "the public API, please make sure the SignatureDef in the SavedModel does not "
            f'contain the key "{key}".') from None
