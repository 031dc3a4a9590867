import numpy as np
import pytest
import tensorflow as tf

from rec_model import ragged_rows


def _ragged(rows, dtype=tf.int32):
    return tf.ragged.constant(rows, dtype=dtype, ragged_rank=1)


def test_value_rows_match_ragged_value_rowids_with_empty_rows():
    rows = _ragged([[], [1, 2, 3], [], [], [4], []])
    cached = ragged_rows.with_value_rows(rows)
    np.testing.assert_array_equal(cached.value_rowids(), rows.value_rowids())
    assert cached.to_list() == rows.to_list()
    assert cached.nrows() == 6


def test_ranges_and_from_mask():
    assert ragged_rows.ranges([2, 5, 0], [4, 5, 1]).to_list() == [[2, 3], [], [0]]
    values = tf.constant([[3, -1, 4], [-1, -1, -1], [5, 9, -1]])
    masked = ragged_rows.from_mask(values, values >= 0)
    assert masked.to_list() == [[3, 4], [], [5, 9]]
    np.testing.assert_array_equal(masked.value_rowids(), [0, 0, 2, 2])
    np.testing.assert_array_equal(masked.row_splits, [0, 2, 2, 4])


@pytest.mark.parametrize("mask", [[[False, False]], [[True], [False], [True]], np.zeros((0, 3))])
def test_from_mask_keeps_both_encodings_consistent_in_a_graph(mask):
    mask = np.asarray(mask, bool)
    values = np.arange(mask.size, dtype=np.int32).reshape(mask.shape)

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32),
                                  tf.TensorSpec([None, None], tf.bool)])
    def parts(v, m):
        ragged = ragged_rows.from_mask(v, m)
        return ragged.flat_values, ragged.row_splits, ragged.value_rowids(), ragged.nrows()

    flat, splits, rows, nrows = parts(values, mask)
    expected = tf.ragged.boolean_mask(values, mask)
    np.testing.assert_array_equal(flat, expected.flat_values)
    np.testing.assert_array_equal(splits, expected.row_splits)
    np.testing.assert_array_equal(rows, expected.value_rowids())
    assert int(nrows) == mask.shape[0]


@pytest.mark.parametrize("last", [0, 1, 2, 3, 10])
def test_append_rows_is_concat_then_last(last):
    first = [[1, 2, 3, 4], [], [5], [6, 7]]
    second = [[9], [8, 7], [], [1, 2, 3]]
    items = ragged_rows.append_rows([_ragged(first), _ragged(first, tf.float32)],
                                    [_ragged(second), _ragged(second, tf.float32)], last)
    expected = [(a + b)[-last:] if last else a + b for a, b in zip(first, second)]
    assert items[0].to_list() == expected
    assert items[1].to_list() == [[float(v) for v in row] for row in expected]
    np.testing.assert_array_equal(items[0].value_rowids(),
                                  _ragged(expected).value_rowids())


@pytest.mark.parametrize("last", [1, 2, 10])
def test_last_values_cut_every_row_to_its_tail(last):
    rows = [[1, 2, 3, 4], [], [5], [6, 7]]
    # A sliced tensor: its rows do not start at 0, which the cut must respect.
    sliced = _ragged([[0, 0]] + rows)[1:]
    cut = ragged_rows.last_values([sliced, _ragged([[0.5, 0.5]] + rows, tf.float32)[1:]], last)
    assert cut[0].to_list() == [row[-last:] for row in rows]
    assert cut[1].to_list() == [[float(v) for v in row[-last:]] for row in rows]
    np.testing.assert_array_equal(cut[0].value_rowids(), _ragged(cut[0].to_list()).value_rowids())


def test_append_rows_of_empty_batch_and_inside_a_graph():
    empty = tf.RaggedTensor.from_row_splits(
        tf.zeros([0], tf.int32), tf.zeros([1], tf.int64))
    assert ragged_rows.append_rows([empty], [empty])[0].to_list() == []

    @tf.function(input_signature=[tf.RaggedTensorSpec([None, None], tf.int32, 1, tf.int64)] * 2)
    def joined(a, b):
        return ragged_rows.append_rows([a], [b], 2)[0]

    assert joined(_ragged([[1, 2, 3], [4]]), _ragged([[5], []])).to_list() == [[3, 5], [4]]
