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
  so the link sends the array (in C order) once the work that made it is done, and
  `_Recv` copies the received array onto its lane (one device copy), keeping the link's
  buffer alive until that copy ran.

Their kernels reach the task through `ctx.state[CHANNEL]`, an object with
`send(step_id, key, recv_task, value, ready=None, group="")` and
`recv(step_id, key, cancelled, group="")` (`group`: the device link's)
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


def _lane(runtime):
    """The lane of an asynchronous runtime whose thread is calling (None on a host)."""
    lane_of = getattr(runtime, "current_lane", None)
    if lane_of is None or not getattr(runtime, "asynchronous", False):
        return None
    return lane_of()


def _ready_event(lane):
    """An event at the current point of the calling lane: after the work launched so far
    (the kernels that made the value), not behind what is queued on the lane since."""
    if lane is None:
        return None
    event = lane.new_event()
    lane.record(event)   # from the lane's own work: recorded right behind it
    return event


@defop("_Send", infer=lambda op: [], stateful=True, needs_ctx=True,
       device_types=("CPU", "GPU"), host_inputs=(1,))
def _send(ctx, xp, tensor, step_id, *, key, recv_task, transport="", group=""):
    if transport == COLLECTIVE:
        # a link sends the bytes from the array's first address: C order, on this lane
        tensor = xp.ascontiguousarray(tensor)
        _channel(ctx).send(int(step_id), key, recv_task, tensor,
                           ready=_ready_event(_lane(ctx.runtime)), group=group)
    else:
        _channel(ctx).send(int(step_id), key, recv_task, tensor)
    return ()


_send.not_differentiable()


def _recv_infer(op):
    return [(op.attrs["tensor_type"], op.attrs.get("shape") or TensorShape(None))]


@defop("_Recv", infer=_recv_infer, stateful=True, needs_ctx=True,
       device_types=("CPU", "GPU"), host_inputs=(0,))
def _recv(ctx, xp, step_id, *, key, transport="", group=""):
    value = _channel(ctx).recv(int(step_id), key, ctx.step_cancelled, group=group)
    lane = _lane(ctx.runtime) if transport == COLLECTIVE else None
    if lane is None:
        return value
    # The link received into memory of its own stream's pool: copy it on this lane (the
    # copy's buffer then lives as any output of the lane) and keep the link's buffer
    # until the copy ran, so the link's next receive cannot reuse it under the copy.
    out = xp.array(value, copy=True)
    ctx.runtime.keep_alive(value, lane)
    return out


_recv.not_differentiable()
