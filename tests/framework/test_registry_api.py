"""The op registry: defop's signature reading, duplicate refusal, apply_op's contract."""

import os

import pytest

import flowexec as tf
from flowexec.framework import registry
from flowexec.framework.registry import (
    CHEAP,
    EXPENSIVE,
    NOT_DIFFERENTIABLE,
    apply_op,
    defop,
    get_op_def,
)
from flowexec.ops import shape_fns
from tests.framework import fakes


@pytest.fixture
def scratch_registry():
    """Ops defined inside the test vanish afterwards."""
    saved = dict(registry._REGISTRY)
    yield
    registry._REGISTRY.clear()
    registry._REGISTRY.update(saved)


def test_signature_gives_inputs_list_input_and_attrs(scratch_registry):
    @defop("TestRegSig", infer=shape_fns.unchanged)
    def _sig(xp, x, y, *, alpha, beta=2):
        return x

    assert _sig.input_names == ["x", "y"] and not _sig.list_input
    assert _sig.kernel_attrs == ["alpha", "beta"] and not _sig.all_attrs

    @defop("TestRegList", infer=shape_fns.unchanged, needs_ctx=True)
    def _lst(xp, ctx, axis, *values, **attrs):
        return values[0]

    assert _lst.input_names == ["axis", "values"] and _lst.list_input and _lst.all_attrs
    assert _lst.needs_ctx and _lst.stateful is False


def test_duplicate_registration_names_both_places(scratch_registry):
    @defop("TestRegDup", infer=shape_fns.unchanged)
    def _first(xp, x):
        return x

    first_line = _first.kernel.__code__.co_firstlineno
    with pytest.raises(ValueError) as info:
        @defop("TestRegDup", infer=shape_fns.unchanged)
        def _second(xp, x):
            return x
    here = os.path.relpath(__file__)
    message = str(info.value)
    assert message.startswith(f"Op type 'TestRegDup' is already registered at {here}:"
                              f"{first_line}; second definition at {here}:")
    assert registry.get_op_def("TestRegDup").kernel is _first.kernel
    assert repr(_first) == f"<OpDef TestRegDup defined at {here}:{first_line}>"


def test_gradient_registration_once(scratch_registry):
    @defop("TestRegGrad", infer=shape_fns.unchanged, cost=EXPENSIVE)
    def _g(xp, x):
        return x

    assert _g.grad_fn is None

    @_g.gradient
    def _grad(op, dy):
        return [dy]

    assert _g.grad_fn is _grad
    with pytest.raises(ValueError, match="Gradient for op type 'TestRegGrad' is already "
                                         "registered."):
        _g.gradient(_grad)
    assert _g.estimated_cost(None) == EXPENSIVE


def test_not_differentiable_cost_function_and_device_overrides(scratch_registry):
    @defop("TestRegCost", infer=shape_fns.unchanged, cost=lambda op: 42.0)
    def _c(xp, x):
        return x

    assert _c.not_differentiable() is _c and _c.grad_fn is NOT_DIFFERENTIABLE
    assert _c.estimated_cost(None) == 42.0

    @_c.override("GPU")
    def _fast(xp, x):
        return x

    assert _c.kernel_for("GPU") is _fast and _c.kernel_for("CPU") is _c.kernel


def test_lookup_of_unknown_types():
    with pytest.raises(LookupError, match="^Op type not registered 'NoSuchOp'$"):
        get_op_def("NoSuchOp")
    with pytest.raises(LookupError, match="NoSuchOp"):
        apply_op("NoSuchOp")
    ops = registry.registered_ops()
    ops.clear()
    assert "Const" in registry.registered_ops()


def test_apply_op_output_arity():
    one = fakes.binary(1, 2)
    two = fakes.split2(one)
    none = tf.no_op()
    assert isinstance(one, tf.Tensor)
    assert isinstance(two, tuple) and len(two) == 2 and two[1].value_index == 1
    assert isinstance(none, tf.Operation)


def test_apply_op_checks_inputs_and_graph_state():
    with pytest.raises(TypeError, match=r"^Input 1 of 'TestFwBinary' Op must be a Tensor, got 2$"):
        apply_op("TestFwBinary", tf.constant(1), 2)
    g = tf.Graph()
    with g.as_default():
        c = tf.constant(1)
        g.finalize()
        with pytest.raises(RuntimeError, match="Graph is finalized and cannot be modified."):
            fakes.binary(c, c)


def test_apply_op_names_default_to_the_type_in_the_current_scope():
    with tf.name_scope("s"):
        a = fakes.binary(1, 2)
        b = fakes.binary(1, 2)
        c = fakes.binary(1, 2, name="")
    assert [t.op.name for t in (a, b, c)] == ["s/TestFwBinary", "s/TestFwBinary_1",
                                              "s/TestFwBinary_2"]


def test_failed_inference_still_consumes_the_name():
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 2 and 3 for "
                                         "'TestFwBinary' \\(op: 'TestFwBinary'\\)"):
        fakes.binary([1, 2], [1, 2, 3])
    assert fakes.binary(1, 2).op.name == "TestFwBinary_1"


def test_attrs_reach_the_op_and_private_attrs_skip_the_kernel():
    t = fakes.scale(3.0, factor=2.0)
    op = t.op
    assert op.get_attr("factor") == 2.0
    op.attrs["_private"] = "x"
    assert op.op_def.kernel_kwargs(op) == {"factor": 2.0}
    with tf.Session() as sess:
        assert sess.run(t) == 6.0


def test_list_inputs_and_extra_control_inputs():
    n = tf.no_op(name="n")
    out = apply_op("TestFwCount", tf.constant(1), tf.constant(2), tf.constant(3),
                   control_inputs=[n])
    assert out.op.control_inputs == [n]
    with tf.Session() as sess:
        assert sess.run(fakes.count(1, 2, 3, 4)) == 4


def test_const_is_a_cheap_op():
    assert get_op_def("Const").cost == CHEAP
