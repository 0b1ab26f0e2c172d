"""Resource containers of a state (TF's ResourceMgr containers, `tf.container`,
`tf.Session.reset`).

A session's state (`Session._state`), or a task's, shared by every session that connects
to it (`distributed/task.py`), is one dict of resources keyed `(kind, name)`: variables
`("var", name)`, queues `("queue", name)`, tables, accumulators, iterators, readers. As in
TF, a resource lives in a *container* ("" is the default one; ops made inside
`with tf.container("c"):` use "c"): two variables of one name in two containers are two
variables, and `tf.Session.reset(target, ["c"])` drops exactly the resources of "c".

The container is part of the name a kernel keys its resource by: `qualified(container,
name)` is `name` in the default container and `"container|name"` elsewhere ("|" is in no
TF op or container name). A resource-creating kernel (QueueV2, HashTableV2, ...) gets its
`container` attribute and qualifies its key and the handle it outputs, so the handle's
consumers find it with no attribute of their own. A variable's ops name it by an attribute
(`var_name`, `var_names`: flowexec's form of TF's ref input); `registry.apply_op` records the
containers of the variables they name (`_var_containers`, the variables' own `container`
attribute) and `bind_kernel` hands the kernel the qualified names (`qualify_kwargs`).
"""

SEP = "|"

# The kinds of resources a reset drops: TF's ResourceMgr entries. Locks, RNG states, the
# planned functions and a task's channel are the session's machinery, not resources.
RESOURCE_KINDS = frozenset({"var", "queue", "table", "accumulator", "iterator", "reader"})

VAR_CONTAINERS = "_var_containers"   # the private attribute apply_op records


def qualified(container, name):
    """The key name of resource `name` in `container` ("" or None: the default)."""
    return f"{container}{SEP}{name}" if container else name


def split(name):
    """(container, name) of a qualified name."""
    container, sep, rest = name.partition(SEP)
    return (container, rest) if sep else ("", name)


def display_name(name):
    """The name a message shows (TF's: without its container)."""
    return split(name)[1]


def var_containers(graph, attrs, ref_attr):
    """The containers of the variables `attrs[ref_attr]` names (in `graph`), or None when
    all are in the default container (the common case: no attribute recorded)."""
    names = attrs.get(ref_attr)
    if names is None:
        return None
    single = isinstance(names, str)
    containers = []
    for n in ((names,) if single else names):
        op = graph._ops_by_name.get(n)
        containers.append((op.attrs.get("container") or "") if op is not None else "")
    if not any(containers):
        return None
    return containers[0] if single else tuple(containers)


def qualify_kwargs(kwargs, attrs, ref_attr):
    """`kwargs` with the variable names of `ref_attr` qualified by `attrs`' recorded
    containers (unchanged where there are none)."""
    containers = attrs.get(VAR_CONTAINERS)
    if not containers or ref_attr not in kwargs:
        return kwargs
    names = kwargs[ref_attr]
    kwargs = dict(kwargs)
    if isinstance(names, str):
        kwargs[ref_attr] = qualified(containers, names)
    else:
        kwargs[ref_attr] = tuple(qualified(c, n) for c, n in zip(containers, names))
    return kwargs


def reset(state, containers=None):
    """Drops the resources of `containers` (None: of every container) from `state`, in
    place: plans bound to `state` see them gone (an uninitialized variable, a queue that
    no longer exists) and make them anew. Returns the number dropped."""
    wanted = None if containers is None else {c or "" for c in containers}
    dropped = 0
    for key in list(state):
        if not (isinstance(key, tuple) and len(key) == 2 and key[0] in RESOURCE_KINDS
                and isinstance(key[1], str)):
            continue
        if wanted is None or split(key[1])[0] in wanted:
            if state.pop(key, None) is not None:
                dropped += 1
    return dropped
