"""Rows of a sparse matrix as padded dense blocks (numpy side)."""

from typing import Tuple

import numpy as np
import scipy.sparse as sp


def padded_rows(matrix: sp.csr_matrix) -> Tuple[np.ndarray, np.ndarray]:
    """(column ids [rows, width] int32, values [rows, width] float32) of each row's entries in
    their stored order, padded with (0, 0.0) to the longest row (width at least 1)."""
    lengths = np.diff(matrix.indptr)
    width = max(int(lengths.max(initial=0)), 1)
    rows = np.repeat(np.arange(matrix.shape[0]), lengths)
    slots = np.arange(matrix.nnz) - np.repeat(matrix.indptr[:-1], lengths)
    ids = np.zeros((matrix.shape[0], width), np.int32)
    values = np.zeros((matrix.shape[0], width), np.float32)
    ids[rows, slots], values[rows, slots] = matrix.indices, matrix.data
    return ids, values
