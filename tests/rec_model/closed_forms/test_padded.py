import numpy as np
import scipy.sparse as sp

from rec_model.closed_forms.padded import padded_rows


def test_rows_keep_their_stored_order_and_are_padded_to_the_longest():
    # Row 0 stored out of column order (strongest first), row 1 empty, row 2 one entry.
    matrix = sp.csr_matrix((np.array([0.9, 0.5, 0.1, 0.7]), np.array([4, 1, 3, 2]),
                            np.array([0, 3, 3, 4])), shape=(3, 5))
    ids, values = padded_rows(matrix)
    np.testing.assert_array_equal(ids, [[4, 1, 3], [0, 0, 0], [2, 0, 0]])
    np.testing.assert_allclose(values, [[0.9, 0.5, 0.1], [0, 0, 0], [0.7, 0, 0]])


def test_a_matrix_without_entries_gives_one_padding_column():
    ids, values = padded_rows(sp.csr_matrix((2, 4), dtype=np.float32))
    assert ids.shape == values.shape == (2, 1) and not values.any()
