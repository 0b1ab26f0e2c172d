"""_Send and _Recv: the two ends of a tensor that crosses tasks within one step.

Users never create these: the distributed partition stage (`flowexec.distributed.split`)
puts a `_Send` on the producing task and a `_Recv` on the consuming task for every tensor
(and every control edge) that crosses tasks, with TF's attributes (`tensor_name`,
`send_device`, `send_device_incarnation`, `recv_device`, `client_terminated`). Both read
the step id, fed to every task part, in host memory wherever they run (TF's HostMemory),
so the rendezvous key is looked up in the right step.

Two transports (attr `transport`):

* "" (the default): both ends run on their task's host; a value on a GPU is copied to host
  memory before `_Send` and back after `_Recv` by the ordinary transfers of the task's own
  partition stage, as TF 1.x's gRPC runtime does.
* "collective": both ends run on GPUs of tasks joined by a device link
  (`flowexec.distributed.collective`): the array goes from GPU to GPU, never through host
  memory. On a GPU the kernel runs on its stream's lane; `_Send` records an event there,
  so the link sends the array once the work that made it is done.

Their kernels reach the task through `ctx.state[CHANNEL]`, an object with
`send(step_id, key, recv_task, value, ready=None, group="")` (`group`: the link's) and
`recv(step_id, key, cancelled)`
that the task server puts into its state (`flowexec.distributed.task.TaskChannel`); this
module knows nothing else of tasks.
"""

from flowexec.framework import errors
from flowexec.framework.registry import defop
from flowexec.framework.tensor_shape import TensorShape

CHANNEL = ("distributed", "channel")   # the state entry of a task's TaskChannel
COLLECTIVE = "collective"              # attr `transport` of a GPU-to-GPU pair


def _channel(ctx):
    channel = ctx.state.get(CHANNEL)
    if channel is None:
        raise errors.InternalError(None, ctx.op, "A _Send/_Recv ran outside a task server")
    return channel


def _ready_event(runtime):
    """An event recorded on the calling lane of an asynchronous runtime (None on a host)."""
    lane_of = getattr(runtime, "current_lane", None)
    lane = lane_of() if lane_of is not None and getattr(runtime, "asynchronous", False) \
        else None
    return None if lane is None else lane.record_event()


@defop("_Send", infer=lambda op: [], stateful=True, needs_ctx=True,
       device_types=("CPU", "GPU"), host_inputs=(1,))
def _send(ctx, xp, tensor, step_id, *, key, recv_task, transport="", group=""):
    if transport == COLLECTIVE:
        _channel(ctx).send(int(step_id), key, recv_task, tensor,
                           ready=_ready_event(ctx.runtime), group=group)
    else:
        _channel(ctx).send(int(step_id), key, recv_task, tensor)
    return ()


_send.not_differentiable()


def _recv_infer(op):
    return [(op.attrs["tensor_type"], op.attrs.get("shape") or TensorShape(None))]


@defop("_Recv", infer=_recv_infer, stateful=True, needs_ctx=True,
       device_types=("CPU", "GPU"), host_inputs=(0,))
def _recv(ctx, xp, step_id, *, key):
    return _channel(ctx).recv(int(step_id), key, ctx.step_cancelled)


_recv.not_differentiable()
