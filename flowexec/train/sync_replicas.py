"""`tf.train.SyncReplicasOptimizer`: synchronous data-parallel training over replicas.

Each replica (worker) computes gradients on its batch and applies them to one
ConditionalAccumulator per variable, on the variable's device (the ps). The chief's queue
runner waits until `replicas_to_aggregate` gradients of the current step are in every
accumulator, applies their mean with the wrapped optimizer (incrementing `global_step`),
and puts one token per replica (the new global step) into the token queue on the global
step's device. A replica's train op ends by taking a token, which becomes its local step:
so a replica cannot run ahead, and a gradient computed for an older step (`local_step` <
the accumulator's global step) is dropped as stale.

    opt = tf.train.SyncReplicasOptimizer(tf.train.GradientDescentOptimizer(0.1),
                                         replicas_to_aggregate=2, total_num_replicas=2)
    train_op = opt.minimize(loss, global_step=global_step)
    hook = opt.make_session_run_hook(is_chief)
    with tf.train.MonitoredTrainingSession(master=server.target, is_chief=is_chief,
                                           hooks=[hook]) as sess: ...

Token semantics as TF's: the chief's hook puts `num_tokens` tokens (default
`replicas_to_aggregate`) into the queue at session creation, so the first step can start;
each update puts `max(total_num_replicas, replicas_to_aggregate)` more.
"""

from flowexec.framework import dtypes
from flowexec.framework.graph import GraphKeys
from flowexec.ops import array_ops, constant_op, data_flow_ops, state_ops
from flowexec.ops.accumulator_ops import ConditionalAccumulator
from flowexec.train import queue_runner
from flowexec.train.optimizer import Optimizer
from flowexec.train.session_run_hook import SessionRunHook


class SyncReplicasOptimizer(Optimizer):
    """Wraps an optimizer to aggregate the gradients of several replicas synchronously.

    Args:
        opt: the optimizer that applies the aggregated gradients.
        replicas_to_aggregate: gradients averaged per variable update.
        total_num_replicas: replicas running (default `replicas_to_aggregate`); more than
            `replicas_to_aggregate` gives backup workers, fewer lets a replica contribute
            several gradients per step.
        variable_averages, variables_to_average: an ExponentialMovingAverage applied by
            the chief after each update, and the variables it averages.
        use_locking: passed to the base Optimizer.
        name: the optimizer's name.
    """

    def __init__(self, opt, replicas_to_aggregate, total_num_replicas=None,
                 variable_averages=None, variables_to_average=None, use_locking=False,
                 name="sync_replicas"):
        if total_num_replicas is None:
            total_num_replicas = replicas_to_aggregate
        super().__init__(use_locking, name)
        self._opt = opt
        self._replicas_to_aggregate = replicas_to_aggregate
        self._total_num_replicas = total_num_replicas
        self._tokens_per_step = max(total_num_replicas, replicas_to_aggregate)
        self._variable_averages = variable_averages
        self._variables_to_average = variables_to_average
        self._gradients_applied = False
        self._global_step = None
        self._sync_token_queue = None
        self._chief_queue_runner = None
        self._accumulator_list = []

    def compute_gradients(self, *args, **kwargs):
        """The wrapped optimizer's `compute_gradients`."""
        return self._opt.compute_gradients(*args, **kwargs)

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        """The replica's train op: apply its gradients to the accumulators, then wait for
        a token (see the module docstring).

        Raises:
            ValueError: no gradients, or no `global_step` (needed to detect staleness).
        """
        grads_and_vars = list(grads_and_vars)
        if not grads_and_vars:
            raise ValueError("Must supply at least one variable")
        if global_step is None:
            raise ValueError("Global step is required to check staleness")
        from flowexec import variables as variables_mod

        self._global_step = global_step
        graph = global_step.graph
        train_ops, aggregated, var_list = [], [], []
        with graph.as_default():
            # The anchor gets this replica's device (the worker's, under a
            # replica_device_setter), and the local step with it: one per replica, never
            # on the ps, where the replicas' variables of one name would be one.
            with graph.control_dependencies(None):
                local_anchor = constant_op.no_op(name="local_anchor")
            with graph.control_dependencies(None), graph.colocate_with(local_anchor):
                self._local_step = variables_mod.Variable(
                    0, trainable=False, collections=[GraphKeys.LOCAL_VARIABLES],
                    dtype=global_step.dtype.base_dtype, name="sync_rep_local_step")
            self.local_step_init_op = state_ops.assign(self._local_step, global_step)
            chief_init_ops = [self.local_step_init_op]
            self.ready_for_local_init_op = variables_mod.report_uninitialized_variables(
                variables_mod.global_variables())
            with graph.name_scope(name or self._name):
                for grad, var in grads_and_vars:
                    var_list.append(var)
                    with graph.device(var.device):
                        if grad is None:
                            aggregated.append(None)
                            continue
                        acc = ConditionalAccumulator(
                            grad.dtype, shape=var.shape, shared_name=var.name + "/grad_accum")
                        train_ops.append(acc.apply_grad(grad, local_step=self._local_step))
                        aggregated.append(acc.take_grad(self._replicas_to_aggregate))
                        self._accumulator_list.append((acc, var.device))
                aggregated_grads_and_vars = list(zip(aggregated, var_list))
                with graph.device(global_step.device), graph.name_scope(""):
                    update_op = self._opt.apply_gradients(aggregated_grads_and_vars,
                                                          global_step)
                    self._sync_token_queue = data_flow_ops.FIFOQueue(
                        -1, global_step.dtype.base_dtype, shapes=(), name="sync_token_q",
                        shared_name="sync_token_q")
                    dummy_queue = data_flow_ops.FIFOQueue(
                        1, dtypes.int32, shapes=(), name="dummy_queue",
                        shared_name="dummy_queue")
                with graph.device(global_step.device), graph.name_scope(""):
                    with graph.control_dependencies(train_ops):
                        token = self._sync_token_queue.dequeue()
                    train_op = state_ops.assign(self._local_step, token)
                    with graph.control_dependencies([update_op]):
                        tokens = array_ops.fill([self._tokens_per_step],
                                                global_step)
                        sync_op = self._sync_token_queue.enqueue_many((tokens,))
                    if self._variable_averages is not None:
                        with graph.control_dependencies([sync_op]):
                            sync_op = self._variable_averages.apply(
                                self._variables_to_average)
                    self._chief_queue_runner = queue_runner.QueueRunner(dummy_queue,
                                                                        [sync_op])
            for acc, device in self._accumulator_list:
                with graph.device(device):
                    chief_init_ops.append(acc.set_global_step(global_step,
                                                              name="SetGlobalStep"))
            self.chief_init_op = constant_op.group(*chief_init_ops)
        self._gradients_applied = True
        return train_op

    def get_chief_queue_runner(self):
        """The QueueRunner the chief runs (it applies the aggregated updates).

        Raises:
            ValueError: before `apply_gradients`.
        """
        if not self._gradients_applied:
            raise ValueError("Should be called after apply_gradients().")
        return self._chief_queue_runner

    def _apply_dense(self, grad, var):
        # Only reached through the wrapped optimizer's own update path.
        return self._opt._apply_dense(grad, var)

    def get_slot(self, *args, **kwargs):
        return self._opt.get_slot(*args, **kwargs)

    def get_slot_names(self, *args, **kwargs):
        return self._opt.get_slot_names(*args, **kwargs)

    def variables(self):
        return self._opt.variables()

    def get_init_tokens_op(self, num_tokens=-1):
        """An op putting `num_tokens` tokens (default `replicas_to_aggregate`) into the
        token queue, so the first step can start.

        Raises:
            ValueError: before `apply_gradients`, or fewer tokens than the first step
                needs (`replicas_to_aggregate - total_num_replicas`).
        """
        if not self._gradients_applied:
            raise ValueError("get_init_tokens_op() should be called after apply_gradients().")
        tokens_needed = self._replicas_to_aggregate - self._total_num_replicas
        if num_tokens == -1:
            num_tokens = self._replicas_to_aggregate
        elif num_tokens < tokens_needed:
            raise ValueError(f"Too few tokens to finish the first step: {num_tokens} (given) "
                             f"vs {tokens_needed} (needed)")
        graph = self._global_step.graph
        with graph.as_default(), graph.device(self._global_step.device):
            if num_tokens > 0:
                tokens = array_ops.fill([num_tokens], self._global_step)
                return self._sync_token_queue.enqueue_many((tokens,))
            return constant_op.no_op(name="no_init_tokens")

    def make_session_run_hook(self, is_chief, num_tokens=-1):
        """The hook that initializes a replica's session (and, on the chief, starts the
        queue runner and puts the initial tokens)."""
        return _SyncReplicasOptimizerHook(self, is_chief, num_tokens)


class _SyncReplicasOptimizerHook(SessionRunHook):
    def __init__(self, sync_optimizer, is_chief, num_tokens):
        self._sync_optimizer = sync_optimizer
        self._is_chief = is_chief
        self._num_tokens = num_tokens

    def begin(self):
        opt = self._sync_optimizer
        if not opt._gradients_applied:
            raise ValueError("SyncReplicasOptimizer.apply_gradient should be called before "
                             "using the hook.")
        self._ready_for_local_init_op = opt.ready_for_local_init_op
        if self._is_chief:
            self._local_init_op = opt.chief_init_op
            self._q_runner = opt.get_chief_queue_runner()
            self._init_tokens_op = opt.get_init_tokens_op(self._num_tokens)
        else:
            self._local_init_op = opt.local_step_init_op
            self._q_runner = None
            self._init_tokens_op = None

    def after_create_session(self, session, coord):
        from flowexec.train.session_manager import SessionManager

        ok, msg = SessionManager._ready(self._ready_for_local_init_op, session,
                                        "Model is not ready for SyncReplicasOptimizer local "
                                        "init.")
        if not ok:
            raise RuntimeError(f"Init operations did not make model ready for "
                               f"SyncReplicasOptimizer local_init. Init op: "
                               f"{self._local_init_op.name}, error: {msg}")
        session.run(self._local_init_op)
        if self._init_tokens_op is not None:
            session.run(self._init_tokens_op)
        if self._q_runner is not None:
            self._q_runner.create_threads(session, coord=coord, daemon=True, start=True)


__all__ = ["SyncReplicasOptimizer"]
