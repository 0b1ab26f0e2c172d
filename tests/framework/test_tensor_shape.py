"""TensorShape and Dimension: TF1's merge/compatibility rules, printing and errors."""

import pickle
import re

import numpy as np
import pytest

import flowexec as tf
from flowexec.framework import tensor_shape
from flowexec.framework.tensor_shape import Dimension, TensorShape


# ----- Dimension -----------------------------------------------------------------------------
def test_dimension_value_int_and_printing():
    d = Dimension(3)
    assert d.value == 3 and int(d) == 3 and [0, 1, 2, 3][d] == 3
    assert repr(d) == "Dimension(3)" and str(d) == "3"
    assert Dimension(None).value is None
    assert repr(Dimension(None)) == "Dimension(None)" and str(Dimension(None)) == "?"
    assert Dimension(Dimension(4)).value == 4 and Dimension(np.int64(5)).value == 5
    assert Dimension(3.0).value == 3 and Dimension("7").value == 7
    assert tf.Dimension is Dimension


def test_dimension_comparisons_with_ints_and_unknowns():
    assert Dimension(3) == 3 and Dimension(3) != 4 and Dimension(3) == Dimension(3)
    assert Dimension(2) < 3 and Dimension(3) <= 3 and Dimension(4) > 3 and Dimension(3) >= 3
    unknown = Dimension(None)
    assert (unknown == 3) is None and (unknown != 3) is None and (unknown < 3) is None
    assert (Dimension(3) == Dimension(None)) is None
    assert (Dimension(3) == "x") is False


def test_dimension_arithmetic():
    assert Dimension(3) + 2 == 5 and 2 + Dimension(3) == 5
    assert Dimension(3) * Dimension(4) == 12 and Dimension(7) // 2 == 3
    assert 7 // Dimension(2) == 3 and Dimension(7) % 4 == 3 and Dimension(5) - 2 == 3
    assert (Dimension(None) + 1).value is None and (3 * Dimension(None)).value is None
    with pytest.raises(ValueError, match="Dimension -1 must be >= 0"):
        Dimension(1) - 2
    with pytest.raises(TypeError, match="please use // instead"):
        Dimension(4) / 2


def test_dimension_merge_and_compatibility():
    assert Dimension(3).is_compatible_with(3) and Dimension(None).is_compatible_with(4)
    assert not Dimension(3).is_compatible_with(4)
    assert Dimension(None).merge_with(4).value == 4 and Dimension(4).merge_with(None).value == 4
    with pytest.raises(ValueError, match="^Dimensions 3 and 4 are not compatible$"):
        Dimension(3).merge_with(4)


@pytest.mark.parametrize("value, exc, message", [
    (-1, ValueError, "Dimension -1 must be >= 0"),
    (2.5, ValueError, "Ambiguous dimension: 2.5"),
    ([1], TypeError, "int()"),
    (tf.float32, TypeError, "Cannot convert <dtype: 'float32'> to Dimension"),
])
def test_dimension_rejects_bad_values(value, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        Dimension(value)


def test_dimension_helpers_and_pickle():
    assert tensor_shape.dimension_value(Dimension(3)) == 3
    assert tensor_shape.dimension_value(None) is None
    assert tensor_shape.dimension_at_index(TensorShape([2, 3]), 1).value == 3
    assert tensor_shape.dimension_at_index(TensorShape(None), 5).value is None
    assert tensor_shape.as_dimension(4).value == 4
    assert pickle.loads(pickle.dumps(Dimension(6))).value == 6


# ----- TensorShape ---------------------------------------------------------------------------
@pytest.mark.parametrize("dims, text, rep, proto", [
    (None, "<unknown>", "TensorShape(None)", "<unknown>"),
    ([], "()", "TensorShape([])", "[]"),
    ([3], "(3,)", "TensorShape([Dimension(3)])", "[3]"),
    ([None], "(?,)", "TensorShape([Dimension(None)])", "[?]"),
    ([None, 3], "(?, 3)", "TensorShape([Dimension(None), Dimension(3)])", "[?,3]"),
    ([2, 3, 4], "(2, 3, 4)", "TensorShape([Dimension(2), Dimension(3), Dimension(4)])",
     "[2,3,4]"),
])
def test_shape_printing(dims, text, rep, proto):
    s = TensorShape(dims)
    assert str(s) == text and repr(s) == rep and s.proto_str() == proto


def test_shape_construction_from_various_values():
    assert TensorShape(5).as_list() == [5]
    assert TensorShape((2, Dimension(None), np.int32(4))).as_list() == [2, None, 4]
    assert TensorShape(TensorShape([1, 2])).as_list() == [1, 2]
    assert TensorShape(np.array([2, 3])).as_list() == [2, 3]
    assert tensor_shape.as_shape([1]) == TensorShape([1])
    with pytest.raises(TypeError, match="A string has ambiguous TensorShape, please wrap in a "
                                        "list or convert to an int: 12"):
        TensorShape("12")
    with pytest.raises(ValueError, match="Dimension -1 must be >= 0"):
        TensorShape([-1, 3])


def test_shape_queries():
    s = TensorShape([None, 3])
    assert s.ndims == 2 and s.rank == 2 and s.dims == [None, 3] and len(s) == 2
    assert s[1] == 3 and s[0] is None and list(s) == [None, 3] and s[-1:] == TensorShape([3])
    assert not s.is_fully_defined() and s.num_elements() is None
    assert TensorShape([2, 3]).num_elements() == 6 and TensorShape([]).num_elements() == 1
    assert TensorShape([0, 5]).num_elements() == 0
    assert bool(TensorShape([])) and not bool(TensorShape(None))
    unknown = TensorShape(None)
    assert unknown.ndims is None and unknown.dims is None and unknown[3] is None
    assert unknown[1:3] == TensorShape([None, None]) and unknown[1:].ndims is None


@pytest.mark.parametrize("call, exc, message", [
    (lambda: TensorShape(None).as_list(), ValueError,
     "as_list() is not defined on an unknown TensorShape."),
    (lambda: len(TensorShape(None)), ValueError,
     "Cannot take the length of shape with unknown rank."),
    (lambda: list(TensorShape(None)), ValueError, "Cannot iterate over a shape with unknown rank."),
    (lambda: TensorShape([None]).assert_is_fully_defined(), ValueError,
     "Shape (?,) is not fully defined"),
    (lambda: TensorShape([2, 3]).merge_with([2, 4]), ValueError,
     "Shapes (2, 3) and (2, 4) are not compatible"),
    (lambda: TensorShape([2, 3]).merge_with([2]), ValueError,
     "Shapes (2, 3) and (2,) are not compatible"),
    (lambda: TensorShape([2]).assert_is_compatible_with([3]), ValueError,
     "Shapes (2,) and (3,) are incompatible"),
    (lambda: TensorShape([2]).assert_same_rank([3, 4]), ValueError,
     "Shapes (2,) and (3, 4) must have the same rank"),
    (lambda: TensorShape([2]).with_rank(2), ValueError, "Shape (2,) must have rank 2"),
    (lambda: TensorShape([2]).assert_has_rank(2), ValueError, "Shape (2,) must have rank 2"),
    (lambda: TensorShape([2]).with_rank_at_least(2), ValueError,
     "Shape (2,) must have rank at least 2"),
    (lambda: TensorShape([2, 3, 4]).with_rank_at_most(2), ValueError,
     "Shape (2, 3, 4) must have rank at most 2"),
    (lambda: TensorShape(None)[::2], ValueError, "Steps are not yet handled"),
])
def test_shape_errors(call, exc, message):
    with pytest.raises(exc) as info:
        call()
    assert str(info.value) == message


def test_merge_and_compatibility():
    a = TensorShape([None, 3])
    assert a.merge_with([2, None]) == TensorShape([2, 3])
    assert a.merge_with(None) is a and TensorShape(None).merge_with(a) == a
    assert a.is_compatible_with([5, 3]) and a.is_compatible_with(None)
    assert not a.is_compatible_with([5, 4]) and not a.is_compatible_with([3])
    assert TensorShape(None).is_compatible_with([1, 2, 3])
    assert TensorShape([1, 2]).most_specific_compatible_shape([1, 3]) == TensorShape([1, None])
    assert TensorShape([1]).most_specific_compatible_shape([1, 3]).ndims is None
    assert TensorShape(None).with_rank(2) == TensorShape([None, None])
    assert a.with_rank(2) is a and a.with_rank_at_least(1) is a and a.with_rank_at_most(2) is a


def test_concatenate_and_add():
    assert TensorShape([1]).concatenate([2, None]) == TensorShape([1, 2, None])
    assert TensorShape([1]).concatenate(None).ndims is None
    assert (TensorShape([1]) + TensorShape([2])).as_list() == [1, 2]
    assert ([3] + TensorShape([4])).as_list() == [3, 4]


def test_equality_hash_and_pickle():
    assert TensorShape([1, None]) == [1, None] and TensorShape([1]) != [2]
    assert TensorShape(None) == TensorShape(None) and TensorShape(None) != TensorShape([])
    assert hash(TensorShape([1, 2])) == hash(TensorShape((1, 2)))
    assert TensorShape([1]).__eq__("x") is NotImplemented
    assert pickle.loads(pickle.dumps(TensorShape([None, 2]))) == TensorShape([None, 2])


def test_shape_constructors_and_merge_error_messages():
    assert tensor_shape.unknown_shape().ndims is None
    assert tensor_shape.unknown_shape(rank=2).as_list() == [None, None]
    assert tensor_shape.unknown_shape(ndims=1).as_list() == [None]
    assert tensor_shape.scalar().as_list() == [] and tensor_shape.vector(3).as_list() == [3]
    assert tensor_shape.matrix(2, None).as_list() == [2, None]
    assert tensor_shape.merge_error([2, 3], [2, 4]) == (
        "Dimension 1 in both shapes must be equal, but are 3 and 4. Shapes are [2,3] and "
        "[2,4].")
    assert tensor_shape.merge_error([2, 3], [2]) == "Shapes must be equal rank, but are 2 and 1"
    assert tensor_shape.merge_error([None, 3], [2, None]) is None
    assert tensor_shape.merge_error(None, [2]) is None


def test_indexing_gives_ints_with_tf1_value_attribute():
    s = TensorShape([None, 3])
    assert s[1] == 3 and s[1].value == 3 and s[1] + 1 == 4 and str(s[1]) == "3"
    assert isinstance(s[1], int) and s[0] is None
    assert f"{s[1]}" == "3" and repr(s[1]) == "Dimension(3)"
