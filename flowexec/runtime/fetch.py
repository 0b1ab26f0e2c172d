"""Fetch structures: flatten what `Session.run` was asked for, and rebuild the answer.

TF's rules: fetches nest through lists, tuples, namedtuples, dicts and OrderedDicts; leaves
are Tensors, Operations (fetched as None), tensor-likes with `_as_graph_element`, or names;
a composite (an IndexedSlices) fetches its component tensors and is rebuilt from their values
(`_fetch_components`, `_fetch_rebuild`: an IndexedSlicesValue).
Each distinct graph element is fetched once however often it appears; an op whose definition
has `fetch_as` (GetSessionHandle) returns `fetch_as(op, value, session)` instead of the value. Fetched values are
returned as numpy (`to_numpy`): a copy of an array the plan may still hold, a scalar for a
0-d value, device arrays copied to the host.
"""

import collections

import numpy as np

from flowexec.framework import errors


def _check_fetchable(graph, fetch):
    """TF's error for an element of a function graph nested in `graph` (a branch, a body)."""
    op = getattr(fetch, "op", fetch)
    g = getattr(op, "graph", None)
    if g is graph or not hasattr(g, "outer_graph"):
        return
    while hasattr(g, "outer_graph"):
        g = g.outer_graph
        if g is graph:
            raise errors.InaccessibleTensorError(
                f"Operation {op.name} has been marked as not fetchable. Typically this happens "
                f"when it is defined in another function or code block. Use return values, "
                f"explicit Python locals or TensorFlow collections to access it.")


def _leaf(graph, fetch):
    if fetch is None:
        raise TypeError(f"Fetch argument None has invalid type {type(None)}")
    _check_fetchable(graph, fetch)
    try:
        if hasattr(fetch, "_as_graph_element") and not hasattr(fetch, "value_index"):
            el = fetch._as_graph_element()
        else:
            el = fetch
        return graph.as_graph_element(el, allow_tensor=True, allow_operation=True)
    except TypeError as e:
        raise TypeError(
            f"Fetch argument {fetch!r} has invalid type {type(fetch)}, must be a string or "
            f"Tensor. ({e})") from None
    except ValueError as e:
        raise ValueError(f"Fetch argument {fetch!r} cannot be interpreted as a Tensor. ({e})")
    except KeyError as e:
        raise ValueError(
            f"Fetch argument {fetch!r} cannot be interpreted as a Tensor. ({e.args[0]})"
        ) from None


class FetchStructure:
    """The flat, de-duplicated graph elements of a fetch structure, and how to rebuild it.

    Attributes:
        elements: distinct Tensors/Operations, in first-seen order.
        build: `build(values) -> structure`, where `values[i]` belongs to `elements[i]`
            (Operations get None).
    """

    def __init__(self, graph, fetches, session=None):
        self.elements = []
        self._index = {}
        self._session = session   # what an op's `fetch_as` wraps a fetched value with
        self.build = self._compile(graph, fetches)

    def _slot(self, el):
        i = self._index.get(el)
        if i is None:
            i = self._index[el] = len(self.elements)
            self.elements.append(el)
        return i

    def _compile(self, graph, fetch):
        if hasattr(fetch, "_fetch_components"):
            # a composite (IndexedSlices): its tensors, rebuilt into its value type
            parts = [self._compile(graph, t) for t in fetch._fetch_components()]
            return lambda vals: fetch._fetch_rebuild([s(vals) for s in parts])
        if isinstance(fetch, (list, tuple)) and not _is_graph_element(fetch):
            subs = [self._compile(graph, f) for f in fetch]
            if isinstance(fetch, tuple) and hasattr(fetch, "_fields"):
                cls = type(fetch)
                return lambda vals: cls(*[s(vals) for s in subs])
            if isinstance(fetch, tuple):
                return lambda vals: tuple(s(vals) for s in subs)
            return lambda vals: [s(vals) for s in subs]
        if isinstance(fetch, dict):
            keys = list(fetch.keys())
            subs = [self._compile(graph, fetch[k]) for k in keys]
            if isinstance(fetch, collections.defaultdict):
                factory = fetch.default_factory

                def build_dd(vals):
                    d = collections.defaultdict(factory)
                    d.update(zip(keys, (s(vals) for s in subs)))
                    return d
                return build_dd
            cls = type(fetch)
            return lambda vals: cls(zip(keys, (s(vals) for s in subs)))
        el = _leaf(graph, fetch)
        i = self._slot(el)
        if hasattr(el, "value_index"):
            wrap = el.op.op_def.fetch_as if el.value_index == 0 else None
            if wrap is not None:  # a GetSessionHandle: a TensorHandle of this session
                op, session = el.op, self._session
                return lambda vals: wrap(op, vals[i], session)
            return lambda vals: vals[i]
        return lambda vals: None


def flatten_key(obj, leaves):
    """A hashable signature of a fetch/feed structure; its leaves are appended to `leaves`
    (a plan cache keys on the signature and the leaves' ids)."""
    t = type(obj)
    if t is list or t is tuple or (isinstance(obj, (list, tuple)) and
                                   not hasattr(obj, "_as_graph_element")):
        return (t, tuple(flatten_key(x, leaves) for x in obj))
    if isinstance(obj, dict):
        return (t, tuple((k, flatten_key(v, leaves)) for k, v in obj.items()))
    if t is str:
        return obj
    leaves.append(obj)
    return None


def _is_graph_element(x):
    return hasattr(x, "_as_graph_element") and not isinstance(x, (list, tuple))


def to_numpy(v):
    """A fetched value as the client gets it (see the module docstring)."""
    t = type(v)
    if t is np.ndarray:
        return v[()] if v.ndim == 0 else v.copy()
    if isinstance(v, (np.generic, bytes)) or v is None:
        return v  # bytes: never through numpy's "S" type, which drops trailing NUL bytes
    if hasattr(v, "get") and hasattr(v, "__cuda_array_interface__"):
        v = v.get()
        return v[()] if v.ndim == 0 else v
    v = np.asarray(v)
    return v[()] if v.ndim == 0 else v
