"""Running function graphs (`flowexec.framework.function.FuncGraph`) inside a session.

A FuncGraph runs through a *function session*: a shallow copy of the calling session that
shares its devices, runtimes, configuration and state dict (variables, random generators,
iterators), with the FuncGraph as its graph and a plan cache of its own. Its plans are
therefore the ordinary pipeline's plans (pipeline.py: prune ... bind, straight-line code),
built once on the first call and cached; every later call only executes. Because the state dict
is shared, a mirrored variable inside the function reads (and updates) the session's
current value.

A caller may also fetch tensors of the function besides its outputs (`extra`: a control-flow
op whose gradient needs the intermediates of its branch or body, ops/control_flow_grad.py):
that is a FunctionCall of its own, with its own plans.

State: one `FunctionCall` per (session, FuncGraph, extra fetches), kept in the session state
under `("function", func_graph, extra)`; created race-free with `dict.setdefault`. Calls are
thread-safe (Session.run is): parallel `map` calls one FunctionCall from many threads.
"""

import copy
import threading

from flowexec.framework import errors
from flowexec.runtime.feed import UNTAKEN
from flowexec.runtime.fetch import to_numpy


def _function_session(session, func_graph):
    child = copy.copy(session)
    child._function_root = getattr(session, "_function_root", session)
    child._graph = func_graph
    child._cache = {}
    child._cache_lock = threading.Lock()
    child._context_manager = None
    return child


class FunctionCall:
    """A FuncGraph bound to one session: `call(args, captured)` -> list of output values.

    Args to `call`: the flat argument values (one per argument placeholder) and the values
    of the captured outer tensors (in `func_graph.captures` order). The values returned are
    the outputs', then those of the `extra` tensors (names of tensors of the FuncGraph).
    """

    def __init__(self, session, func_graph, extra=()):
        self.func_graph = func_graph
        self._fetches = list(func_graph.outputs) + [
            func_graph.get_tensor_by_name(name) for name in extra]
        self._session = _function_session(session, func_graph)
        self._root = self._session._function_root
        self._run = self._session.make_callable(self._fetches, list(func_graph.inputs))
        self._nargs = len(func_graph.inputs) - len(func_graph.captures)

    def call(self, args, captured=()):
        if self._root._closed:
            raise errors.CancelledError(None, None, "Session has been closed.")
        if len(args) != self._nargs:
            raise errors.InvalidArgumentError(
                None, None, f"Function '{self.func_graph.name}' expects {self._nargs} "
                            f"arguments, got {len(args)}")
        if any(v is None for v in captured):   # an If's intermediates of an untaken branch
            captured = [UNTAKEN if v is None else v for v in captured]
        return self._run(*args, *captured)

    def trusted_call(self):
        """A faster `call(args, captured)` for values the caller vouches for.

        The values must already have the argument placeholders' dtypes and shapes (a loop
        feeding a body its own outputs, whose static shapes the loop checked against the
        invariants); they are not converted or checked. The caller runs it inside a step
        (errors as numpy's are silenced there). Falls back to `call` where the function's
        plan is not straight-line code.
        """
        session = self._session
        feeds = dict.fromkeys(self.func_graph.inputs)
        entry = session._lookup(self._fetches, feeds)[0]
        straight = entry.straight
        if straight is None or session._no_straight:
            return self.call
        slots = [spec.slot for spec in entry.feed_specs]
        nslots, fn, plan, root = entry.plan.nslots, straight.fn, entry.plan, self._root
        # The plan computes each distinct fetch once (first-seen order); a tensor fetched
        # twice (a body returning one tensor twice, an output also fetched as an extra)
        # is given back at each of its places.
        distinct = list(dict.fromkeys(self._fetches))
        where = None if len(distinct) == len(self._fetches) else \
            [distinct.index(t) for t in self._fetches]

        def run(args, captured=()):
            vals = [None] * nslots
            for slot, value in zip(slots, (*args, *captured)):
                vals[slot] = value
            try:
                results = fn(vals)
            except Exception as e:
                raise session._straight_error(straight, plan, e) from None
            if root._closed:
                raise errors.CancelledError(None, None, "Session has been closed.")
            if where is not None:
                results = [results[i] for i in where]
            return [to_numpy(v) for v in results]
        return run


def _plan_of(fc):
    """The cache entry of `fc`'s plan (outputs and extras from all inputs), looked up as
    `call` does."""
    return fc._session._lookup(fc._fetches, dict.fromkeys(fc.func_graph.inputs))[0]


def fused_while(ctx, cond_fc, body_fc, host_bool, accumulate=None):
    """A faster rest of a while loop: `loop(values, cond_captured, body_captured)` runs
    `while cond(*values): values = body(*values)` as one generated Python `while` with both
    plans inlined (`codegen.FusedWhile`), and returns the last values; None where a plan is
    not straight-line code (the caller then loops over `trusted_call`s).

    `values` must be what `trusted_call` accepts (the body's outputs after a first checked
    iteration). Every `codegen.CHECK_EVERY` iterations and at the end, the loop gives up with
    CancelledError when the session was closed or the step running it was cancelled (another
    op failed, its deadline passed). A kernel error is the OpError naming its op. Compiled
    once per (session, condition, body, accumulate) and cached in the session state.

    With `accumulate` (a tuple of `("var", k)`: loop variable k as an iteration starts, and
    `("fetch", j)`: the body's value of `body_fc`'s fetch j, an extra), `loop` takes a 4th
    argument, one `append` per entry called once per iteration, and returns
    `(values, iterations)`. Values are appended as the kernels made them (on the host; off
    it, brought to the host as `trusted_call` does).
    """
    from flowexec.runtime.codegen import FusedWhile
    from flowexec.runtime.execute import op_error

    cond_s, body_s = cond_fc._session, body_fc._session
    if cond_s._no_straight or body_s._no_straight:
        return None
    cond_entry, body_entry = _plan_of(cond_fc), _plan_of(body_fc)
    key = ("while", cond_fc.func_graph, body_fc.func_graph, tuple(body_fc._fetches),
           accumulate)
    cached = cond_s._state.get(key)
    if cached is not None and cached[0] is cond_entry and cached[1] is body_entry:
        return cached[2]
    if cond_entry.straight is None or body_entry.straight is None:
        loop = None
    else:
        loop = _fused_loop(ctx, cond_fc, cond_entry, body_fc, body_entry, host_bool,
                           FusedWhile, op_error, accumulate)
    cond_s._state[key] = (cond_entry, body_entry, loop)
    return loop


def _fused_loop(ctx, cond_fc, cond_entry, body_fc, body_entry, host_bool, FusedWhile,
                op_error, accumulate):
    fetches = body_fc._fetches
    distinct = list(dict.fromkeys(fetches))  # the plan computes a repeated fetch once
    body_plan = body_entry.plan
    slot_of = [body_plan.fetch_slots[distinct.index(t)] for t in fetches]
    out_slots = slot_of[:len(body_fc.func_graph.outputs)]
    if accumulate is not None:  # as FusedWhile takes it: fetches by their slots
        accumulate = [("var", k) if kind == "var" else ("slot", slot_of[k])
                      for kind, k in accumulate]
    program = FusedWhile(cond_entry.plan, [spec.slot for spec in cond_entry.feed_specs],
                         body_plan, [spec.slot for spec in body_entry.feed_specs], out_slots,
                         host_bool, accumulate)
    fn, root = program.fn, cond_fc._root

    def loop(values, cond_captured, body_captured, *appends):
        def check():
            if root._closed:
                raise errors.CancelledError(None, None, "Session has been closed.")
            if ctx.step_cancelled():
                raise errors.CancelledError(
                    None, None, f"While loop '{ctx.op.name}' was cancelled")
        try:
            result = fn(values, cond_captured, body_captured, check, *appends)
        except Exception as e:
            if root._closed:
                raise errors.CancelledError(None, None, "Session has been closed.") from e
            plan, i = program.locate(e.__traceback__)
            if plan is None:
                raise
            raise op_error(plan.steps[i], e) from None
        check()
        return result
    loop.program = program  # its source, for tests and debugging
    return loop


def instantiate(session, func_graph, extra=()):
    """The session's FunctionCall for `func_graph` (created on first use), returning the
    values of the tensors named in `extra` after the outputs."""
    key = ("function", func_graph, tuple(extra))
    fc = session._state.get(key)
    if fc is None:
        fc = session._state.setdefault(key, FunctionCall(session, func_graph, extra))
    return fc
