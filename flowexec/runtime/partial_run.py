"""Partial runs: `Session.partial_run_setup` and `Session.partial_run` (TF 1.x's PRun).

A partial run declares once every tensor it will feed and every tensor (or op) it will
fetch; then each `partial_run(handle, fetches, feed_dict)` call feeds some of the declared
feeds and fetches some of the declared fetches. As in TF's DirectSession, a partial run is
one dataflow execution spread over the calls: each of its ops runs once, as soon as the
feeds it depends on have been fed (ops that need no feed run at setup). A stateful op that
the fetches of two calls share (an `assign_add`, a random op) therefore runs once, and both
calls see its one value.

    spec = _Spec(graph, feeds D, fetches F, targets T)   frozen; shared by every partial run
        ops P          the ops the declaration needs (pruned with D cut), in order
        consumers      tensor -> the ops of P that read it
        blocked(fed)   the ops of P downstream of a declared feed not in `fed` (cached)
        steps          the plan of each kind of call (cached, see below)
    state = _PartialRun(spec)                            one per handle: the mutable part
        fed, fetched   the declared feeds fed and fetches fetched so far
        values         {tensor: value} what a later call still reads: fed values and outputs
                       of executed ops that an op yet to run reads, or an unfetched fetch
        error          what the setup's step raised; the next call reports it (TF reports
                       the failure of the executors it started at setup there)

A call (`run`):
    1. checks, with TF's messages: the handle is known, each feed is declared and not yet
       fed, each fetch is declared and not yet fetched, each fetch can be computed from the
       feeds fed so far and now (else "Fetch a:0 can't be computed ...", naming the feed).
       A failed check leaves the partial run as it was.
    2. runs one plan (a `_Step`): the ops the new feeds unblock, pruned with `done` (the
       ops that already ran, see prune.py), fed with this call's feeds and the kept values
       they read, fetching this call's fetches and what later calls read. Which ops that
       is depends only on what was fed and fetched before and now, so the plan is built
       once per such signature (`_Spec.steps`) and later partial runs only execute it.
       A failure here ends the partial run (TF aborts its executors).
    3. keeps what later calls read, drops the rest; once every declared feed is fed and
       every declared fetch fetched, the partial run ends and its handle is forgotten.

Reference reads (VariableV2, and Identity chains over it) are not values: they run again in
each call that reads them, so that a reader sees the variable when it runs, as in `run`.

Thread safety: calls on one handle are serialized by its lock; partial runs on different
handles, and `Session.run`, run concurrently.
"""

import itertools
import threading

from flowexec.framework import errors
from flowexec.runtime.feed import FeedSpec, convert_feed, flatten_feed_dict
from flowexec.runtime.fetch import FetchStructure, flatten_key, to_numpy
from flowexec.runtime.prune import topological_order, upstream

MAX_CACHED_SPECS = 256   # per Session
MAX_CACHED_STEPS = 4096  # per declaration
MAX_CACHED_CALLS = 4096  # per Session: resolved fetch structures and feed keys


class PartialRuns:
    """A session's partial runs: live handles, the handle counter, the declarations, and
    the resolved arguments of setups and calls (keyed as `Session.run`'s plan cache: the
    structure's signature and the ids of its leaves, which the entry holds)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._runs = {}
        self._specs = {}
        self._calls = {}
        self._counter = itertools.count()

    def clear(self):
        with self._lock:
            self._runs.clear()
            self._specs.clear()
            self._calls.clear()

    def _cached(self, key, make):
        found = self._calls.get(key)
        if found is None:
            found = make()
            with self._lock:
                self._calls[key] = found
                if len(self._calls) > MAX_CACHED_CALLS:
                    self._calls.pop(next(iter(self._calls)))
        return found

    def _spec(self, graph, feeds, fetches, targets):
        key = (graph._control_version, tuple(feeds), tuple(fetches), tuple(targets))
        with self._lock:
            spec = self._specs.get(key)
            if spec is None:
                spec = self._specs[key] = _Spec(graph, feeds, fetches, targets)
                if len(self._specs) > MAX_CACHED_SPECS:
                    self._specs.pop(next(iter(self._specs)))
            return spec

    def _add(self, state, spec):
        with self._lock:
            handle = f"{spec.handle_prefix};{next(self._counter)}"
            self._runs[handle] = state
        return handle

    def _get(self, handle):
        with self._lock:
            return self._runs.get(handle)

    def _end(self, handle):
        with self._lock:
            self._runs.pop(handle, None)


class _Spec:
    """What a declaration (feeds, fetches, targets) means: see the module docstring."""

    def __init__(self, graph, feeds, fetches, targets):
        self.graph = graph
        self.feeds = tuple(feeds)
        self.fetches = tuple(fetches)
        self.targets = tuple(targets)
        self.feed_set = frozenset(feeds)
        self.fetch_set = frozenset(fetches)
        ops = upstream([t.op for t in fetches] + list(targets), self.feed_set)
        self.order = tuple(topological_order(ops, self.feed_set))
        self.ops = frozenset(ops)
        self.consumers = {}
        for op in self.order:
            for t in op.inputs:
                readers = self.consumers.setdefault(t, [])
                if not readers or readers[-1] is not op:
                    readers.append(op)
        # Reference reads run in every call that reads them, and are never kept.
        rerun = set()
        for op in self.order:
            od = op.op_def
            if od.ref_output or (od.forwards_ref and op.inputs and
                                 op.inputs[0] not in self.feed_set and
                                 op.inputs[0].op in rerun):
                rerun.add(op)
        self.rerun = frozenset(rerun)
        # TF's DirectSession handle form, before ";<counter>"
        self.handle_prefix = (",".join(sorted(t.name for t in self.feeds)) + "->"
                              + ",".join(sorted(t.name for t in self.fetches)) + "/"
                              + ",".join(sorted(op.name for op in self.targets)) + "/1/")
        self.lock = threading.Lock()
        self._blocked = {}
        self._computable = {}
        self.steps = {}

    def blocked(self, fed):
        """The ops of the declaration that cannot run before the feeds outside `fed` are."""
        b = self._blocked.get(fed)
        if b is None:
            pending = self.feed_set - fed
            blocked = set()
            for op in self.order:
                if any(t in pending or (t not in self.feed_set and t.op in blocked)
                       for t in op.inputs) or any(c in blocked for c in op._control_inputs):
                    blocked.add(op)
            b = self._blocked[fed] = frozenset(blocked)
        return b

    def done(self, fed):
        """The ops that have run once the feeds in `fed` have been fed (None: before setup)."""
        if fed is None:
            return frozenset()
        return self.ops - self.blocked(fed) - self.rerun

    def check_fetch(self, fetch, fed):
        """TF's CheckFetch: InvalidArgumentError naming the first unfed declared feed that
        `fetch` needs."""
        key = (fetch, fed)
        missing = self._computable.get(key, False)
        if missing is False:
            missing = self._computable[key] = self._missing_feed(fetch, fed)
        if missing is not None:
            raise errors.InvalidArgumentError(
                None, None, f"Fetch {missing.name} can't be computed from the feeds that "
                "have been fed so far.")

    def _missing_feed(self, fetch, fed):
        pending = self.feed_set - fed
        stack = [fetch.op]
        seen = {fetch.op}
        while stack:
            op = stack.pop()
            for t in op.inputs:
                if t in pending:
                    return t
                if t not in self.feed_set and t.op not in seen:
                    seen.add(t.op)
                    stack.append(t.op)
            for c in op._control_inputs:
                if c not in seen:
                    seen.add(c)
                    stack.append(c)
        return None

    def step(self, session, fed_before, fed_now, fetched_before, fetch_now):
        """The `_Step` of one call, built on the first call of its kind."""
        key = (fed_before, fed_now, fetched_before, fetch_now)
        step = self.steps.get(key)
        if step is None:
            with self.lock:
                step = self.steps.get(key)
                if step is None:
                    step = _Step(self, session, fed_before, fed_now, fetched_before, fetch_now)
                    self.steps[key] = step
                    if len(self.steps) > MAX_CACHED_STEPS:
                        old = self.steps.pop(next(iter(self.steps)))
                        old.release(session)
        return step


class _Step:
    """One call's plan and what to keep from it.

    Attributes:
        plan_feeds: the tensors the plan reads (this call's feeds, kept values).
        plan_fetches: the tensors it fetches (this call's fetches that are not kept values,
            outputs later calls read); then its targets (sink ops that must run).
        keep: the plan's fetched tensors to keep; keep_fed: this call's feeds to keep.
        blocked_after, pending_after: the ops still to run and the fetches still to fetch
            after the call (what decides which values stay).
    """

    def __init__(self, spec, session, fed_before, fed_now, fetched_before, fetch_now):
        fed_after = (fed_before or frozenset()) | fed_now
        fetched_after = fetched_before | frozenset(fetch_now)
        done = spec.done(fed_before)
        self.blocked_after = blocked = spec.blocked(fed_after)
        self.pending_after = spec.fetch_set - fetched_after
        new = [op for op in spec.order
               if op not in done and op not in blocked and op not in spec.rerun]
        new_set = set(new)
        self.keep = [t for op in new for t in op.outputs if self.needed_later(spec, t)]
        self.keep_fed = [t for t in fed_now if self.needed_later(spec, t)]
        plan_feeds = {}
        used = set()
        for op in new:
            for t in op.inputs:
                if t in fed_after or t.op in done:
                    plan_feeds[t] = None
                elif t.op in new_set:
                    used.add(t.op)
            used.update(c for c in op._control_inputs if c in new_set)
        fetch_roots = [t for t in fetch_now if t.op not in done]
        tensors = list(dict.fromkeys(fetch_roots + self.keep))
        fetched = set(tensors)
        targets = [op for op in new  # sinks whose outputs no plan fetch already runs
                   if op not in used and not any(t in fetched for t in op.outputs)]
        self.plan_feeds = tuple(plan_feeds)
        self.plan_fetches = tuple(tensors)
        self.plan = None
        if tensors or targets:
            self.plan = session._partial_plan(tensors + targets, list(plan_feeds), done)

    def needed_later(self, spec, t):
        return t in self.pending_after or any(
            c in self.blocked_after for c in spec.consumers.get(t, ()))

    def release(self, session):
        if self.plan is not None:
            session._release_partial_plan(self.plan)


class _PartialRun:
    """One live partial run (see the module docstring)."""

    def __init__(self, spec):
        self.spec = spec
        self.lock = threading.Lock()
        self.fed = None   # None until the setup's step has run
        self.fetched = frozenset()
        self.values = {}
        self.error = None

    def advance(self, session, feeds, fetches):
        """Runs one call: `feeds` {tensor: converted value}; the values of `fetches`."""
        spec = self.spec
        step = spec.step(session, self.fed, frozenset(feeds), self.fetched, tuple(fetches))
        out = {}
        if step.plan is not None:
            values = self.values
            results = session._run_partial_plan(step.plan, [
                feeds[t] if t in feeds else values[t] for t in step.plan_feeds])
            out = dict(zip(step.plan_fetches, results))
        for t in step.keep:
            self.values[t] = _kept(t, out[t])
        for t in step.keep_fed:
            self.values[t] = feeds[t]
        result = [to_numpy(out[t]) if t in out else to_numpy(self.values[t]) for t in fetches]
        self.fed = (self.fed or frozenset()) | frozenset(feeds)
        self.fetched = self.fetched | frozenset(fetches)
        for t in [t for t in self.values if not step.needed_later(spec, t)]:
            del self.values[t]
        return result

    @property
    def complete(self):
        return self.fed == self.spec.feed_set and self.fetched == self.spec.fetch_set


def _kept(tensor, value):
    """A value kept for a later call, on the host (a later plan reads it as a feed)."""
    return to_numpy(value) if tensor.dtype.is_numpy_compatible else value


def _feed_list(graph, feeds):
    """The declared feed tensors of `partial_run_setup` (composites expanded)."""
    if feeds is None:
        feeds = []
    if not isinstance(feeds, (list, tuple)):
        feeds = [feeds]
    out = []
    for feed in feeds:
        parts = feed._fetch_components() if hasattr(feed, "_fetch_components") else [feed]
        for part in parts:
            try:
                el = part._as_graph_element() if hasattr(part, "_as_graph_element") and \
                    not hasattr(part, "value_index") else part
                t = graph.as_graph_element(el, allow_tensor=True, allow_operation=False)
            except (TypeError, ValueError, KeyError) as e:
                msg = e.args[0] if e.args else str(e)
                raise type(e)(f"Cannot interpret feed_list key as Tensor: {msg}") from None
            out.append(t)
    seen = set()
    for t in out:
        if t in seen:
            raise errors.InvalidArgumentError(
                None, None, f'Endpoint "{t.name}" fed more than once.')
        seen.add(t)
    return out


def _declaration(session, fetches, feeds):
    """The `_Spec` of a setup's arguments (checked as TF checks them)."""
    graph = session.graph
    feed_list = _feed_list(graph, feeds)
    structure = FetchStructure(graph, fetches)
    fetch_list = [e for e in structure.elements if hasattr(e, "value_index")]
    targets = [e for e in structure.elements if not hasattr(e, "value_index")]
    if not fetch_list and not targets:
        raise errors.InvalidArgumentError(
            None, None, "Must specify at least one target to fetch or execute.")
    fed = set(feed_list)
    for t in fetch_list:
        if t in fed:
            raise errors.InvalidArgumentError(None, None, f"{t.name} is both fed and fetched.")
    return session._partial_runs._spec(graph, feed_list, fetch_list, targets)


def _key(graph, fetches, feed_keys):
    leaves = []
    sig = flatten_key(fetches, leaves)
    return (sig, tuple(map(id, leaves)), tuple([k if type(k) is str else id(k)
                                                for k in feed_keys]),
            graph._control_version), (leaves, feed_keys)


def setup(session, fetches, feeds=None):
    """`Session.partial_run_setup`: see `BaseSession.partial_run_setup`."""
    session._check_runnable()
    runs = session._partial_runs
    feed_keys = list(feeds) if isinstance(feeds, (list, tuple)) else [feeds]
    key, held = _key(session.graph, fetches, feed_keys)
    spec, _ = runs._cached(("setup",) + key,
                           lambda: (_declaration(session, fetches, feeds), held))
    state = _PartialRun(spec)
    try:
        state.advance(session, {}, ())
    except errors.OpError as e:  # reported by the next call, as TF does
        state.error = e
        state.fed = frozenset()
    return runs._add(state, spec)


class _Call:
    """The resolved arguments of a `partial_run` call: the fetch structure and its
    tensors and ops, and a FeedSpec per fed tensor."""

    def __init__(self, session, fetches, feed_keys, held):
        self.held = held   # the leaves and keys whose ids key this entry
        specs = {}
        for k in feed_keys:
            t = session._resolve_feed(k)
            if t in specs:
                raise ValueError(f"Tensor {t.name} is fed more than once.")
            specs[t] = FeedSpec(t, None)
        self.feed_specs = tuple(specs.values())
        self.structure = FetchStructure(session.graph, fetches, session)
        elements = self.structure.elements
        self.fetch_list = [e for e in elements if hasattr(e, "value_index")]
        self.targets = [e for e in elements if not hasattr(e, "value_index")]


def run(session, handle, fetches, feed_dict=None):
    """`Session.partial_run`: see `BaseSession.partial_run`."""
    session._check_runnable()
    keys, values = flatten_feed_dict(feed_dict)
    key, held = _key(session.graph, fetches, keys)
    call = session._partial_runs._cached(key, lambda: _Call(session, fetches, keys, held))
    feeds = {spec.tensor: convert_feed(spec, v) for spec, v in zip(call.feed_specs, values)}
    structure, fetch_list, targets = call.structure, call.fetch_list, call.targets
    if not fetch_list and not targets and not feeds:
        return structure.build([])  # TF runs nothing for a call with nothing to do
    if targets:
        raise RuntimeError("partial_run() requires empty `target_list`. Received: "
                           f"target_list={targets} (non-empty)")
    if isinstance(handle, bytes):
        handle = handle.decode("utf-8")
    state = session._partial_runs._get(handle) if isinstance(handle, str) else None
    if state is None:
        raise errors.InvalidArgumentError(
            None, None, "Must run 'setup' before performing partial runs!")
    with state.lock:
        if session._partial_runs._get(handle) is not state:  # ended by another thread
            raise errors.InvalidArgumentError(
                None, None, "Must run 'setup' before performing partial runs!")
        spec = state.spec
        fed = state.fed
        for t in feeds:
            if t not in spec.feed_set:
                raise errors.InvalidArgumentError(
                    None, None, f"The feed {t.name} was not specified in partial_run_setup.")
            if t in fed:
                raise errors.InvalidArgumentError(
                    None, None, f"The feed {t.name} has already been fed.")
        for t in fetch_list:
            if t not in spec.fetch_set:
                raise errors.InvalidArgumentError(
                    None, None, f"The fetch {t.name} was not specified in partial_run_setup.")
            if t in state.fetched:
                raise errors.InvalidArgumentError(
                    None, None, f"The fetch {t.name} has already been fetched.")
        fed_after = fed | frozenset(feeds)
        for t in fetch_list:
            spec.check_fetch(t, fed_after)
        if state.error is not None:
            session._partial_runs._end(handle)
            raise state.error
        try:
            results = state.advance(session, feeds, fetch_list)
        except BaseException:
            session._partial_runs._end(handle)
            raise
        if state.complete:
            session._partial_runs._end(handle)
    return structure.build(results)
