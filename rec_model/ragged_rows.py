"""Ragged [b, (n)] rows built from a few flat ops, for the per-request path.

`tf.RaggedTensor` computes a value's row (`value_rowids`) from the row splits with a
`tf.repeat` of a dozen ops each time it is asked, and its `tf.concat` and ragged gathers
expand into hundreds of ops; in a one-user `recommend` call those fixed costs are most of
the time. The helpers here build each row partition once, with the value rows cached, so
every later `value_rowids()` is free.
"""

import tensorflow as tf
# TensorFlow has no public constructor for a row partition given both of its encodings (row
# splits and value rows); the public ones rebuild one from the other, a dozen ops or more.
from tensorflow.python.ops.ragged import row_partition as _row_partition


def value_rows(row_splits, num_values):
    """[num_values] int64: the row of each value of a partition with `row_splits` [b + 1].

    A running count of the row starts met so far: one scatter and one cumulative sum, linear
    in the values (a binary search per value, or `tf.repeat`, costs several times more).
    """
    starts = tf.cast(row_splits[1:-1], tf.int64)  # where rows 1.. begin (= size if empty last)
    marks = tf.math.unsorted_segment_sum(tf.ones_like(starts), starts,
                                         tf.cast(num_values, tf.int64) + 1)
    return tf.cumsum(marks[:-1])


def _partitioned(values, row_splits, value_rowids, nrows) -> tf.RaggedTensor:
    """Ragged [nrows, (n)] `values` whose row partition holds both encodings as given.

    Args:
        values: [n] flat values.
        row_splits: [nrows + 1] int64.
        value_rowids: [n] int64, the row of each value (consistent with `row_splits`).
        nrows: scalar int64.
    """
    partition = _row_partition.RowPartition(
        row_splits=row_splits, value_rowids=value_rowids, nrows=nrows,
        internal=_row_partition._row_partition_factory_key)  # pylint: disable=protected-access
    return tf.RaggedTensor._from_row_partition(  # pylint: disable=protected-access
        values, partition, validate=False)


def with_value_rows(rows: tf.RaggedTensor) -> tf.RaggedTensor:
    """The same [b, (n)] ragged tensor, its value rows computed once and cached."""
    splits = tf.cast(rows.row_splits, tf.int64)
    values = rows.flat_values
    return _partitioned(values, splits, value_rows(splits, tf.shape(values, out_type=tf.int64)[0]),
                        tf.shape(splits, out_type=tf.int64)[0] - 1)


def ranges(starts, limits) -> tf.RaggedTensor:
    """[b, (limit - start)] ragged int64 row i = start_i .. limit_i - 1, value rows cached."""
    return with_value_rows(tf.ragged.range(tf.cast(starts, tf.int64), tf.cast(limits, tf.int64)))


def from_mask(values, mask) -> tf.RaggedTensor:
    """[b, n] dense values where `mask` [b, n] holds -> [b, (m)] ragged, value rows cached."""
    where = tf.where(mask)  # [m, 2] (row, column), row-major: rows come out sorted
    lengths = tf.reduce_sum(tf.cast(mask, tf.int64), axis=1)
    splits = tf.concat([tf.zeros([1], tf.int64), tf.cumsum(lengths)], axis=0)
    return _partitioned(tf.gather_nd(values, where), splits, where[:, 0],
                        tf.shape(mask, out_type=tf.int64)[0])


def last_values(rows, last: int):
    """Each row of the ragged tensors `rows` (one row partition) cut to its last `last` values.

    Returns:
        A list of ragged [b, (min(n, last))], value rows cached.
    """
    lead = rows[0]
    ends = lead.row_limits()
    where = ranges(tf.maximum(ends - last, lead.row_starts()), ends)
    return [where.with_flat_values(tf.gather(r.flat_values, where.flat_values)) for r in rows]


def append_rows(first, second, last: int = 0):
    """Row-wise concatenations first[j] ++ second[j], each row cut to its last `last` values.

    Args:
        first / second: sequences of ragged [b, (n1)] / [b, (n2)] tensors; all of `first`
            share one row partition, all of `second` another (e.g. items and their weights).
        last: keep each row's last `last` values (0 = all).

    Returns:
        A list of ragged [b, (min(n1 + n2, last))], one per pair, value rows cached.
    """
    lead_first, lead_second = first[0], second[0]
    first_lengths, second_lengths = lead_first.row_lengths(), lead_second.row_lengths()
    total = first_lengths + second_lengths
    start = tf.maximum(total - last, 0) if last else tf.zeros_like(total)
    where = ranges(start, total)  # position of each output value in its joined row
    rows = where.value_rowids()
    position = where.flat_values
    first_length = tf.gather(first_lengths, rows)
    first_size = tf.shape(lead_first.flat_values, out_type=tf.int64)[0]
    flat = tf.where(position < first_length,
                    tf.gather(lead_first.row_starts(), rows) + position,
                    first_size + tf.gather(lead_second.row_starts(), rows) + position
                    - first_length)
    return [where.with_flat_values(tf.gather(tf.concat([a.flat_values, b.flat_values], 0), flat))
            for a, b in zip(first, second)]
