"""Graph: default-graph stack, names, scopes, collections, lookups, finalize (TF1 behaviour)."""

import re
import threading

import pytest

import flowexec as tf
from flowexec.framework import graph as graph_mod
from tests.framework import fakes


def const(name=None, value=1.0):
    return tf.constant(value, name=name or "Const")


# ----- default graph -----------------------------------------------------------------------
def test_default_graph_is_stable_and_ops_land_in_it():
    g = tf.get_default_graph()
    c = const()
    assert tf.get_default_graph() is g and c.graph is g


def test_as_default_nests_and_restores():
    outer = tf.get_default_graph()
    g1, g2 = tf.Graph(), tf.Graph()
    with g1.as_default() as got1:
        assert got1 is g1 and tf.get_default_graph() is g1
        with g2.as_default():
            assert tf.get_default_graph() is g2
            assert const().graph is g2
        assert tf.get_default_graph() is g1
    assert tf.get_default_graph() is outer


def test_as_default_violated_nesting_raises_assertion():
    g1, g2 = tf.Graph(), tf.Graph()
    c1, c2 = g1.as_default(), g2.as_default()
    c1.__enter__()
    c2.__enter__()
    try:
        with pytest.raises(AssertionError, match="Nesting violated for default stack of"):
            c1.__exit__(None, None, None)
    finally:
        graph_mod._default_graph_stack.stack.clear()


def test_reset_default_graph_gives_a_new_graph():
    g = tf.get_default_graph()
    const()
    tf.reset_default_graph()
    assert tf.get_default_graph() is not g
    assert tf.get_default_graph().get_operations() == []


def test_reset_default_graph_inside_as_default_raises():
    message = (r"Do not use tf.reset_default_graph\(\) to clear nested graphs. If you need a "
               r"cleared graph, exit the nesting and create a new graph.")
    with tf.Graph().as_default(), pytest.raises(AssertionError, match=message):
        tf.reset_default_graph()


def _in_thread(fn):
    out = {}

    def run():
        try:
            out["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - re-raised in the test's thread
            out["error"] = e

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


def test_default_graph_is_a_property_of_the_thread():
    main_default = tf.get_default_graph()
    mine = tf.Graph()
    with mine.as_default():
        # Another thread sees neither this thread's as_default() graph nor its global
        # default: TF1 gives each thread its own default graph.
        other = _in_thread(tf.get_default_graph)
        assert other is not mine and other is not main_default
        # ... which stays the same within that thread and is reset there only.
        def stable_and_resettable():
            g = tf.get_default_graph()
            stable = tf.get_default_graph() is g
            tf.reset_default_graph()
            return stable, tf.get_default_graph() is not g

        assert _in_thread(stable_and_resettable) == (True, True)
        assert tf.get_default_graph() is mine
    assert tf.get_default_graph() is main_default


def test_thread_builds_in_a_graph_it_makes_default():
    g = tf.Graph()

    def build():
        with g.as_default():
            return const("from_thread")

    t = _in_thread(build)
    assert t.graph is g and g.get_operation_by_name("from_thread") is t.op


def test_name_scopes_are_per_thread():
    g = tf.Graph()
    with g.as_default(), g.name_scope("main"):
        def build():
            with g.as_default():
                return const("c").op.name

        assert _in_thread(build) == "c"
        assert const("c").op.name == "main/c"


# ----- finalize ------------------------------------------------------------------------------
def test_finalize_refuses_new_ops_and_collection_changes():
    g = tf.Graph()
    with g.as_default():
        const()
        g.finalize()
        assert g.finalized
        with pytest.raises(RuntimeError, match="^Graph is finalized and cannot be modified.$"):
            const()
        with pytest.raises(RuntimeError, match="Graph is finalized"):
            g.add_to_collection("k", 1)
        with pytest.raises(RuntimeError, match="Graph is finalized"):
            g.clear_collection("k")
        g._unsafe_unfinalize()
        const()
    assert len(g.get_operations()) == 2


# ----- lookups -------------------------------------------------------------------------------
def test_get_operations_in_creation_order_and_version():
    g = tf.Graph()
    with g.as_default():
        names = [const(n).op.name for n in ("z", "a", "m")]
    assert [op.name for op in g.get_operations()] == names
    assert g.version == 3
    ops = g.get_operations()
    ops.clear()
    assert len(g.get_operations()) == 3


def test_get_operation_and_tensor_by_name():
    c = const("c")
    g = tf.get_default_graph()
    assert g.get_operation_by_name("c") is c.op
    assert g.get_tensor_by_name("c:0") is c
    _, b = fakes.split2(c, name="two")
    assert g.get_tensor_by_name("two:1") is b


@pytest.mark.parametrize("call, exc, message", [
    (lambda g: g.get_operation_by_name(1), TypeError,
     "Operation names are strings (or similar), not int."),
    (lambda g: g.get_tensor_by_name(None), TypeError,
     "Tensor names are strings (or similar), not NoneType."),
    (lambda g: g.get_operation_by_name("nope"), KeyError,
     "The name 'nope' refers to an Operation not in the graph."),
    (lambda g: g.get_operation_by_name("c:0"), ValueError,
     "Name 'c:0' appears to refer to a Tensor, not a Operation."),
    (lambda g: g.get_tensor_by_name("c"), ValueError,
     ("The name 'c' refers to an Operation, not a Tensor. Tensor names must be of the form "
      "\"<op_name>:<output_index>\".")),
    (lambda g: g.get_tensor_by_name("nope"), ValueError,
     ("The name 'nope' looks like an (invalid) Operation name, not a Tensor. Tensor names "
      "must be of the form \"<op_name>:<output_index>\".")),
    (lambda g: g.get_tensor_by_name("nope:0"), KeyError,
     ("The name 'nope:0' refers to a Tensor which does not exist. The operation, 'nope', "
      "does not exist in the graph.")),
    (lambda g: g.get_tensor_by_name("c:1"), KeyError,
     ("The name 'c:1' refers to a Tensor which does not exist. The operation, 'c', exists "
      "but only has 1 outputs.")),
    (lambda g: g.get_tensor_by_name("c:x"), ValueError,
     ("The name 'c:x' looks a like a Tensor name, but is not a valid one. Tensor names must "
      "be of the form \"<op_name>:<output_index>\".")),
    (lambda g: g.get_tensor_by_name("c:0:0"), ValueError,
     "The name 'c:0:0' looks a like a Tensor name, but is not a valid one."),
    (lambda g: g.as_graph_element(3.5), TypeError,
     "Can not convert a float into a Tensor or Operation."),
    (lambda g: g.as_graph_element(g.get_operation_by_name("c"), allow_operation=False),
     TypeError, "Can not convert a Operation into a Tensor."),
    (lambda g: g.as_graph_element("c", allow_tensor=False, allow_operation=False), ValueError,
     "allow_tensor and allow_operation can't both be False."),
])
def test_as_graph_element_errors(call, exc, message):
    const("c")
    with pytest.raises(exc) as info:
        call(tf.get_default_graph())
    text = info.value.args[0]
    assert text.startswith(message), text


def test_as_graph_element_rejects_elements_of_other_graphs():
    c = const("c")
    other = tf.Graph()
    with pytest.raises(ValueError, match=r"^Tensor Tensor\(\"c:0\", shape=\(\), "
                                         r"dtype=float32\) is not an element of this graph.$"):
        other.as_graph_element(c)
    with pytest.raises(ValueError, match=r"(?s)^Operation name: \"c\"\n.* is not an element of "
                                         r"this graph.$") as info:
        other.as_graph_element(c.op)
    assert "\nop: \"Const\"\n" in str(info.value)


def test_as_graph_element_resolves_objects_and_bytes():
    c = const("c")

    class Holder:
        def _as_graph_element(self):
            return c

    g = tf.get_default_graph()
    assert g.as_graph_element(Holder()) is c
    assert g.as_graph_element(b"c:0") is c
    assert g.as_graph_element("c") is c.op


def test_inputs_from_two_graphs_raise_value_error():
    a = const("a")
    with tf.Graph().as_default():
        b = const("b")
    with pytest.raises(ValueError, match=r'^Tensor\("b:0", shape=\(\), dtype=float32\) must be '
                                         r'from the same graph as Tensor\("a:0", shape=\(\), '
                                         r'dtype=float32\).$'):
        fakes.binary(a, b)


def test_ops_go_to_the_graph_of_their_inputs():
    g = tf.Graph()
    with g.as_default():
        a = const("a")
    out = fakes.binary(a, a)
    assert out.graph is g and tf.get_default_graph().get_operations() == []


# ----- names ---------------------------------------------------------------------------------
def test_default_op_names_are_made_unique():
    names = [const().op.name for _ in range(3)]
    assert names == ["Const", "Const_1", "Const_2"]


def test_unique_name_rules():
    g = tf.Graph()
    assert g.unique_name("foo") == "foo"
    assert g.unique_name("foo") == "foo_1"
    assert g.unique_name("Foo") == "Foo_2"  # names compare case-insensitively
    assert g.unique_name("bar_1") == "bar_1"
    assert g.unique_name("bar") == "bar"
    assert g.unique_name("bar") == "bar_2"  # bar_1 is taken: skipped
    assert g.unique_name("baz", mark_as_used=False) == "baz"
    assert g.unique_name("baz", mark_as_used=False) == "baz"
    assert g.unique_name("baz") == "baz"
    assert g.unique_name("baz", mark_as_used=False) == "baz_1"
    with g.name_scope("s"):
        assert g.unique_name("foo") == "s/foo"


def test_explicit_names_and_suffix_collisions():
    assert const("x_1").op.name == "x_1"
    assert const("x").op.name == "x"
    assert const("x").op.name == "x_2"
    assert const("X").op.name == "X_3"


def test_name_ending_in_slash_is_used_as_is():
    with tf.name_scope("layer") as scope:
        const("w")
    assert scope == "layer/"
    out = fakes.binary(1.0, 2.0, name=scope)
    assert out.op.name == "layer"
    with pytest.raises(ValueError, match="Duplicate node name in graph: 'layer'"):
        fakes.binary(1.0, 2.0, name=scope)


def test_nested_name_scopes_and_reentry():
    g = tf.get_default_graph()
    with g.name_scope("nested") as scope:
        assert scope == "nested/"
        assert const("c").op.name == "nested/c"
        with g.name_scope("inner"):
            assert const("c").op.name == "nested/inner/c"
            assert g.get_name_scope() == "nested/inner"
        with g.name_scope("inner"):
            assert const("c").op.name == "nested/inner_1/c"
            with g.name_scope(scope):
                assert const("d").op.name == "nested/d"
                with g.name_scope(""):
                    assert const("e").op.name == "e"
                with g.name_scope(None) as root:
                    assert root == "" and g.get_name_scope() == ""
    assert g.get_name_scope() == ""
    with g.name_scope("nested"):
        assert const("c").op.name == "nested_1/c"


def test_scope_and_op_names_share_the_namespace():
    const("foo")
    with tf.name_scope("foo") as scope:
        assert scope == "foo_1/"
    with tf.name_scope("bar"):
        pass
    assert const("bar").op.name == "bar_1"


@pytest.mark.parametrize("name", ["a b", "-x", "_x", "/x", "x!", "a\\b"])
def test_invalid_scope_names_at_the_root(name):
    message = f"^'{re.escape(name)}' is not a valid scope name$"
    with pytest.raises(ValueError, match=message), tf.name_scope(name):
        pass


def test_nested_scopes_allow_more_leading_characters():
    with tf.name_scope("outer"):
        for name in ("_x", "-x", ".x"):
            with tf.name_scope(name) as scope:
                assert scope == f"outer/{name}/"
        with pytest.raises(ValueError, match="'a b' is not a valid scope name"), \
                tf.name_scope("a b"):
            pass


def test_tf_name_scope_default_name_and_values():
    with tf.name_scope(None, "default") as s1:
        pass
    with tf.name_scope(None, "default") as s2:
        pass
    with tf.name_scope("given", "default") as s3:
        pass
    assert (s1, s2, s3) == ("default/", "default_1/", "given/")
    message = r"^At least one of name \(None\) and default_name \(None\) must be provided.$"
    with pytest.raises(ValueError, match=message), tf.name_scope(None, None, []):
        pass


def test_tf_name_scope_enters_the_graph_of_values():
    g = tf.Graph()
    with g.as_default():
        a = const("a")
    with tf.name_scope("s", values=[a, 3]) as scope:
        assert tf.get_default_graph() is g
        assert const("c").op.name == "s/c" and scope == "s/"
    assert tf.get_default_graph() is not g
    b = const("b")
    with pytest.raises(ValueError, match="must be from the same graph as"), \
            tf.name_scope("s", values=[a, b]):
        pass


def test_op_wrapper_names_are_checked_as_scope_names():
    with pytest.raises(ValueError, match="^'bad name' is not a valid scope name$"):
        fakes.binary(1.0, 2.0, name="bad name")
    with tf.name_scope("s"):
        assert fakes.binary(1.0, 2.0, name="_ok").op.name == "s/_ok"


# ----- collections ---------------------------------------------------------------------------
def test_collections_add_get_filter_and_clear():
    g = tf.Graph()
    with g.as_default():
        with tf.name_scope("a"):
            ca = const("c")
        with tf.name_scope("b"):
            cb = const("c")
    g.add_to_collection("k", ca)
    g.add_to_collection("k", cb)
    g.add_to_collection("k", 42)  # no name: filtered out by any scope
    g.add_to_collections(["k2", "k2", "k3"], ca)  # duplicate names count once
    assert g.get_collection("k") == [ca, cb, 42]
    assert g.get_collection("k", scope="a") == [ca]
    assert g.get_collection("k", scope=".*c") == [ca, cb]
    assert g.get_collection("k2") == [ca] and g.get_collection("k3") == [ca]
    assert g.get_collection("missing") == [] and "missing" not in g.get_all_collection_keys()
    copy = g.get_collection("k")
    copy.append(1)
    assert len(g.get_collection("k")) == 3
    assert sorted(g.get_all_collection_keys()) == ["k", "k2", "k3"]
    assert sorted(g.collections) == ["k", "k2", "k3"]
    g.clear_collection("k")
    assert g.get_collection("k") == []
    g.clear_collection("never")


def test_get_collection_ref_is_live():
    ref = tf.get_collection_ref("live")
    assert ref == [] and "live" in tf.get_default_graph().get_all_collection_keys()
    tf.add_to_collection("live", 1)
    ref.append(2)
    assert tf.get_collection("live") == [1, 2]
    assert tf.get_collection_ref("live") is ref
    tf.add_to_collections("other", 3)
    assert tf.get_collection("other") == [3]


def test_graph_keys_have_tf_values():
    assert tf.GraphKeys.GLOBAL_VARIABLES == "variables"
    assert tf.GraphKeys.VARIABLES == "variables"
    assert tf.GraphKeys.TRAINABLE_VARIABLES == "trainable_variables"
    assert tf.GraphKeys.TABLE_INITIALIZERS == "table_initializer"
    assert tf.GraphKeys.UPDATE_OPS == "update_ops"
    assert tf.GraphKeys.LOSSES == "losses"


# ----- control dependencies ------------------------------------------------------------------
def test_control_dependencies_nest_and_accept_tensors_and_ops():
    a, b, c = const("a"), const("b"), const("c")
    with tf.control_dependencies([a, b.op]):
        d = const("d")
        with tf.control_dependencies([c]):
            e = const("e")
        with tf.control_dependencies(["c"]):  # names resolve too
            e2 = const("e2")
    f = const("f")
    assert d.op.control_inputs == [a.op, b.op]
    assert e.op.control_inputs == [a.op, b.op, c.op]
    assert e2.op.control_inputs == [a.op, b.op, c.op]
    assert f.op.control_inputs == []


def test_control_dependencies_none_clears_enclosing_blocks():
    a, b = const("a"), const("b")
    with tf.control_dependencies([a]):
        with tf.control_dependencies(None):
            x = const("x")
            with tf.control_dependencies([b]):
                y = const("y")
        z = const("z")
    assert x.op.control_inputs == [] and y.op.control_inputs == [b.op]
    assert z.op.control_inputs == [a.op]


def test_control_dependency_on_a_data_input_is_not_added():
    a, b, c = const("a"), const("b"), const("c")
    with tf.control_dependencies([a, b]):
        s = fakes.binary(a, c, name="s")
        # A Python value converted inside the block becomes a Const that waits for a and
        # b itself, so the op that consumes it needs no control inputs (as in TF).
        t = fakes.binary(c, 1.0, name="t")
    assert s.op.control_inputs == [b.op]
    assert t.op.control_inputs == [] and t.op.inputs[1].op.control_inputs == [a.op, b.op]


def test_ops_fed_by_ops_of_the_same_block_do_not_repeat_its_dependencies():
    a = const("a")
    with tf.control_dependencies([a]):
        x = const("x")
        y = fakes.binary(x, x, name="y")  # x already waits for a
    assert x.op.control_inputs == [a.op] and y.op.control_inputs == []


def test_duplicates_in_nested_blocks_are_dropped():
    a, b = const("a"), const("b")
    with tf.control_dependencies([a, a]), tf.control_dependencies([a, b]):
        x = const("x")
    assert x.op.control_inputs == [a.op, b.op]


def test_control_dependencies_errors():
    with pytest.raises(TypeError, match="Can not convert a int into a Tensor or Operation."), \
            tf.control_dependencies([1]):
        pass
    with tf.Graph().as_default():
        foreign = const("f")
    with pytest.raises(ValueError, match="is not an element of this graph"), \
            tf.control_dependencies([foreign]):
        pass


def test_add_control_input_bumps_control_version():
    a, b = const("a"), const("b")
    g = tf.get_default_graph()
    v = g._control_version
    b.op._add_control_input(a.op)
    b.op._add_control_input(a.op)
    assert b.op.control_inputs == [a.op] and g._control_version == v + 1
    with pytest.raises(TypeError, match="op must be an Operation"):
        b.op._add_control_input(a)


# ----- devices -------------------------------------------------------------------------------
def test_device_strings_are_canonical_and_merged_inner_fields_win():
    with tf.device("/job:worker/gpu:1"):
        a = const("a")
        with tf.device("/cpu:0"):
            b = const("b")
        with tf.device("/device:GPU:*"):
            c = const("c")
        with tf.device("/replica:2"):
            d = const("d")
        with tf.device(""):
            e = const("e")
        with tf.device(None):
            f = const("f")
    assert a.op.device == "/job:worker/device:GPU:1" and a.device == a.op.device
    assert b.op.device == "/job:worker/device:CPU:0"
    assert c.op.device == "/job:worker/device:GPU:1"
    assert d.op.device == "/job:worker/replica:2/device:GPU:1"
    assert e.op.device == "/job:worker/device:GPU:1"
    assert f.op.device == ""
    assert const("g").op.device == ""


def test_device_functions_and_specs():
    from devices.spec import DeviceSpec

    def by_type(op):
        return "/gpu:0" if op.type == "TestFwBinary" else "/cpu:0"

    with tf.device(by_type):
        a = const("a")
        s = fakes.binary(a, a, name="s")
        with tf.device("/device:GPU:1"):
            inner = const("inner")  # the outer function decides last
    with tf.device(DeviceSpec(device_type="GPU", device_index=3)):
        spec = const("spec")
        with tf.device(lambda op: None):
            none = const("none")
    assert (a.op.device, s.op.device) == ("/cpu:0", "/gpu:0")
    assert inner.op.device == "/cpu:0"
    assert spec.op.device == "/device:GPU:3" and none.op.device == "/device:GPU:3"


def test_device_function_sees_the_op_and_can_refine_inner_scopes():
    seen = []

    def fn(op):
        seen.append((op.name, op.device))
        return op.device or "/cpu:0"

    with tf.device(fn), tf.device("/gpu:1"):
        const("x")
    assert seen == [("x", "/device:GPU:1")]


def test_invalid_device_string_fails_when_the_scope_opens():
    with pytest.raises(ValueError, match="Unknown attribute"), \
            tf.device("/bogus:1"):
        pass


# ----- colocation ----------------------------------------------------------------------------
def test_colocate_with_records_groups_and_device():
    with tf.device("/gpu:0"):
        v = const("v")
    with tf.device("/cpu:0"):
        with tf.colocate_with(v.op):
            a = const("a")
            with tf.device("/gpu:1"):
                b = const("b")  # colocation wins over device scopes
        c = const("c")
    assert v.op.colocation_groups == ["loc:@v"]
    assert a.op.colocation_groups == ["loc:@v"] and a.op.device == "/device:GPU:0"
    assert b.op.device == "/device:GPU:0"
    assert c.op.colocation_groups == ["loc:@c"] and c.op.device == "/device:CPU:0"
    assert a.op.get_attr("_class") == [b"loc:@v"]
    with pytest.raises(ValueError, match="has no attr named '_class'"):
        v.op.get_attr("_class")


def test_colocate_with_tensor_nesting_and_transitive_groups():
    x, y = const("x"), const("y")
    with tf.colocate_with(y):
        with tf.colocate_with(x):
            both = const("both")
        with tf.colocate_with(x, ignore_existing=True):
            only_x = const("only_x")
        with tf.colocate_with(None, ignore_existing=True):
            free = const("free")
    with tf.colocate_with(both):
        follower = const("follower")
    assert both.op.colocation_groups == ["loc:@x", "loc:@y"]  # sorted, as TF
    assert only_x.op.colocation_groups == ["loc:@x"]
    assert free.op.colocation_groups == ["loc:@free"]
    assert follower.op.colocation_groups == ["loc:@x", "loc:@y"]


def test_colocate_with_none_needs_ignore_existing():
    message = r"^Trying to reset colocation \(op is None\) but ignore_existing is not True$"
    with pytest.raises(ValueError, match=message), tf.colocate_with(None):
        pass


def test_colocation_uses_the_default_graph_and_accepts_graph_elements():
    class Holder:
        def __init__(self, t):
            self.t = t

    def convert(value, dtype=None, name=None, as_ref=False):
        return value.t

    tf.register_tensor_conversion_function(Holder, convert)
    h = Holder(const("held"))
    with tf.colocate_with(h):
        c = const("c")
    assert c.op.colocation_groups == ["loc:@held"]


# ----- gradient override map -----------------------------------------------------------------
def test_gradient_override_map_is_recorded_on_ops_created_inside():
    g = tf.get_default_graph()
    with g.gradient_override_map({"TestFwBinary": "Identity"}):
        a = fakes.binary(1.0, 2.0)
        with g.gradient_override_map({"TestFwBinary": "StopGradient"}):
            b = fakes.binary(1.0, 2.0)
        c = fakes.binary(1.0, 2.0)
    d = fakes.binary(1.0, 2.0)
    assert a.op.get_attr("_gradient_op_type") == "Identity"
    assert b.op.get_attr("_gradient_op_type") == "StopGradient"
    assert c.op.get_attr("_gradient_op_type") == "Identity"
    with pytest.raises(ValueError, match="has no attr named '_gradient_op_type'"):
        d.op.get_attr("_gradient_op_type")
    assert g._gradient_override_map == {}
    with pytest.raises(TypeError, match="op_type_map must be a dictionary mapping strings"), \
            g.gradient_override_map({"Add": 1}):
        pass


# ----- misc ----------------------------------------------------------------------------------
def test_seed_container_and_feed_fetch_guards():
    g = tf.Graph()
    g.seed = 7
    assert g.seed == 7
    with g.container("exp") as name:
        assert name == "exp" and g._container == "exp"
    assert g._container == ""
    with g.as_default():
        c = const("c")
    assert g.is_feedable(c) and g.is_fetchable(c)
    g.prevent_feeding(c)
    g.prevent_fetching(c.op)
    assert not g.is_feedable(c) and not g.is_fetchable(c) and not g.is_fetchable(c.op)
