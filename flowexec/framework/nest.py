"""nest: flatten and rebuild nested structures of tensors (TF's `tf.nest`).

A structure is a leaf, or a tuple, list, namedtuple or dict (OrderedDict, defaultdict) of
structures. `flatten` lists the leaves depth first, dict values in sorted key order (TF's
rule, so `{"b": x, "a": y}` flattens to `[y, x]`); `pack_sequence_as` is its inverse.
`None` and strings are leaves.

Function graphs (`flowexec.framework.function`), `tf.data` elements and control-flow loop
variables all go through these functions. `tf.data` treats a Python list as one value (a
tensor to be converted), not as a structure, as TF's `data/util/nest.py` does: the `*_data`
variants below implement that rule.
"""

import collections


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def _is_seq(x, lists):
    if isinstance(x, dict):
        return True
    if isinstance(x, list):
        return lists
    return isinstance(x, tuple)


def _sorted_keys(d):
    try:
        return sorted(d)
    except TypeError as e:
        raise TypeError("nest only supports dicts with sortable keys.") from e


def _children(x):
    if isinstance(x, dict):
        return [x[k] for k in _sorted_keys(x)]
    return list(x)


def _rebuild(template, children):
    if isinstance(template, dict):
        keys = _sorted_keys(template)
        by_key = dict(zip(keys, children))
        if isinstance(template, collections.defaultdict):
            out = collections.defaultdict(template.default_factory)
        else:
            out = type(template)()
        for k in template:  # keep the template's own key order
            out[k] = by_key[k]
        return out
    if _is_namedtuple(template):
        return type(template)(*children)
    if isinstance(template, list):
        return list(children)
    return tuple(children)


def _flatten(structure, lists):
    out = []
    stack = [structure]
    while stack:
        x = stack.pop()
        if _is_seq(x, lists):
            stack.extend(reversed(_children(x)))
        else:
            out.append(x)
    return out


def is_nested(seq):
    """Whether `seq` is a tuple, list, namedtuple or dict (a structure, not a leaf)."""
    return _is_seq(seq, True)


is_sequence = is_nested


def flatten(structure, expand_composites=False):
    """The leaves of `structure`, depth first (dict values in sorted key order).

    Example:
        >>> flatten({"b": 1, "a": (2, [3, 4])})
        [2, 3, 4, 1]
    """
    del expand_composites  # flowexec has no composite tensors to expand
    return _flatten(structure, True)


def _pack(structure, flat, lists):
    if not _is_seq(structure, lists):
        if len(flat) != 1:
            raise ValueError(f"Structure is a scalar but len(flat_sequence) == {len(flat)} > 1")
        return flat[0]
    n = len(_flatten(structure, lists))
    if n != len(flat):
        raise ValueError(
            f"Could not pack sequence. Structure had {n} elements, but flat_sequence had "
            f"{len(flat)} elements.  Structure: {structure}, flat_sequence: {flat}.")
    it = iter(flat)

    def build(s):
        if _is_seq(s, lists):
            return _rebuild(s, [build(c) for c in _children(s)])
        return next(it)
    return build(structure)


def pack_sequence_as(structure, flat_sequence, expand_composites=False):
    """Rebuilds `structure` with its leaves replaced, in order, by `flat_sequence`.

    Raises:
        ValueError: the number of leaves differs.

    Example:
        >>> pack_sequence_as({"b": 0, "a": (0, 0)}, [1, 2, 3])
        {'b': 3, 'a': (1, 2)}
    """
    del expand_composites
    return _pack(structure, list(flat_sequence), True)


def _assert_same(a, b, check_types, lists):
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        sx, sy = _is_seq(x, lists), _is_seq(y, lists)
        if sx != sy:
            raise ValueError(
                "The two structures don't have the same nested structure.\n\n"
                f"First structure: {a}\n\nSecond structure: {b}\n\nMore specifically: "
                f"Substructure \"{x if sx else y}\" is a sequence, while substructure "
                f"\"{y if sx else x}\" is not")
        if not sx:
            continue
        if check_types and type(x) is not type(y) and not (
                isinstance(x, dict) and isinstance(y, dict)):
            raise TypeError(
                "The two structures don't have the same sequence type. Input structure has "
                f"type {type(x)}, while shallow structure has type {type(y)}.")
        if isinstance(x, dict) and _sorted_keys(x) != _sorted_keys(y):
            raise ValueError(
                "The two dictionaries don't have the same set of keys. First structure has "
                f"keys {_sorted_keys(x)}, while second structure has keys {_sorted_keys(y)}.")
        cx, cy = _children(x), _children(y)
        if len(cx) != len(cy):
            raise ValueError(
                "The two structures don't have the same number of elements.\n\n"
                f"First structure ({len(cx)} elements): {a}\n\n"
                f"Second structure ({len(cy)} elements): {b}")
        stack.extend(zip(cx, cy))


def assert_same_structure(nest1, nest2, check_types=True, expand_composites=False):
    """Raises unless the two structures nest the same way.

    Raises:
        ValueError: different nesting or numbers of elements, or dicts with other keys.
        TypeError: `check_types` and two sequences of different types (tuple vs list).
    """
    del expand_composites
    _assert_same(nest1, nest2, check_types, True)


def map_structure(func, *structure, **kwargs):
    """`func` applied leaf by leaf to one or more structures of the same shape.

    Example:
        >>> map_structure(lambda x, y: x + y, (1, {"a": 2}), (10, {"a": 20}))
        (11, {'a': 22})
    """
    check_types = kwargs.pop("check_types", True)
    kwargs.pop("expand_composites", None)
    if kwargs:
        raise ValueError(f"Only valid keyword arguments are `check_types` and "
                         f"`expand_composites`, not: {sorted(kwargs)}")
    if not structure:
        raise ValueError("Must provide at least one structure")
    return _map(func, structure, check_types, True)


def _map(func, structures, check_types, lists):
    for other in structures[1:]:
        _assert_same(structures[0], other, check_types, lists)
    flats = [_flatten(s, lists) for s in structures]
    return _pack(structures[0], [func(*xs) for xs in zip(*flats)], lists)


# ----- tf.data's rule: lists are leaves ------------------------------------------------------
def flatten_data(structure):
    """`flatten` with lists as leaves (tf.data element structures)."""
    return _flatten(structure, False)


def pack_data(structure, flat_sequence):
    """`pack_sequence_as` with lists as leaves."""
    return _pack(structure, list(flat_sequence), False)


def map_data(func, *structures):
    """`map_structure` with lists as leaves."""
    return _map(func, structures, True, False)


def assert_same_data_structure(a, b, check_types=True):
    """`assert_same_structure` with lists as leaves."""
    _assert_same(a, b, check_types, False)


__all__ = ["assert_same_structure", "flatten", "is_nested", "map_structure",
           "pack_sequence_as"]
