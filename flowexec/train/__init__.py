"""`tf.train`: optimizers, the global step, checkpoints (Saver), and data-parallel towers
(`replicate_model`, `average_gradients`, `data_parallel_minimize`)."""

from flowexec.graph_io.checkpoint_reader import (
    NewCheckpointReader,
    init_from_checkpoint,
    list_variables,
    load_checkpoint,
)
from flowexec.distributed import ClusterDef, ClusterSpec, JobDef, Server, ServerDef
from flowexec.graph_io.export import write_graph
from flowexec.graph_io.meta_graph import export_meta_graph, import_meta_graph
from flowexec.train.adadelta import AdadeltaOptimizer
from flowexec.train.adagrad import AdagradOptimizer
from flowexec.train.adagrad_da import AdagradDAOptimizer
from flowexec.train.adam import AdamOptimizer
from flowexec.train.checkpoint_management import (
    CheckpointState,
    checkpoint_exists,
    get_checkpoint_mtimes,
    get_checkpoint_state,
    latest_checkpoint,
    meta_graph_filename,
    remove_checkpoint,
    update_checkpoint_state,
)
from flowexec.train.cosine_decay import (
    cosine_decay,
    cosine_decay_restarts,
    linear_cosine_decay,
    noisy_linear_cosine_decay,
)
from flowexec.train.example_proto import (
    BytesList,
    Example,
    Feature,
    FeatureList,
    FeatureLists,
    Features,
    FloatList,
    Int64List,
    SequenceExample,
)
from flowexec.train.ftrl import FtrlOptimizer
from flowexec.train.gradient_descent import GradientDescentOptimizer
from flowexec.train.learning_rate_decay import (
    exponential_decay,
    inverse_time_decay,
    natural_exp_decay,
    piecewise_constant,
    polynomial_decay,
)
from flowexec.train.momentum import MomentumOptimizer
from flowexec.train.moving_averages import ExponentialMovingAverage
from flowexec.train.optimizer import Optimizer
from flowexec.train.proximal import (
    ProximalAdagradOptimizer,
    ProximalGradientDescentOptimizer,
)
from flowexec.train.replicate import (
    average_gradients,
    data_parallel_minimize,
    replicate_model,
)
from flowexec.train.rmsprop import RMSPropOptimizer
from flowexec.train.supervisor import Supervisor, basic_train_loop
from flowexec.train.training_extras import *  # noqa: F401,F403
from flowexec.train.saver import Saver, SaverDef
from flowexec.train.checkpoint import Checkpoint, CheckpointOptions
from flowexec.train.checkpoint_manager import CheckpointManager
from flowexec.train.warm_starting_util import VocabInfo, warm_start
from flowexec.train.basic_session_run_hooks import (
    CheckpointSaverHook,
    CheckpointSaverListener,
    FeedFnHook,
    FinalOpsHook,
    GlobalStepWaiterHook,
    LoggingTensorHook,
    NanLossDuringTrainingError,
    NanTensorHook,
    ProfilerHook,
    SecondOrStepTimer,
    StepCounterHook,
    StopAtStepHook,
    SummarySaverHook,
)
from flowexec.train.coordinator import Coordinator, LooperThread
from flowexec.train.device_setter import replica_device_setter
from flowexec.train.input import (
    batch,
    input_producer,
    limit_epochs,
    range_input_producer,
    shuffle_batch,
    slice_input_producer,
    string_input_producer,
)
from flowexec.train.queue_runner import QueueRunner, add_queue_runner, start_queue_runners
from flowexec.train.monitored_session import (
    ChiefSessionCreator,
    MonitoredSession,
    MonitoredTrainingSession,
    SessionCreator,
    SingularMonitoredSession,
    WorkerSessionCreator,
)
from flowexec.train.scaffold import Scaffold
from flowexec.train.sync_replicas import SyncReplicasOptimizer
from flowexec.train.session_manager import SessionManager
from flowexec.train.session_run_hook import (
    SessionRunArgs,
    SessionRunContext,
    SessionRunHook,
    SessionRunValues,
)
from flowexec.train import experimental  # tf.train.experimental
from flowexec.train.training_util import (
    assert_global_step,
    create_global_step,
    get_global_step,
    get_or_create_global_step,
    global_step,
)

__all__ = [
    "Checkpoint",
    "CheckpointManager",
    "CheckpointOptions",
    "VocabInfo",
    "warm_start",
    "AdagradDAOptimizer",
    "Supervisor",
    "basic_train_loop",
    "NewCheckpointReader",
    "ClusterDef",
    "ClusterSpec",
    "SyncReplicasOptimizer",
    "replica_device_setter",
    "JobDef",
    "Server",
    "ServerDef",
    "export_meta_graph",
    "import_meta_graph",
    "init_from_checkpoint",
    "list_variables",
    "load_checkpoint",
    "AdadeltaOptimizer",
    "CheckpointSaverHook",
    "CheckpointSaverListener",
    "ChiefSessionCreator",
    "Coordinator",
    "QueueRunner",
    "add_queue_runner",
    "batch",
    "input_producer",
    "limit_epochs",
    "range_input_producer",
    "shuffle_batch",
    "slice_input_producer",
    "start_queue_runners",
    "string_input_producer",
    "FeedFnHook",
    "FinalOpsHook",
    "GlobalStepWaiterHook",
    "LoggingTensorHook",
    "LooperThread",
    "MonitoredSession",
    "MonitoredTrainingSession",
    "NanLossDuringTrainingError",
    "NanTensorHook",
    "ProfilerHook",
    "Scaffold",
    "SecondOrStepTimer",
    "SessionCreator",
    "SessionManager",
    "SessionRunArgs",
    "SessionRunContext",
    "SessionRunHook",
    "SessionRunValues",
    "SingularMonitoredSession",
    "StepCounterHook",
    "StopAtStepHook",
    "SummarySaverHook",
    "WorkerSessionCreator",
    "AdagradOptimizer",
    "AdamOptimizer",
    "BytesList",
    "CheckpointState",
    "Example",
    "ExponentialMovingAverage",
    "Feature",
    "FeatureList",
    "FeatureLists",
    "Features",
    "FloatList",
    "FtrlOptimizer",
    "GradientDescentOptimizer",
    "Int64List",
    "MomentumOptimizer",
    "Optimizer",
    "ProximalAdagradOptimizer",
    "ProximalGradientDescentOptimizer",
    "RMSPropOptimizer",
    "Saver",
    "SaverDef",
    "SequenceExample",
    "assert_global_step",
    "average_gradients",
    "checkpoint_exists",
    "cosine_decay",
    "cosine_decay_restarts",
    "create_global_step",
    "data_parallel_minimize",
    "exponential_decay",
    "get_checkpoint_mtimes",
    "get_checkpoint_state",
    "get_global_step",
    "get_or_create_global_step",
    "global_step",
    "inverse_time_decay",
    "latest_checkpoint",
    "linear_cosine_decay",
    "meta_graph_filename",
    "natural_exp_decay",
    "noisy_linear_cosine_decay",
    "piecewise_constant",
    "polynomial_decay",
    "remove_checkpoint",
    "replicate_model",
    "update_checkpoint_state",
    "write_graph",
    "experimental",
]
