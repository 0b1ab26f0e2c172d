"""`tf.saved_model` (TF 1.x): SavedModels written and loaded in graph mode, in TF's format.

Modules, by responsibility (TF's names):
    builder              SavedModelBuilder (`tf.saved_model.Builder`)
    loader               load, maybe_saved_model_directory
    simple_save          simple_save
    signature_def_utils  build/predict/classification/regression signatures, is_valid_signature,
                         MethodNameUpdater
    utils                build_tensor_info, get_tensor_from_tensor_info
    main_op              main_op, main_op_with_restore
    constants, tag_constants, signature_constants
    saved_model_file     parsing and writing saved_model.pb / .pbtxt

TF 2's object-based `tf.saved_model.save`, `load_v2`, `Asset`, `SaveOptions` and
`experimental` need eager execution and tf.function tracing; they are not here.

Example:
    >>> tf.saved_model.simple_save(sess, "/tmp/model/1", {"x": x}, {"y": y})
    >>> with tf.Session(graph=tf.Graph()) as sess:
    ...     meta = tf.saved_model.load(sess, [tf.saved_model.SERVING], "/tmp/model/1")
"""

from flowexec.saved_model import (  # noqa: F401
    builder,
    constants,
    loader,
    main_op,
    signature_constants,
    signature_def_utils,
    tag_constants,
    utils,
)
from flowexec.saved_model.builder import SavedModelBuilder as Builder  # noqa: F401
from flowexec.saved_model.constants import (  # noqa: F401
    ASSETS_DIRECTORY,
    ASSETS_KEY,
    DEBUG_DIRECTORY,
    DEBUG_INFO_FILENAME_PB,
    LEGACY_INIT_OP_KEY,
    MAIN_OP_KEY,
    SAVED_MODEL_FILENAME_PB,
    SAVED_MODEL_FILENAME_PBTXT,
    SAVED_MODEL_SCHEMA_VERSION,
    VARIABLES_DIRECTORY,
    VARIABLES_FILENAME,
)
from flowexec.saved_model.loader import (  # noqa: F401
    contains_saved_model,
    load,
    maybe_saved_model_directory,
)
from flowexec.saved_model.main_op import main_op_with_restore  # noqa: F401
from flowexec.saved_model.signature_constants import *  # noqa: F401,F403
from flowexec.saved_model.signature_def_utils import (  # noqa: F401
    build_signature_def,
    classification_signature_def,
    is_valid_signature,
    predict_signature_def,
    regression_signature_def,
)
from flowexec.saved_model.simple_save import simple_save  # noqa: F401
from flowexec.saved_model.tag_constants import GPU, SERVING, TPU, TRAINING  # noqa: F401
from flowexec.saved_model.utils import (  # noqa: F401
    build_tensor_info,
    get_tensor_from_tensor_info,
)
