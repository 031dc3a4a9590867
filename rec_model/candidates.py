"""Per-row set operations on item ids with plain TF ops (Unique, segment sums, gathers).

Rows of a batch are kept apart by keying each id as row * (num_items + 1) + id, so one
`tf.unique` over the flattened batch serves every row; all costs are linear in the number
of ids handled, never in the catalogue size.
"""

import tensorflow as tf

PAD = -1  # padding id in candidate tensors


def _keys(rows, ids, num_items):
    return tf.cast(rows, tf.int64) * (num_items + 1) + tf.cast(ids, tf.int64)


def _rows_like(ids):
    """[b, n] -> [b, n] row numbers."""
    shape = tf.shape(ids)
    return tf.broadcast_to(tf.range(shape[0])[:, None], shape)


def unique_per_row(ids, num_items: int, min_width=None):
    """Distinct valid ids per row, in order of first appearance.

    Args:
        ids: [b, n] int32 item ids, PAD (< 0) ignored.
        num_items: catalogue size.
        min_width: optional scalar; the output has at least this many columns.

    Returns:
        [b, C] int32, rows padded with PAD.
    """
    ids = tf.convert_to_tensor(ids)
    batch = tf.shape(ids)[0]
    valid = ids >= 0
    rows = tf.boolean_mask(_rows_like(ids), valid)
    keys = _keys(rows, tf.boolean_mask(ids, valid), num_items)
    unique, _ = tf.unique(keys)
    row = tf.cast(unique // (num_items + 1), tf.int32)
    item = tf.cast(unique % (num_items + 1), tf.int32)
    ragged = tf.RaggedTensor.from_value_rowids(item, row, nrows=batch, validate=False)
    dense = ragged.to_tensor(default_value=PAD)
    if min_width is not None:
        missing = tf.maximum(tf.cast(min_width, tf.int32) - tf.shape(dense)[1], 0)
        dense = tf.pad(dense, [[0, 0], [0, missing]], constant_values=PAD)
    return dense


def sum_at(pair_ids: tf.RaggedTensor, pair_values: tf.RaggedTensor, candidates, num_items: int):
    """For each row, the sum of `pair_values` whose id equals each candidate.

    Args:
        pair_ids / pair_values: [b, (m)] ragged (id, value) pairs, ids may repeat.
        candidates: [b, C] int32 (PAD allowed: gets 0).
        num_items: catalogue size.

    Returns:
        [b, C] float32.
    """
    pair_keys = _keys(pair_ids.value_rowids(), pair_ids.flat_values, num_items)
    cand_keys = tf.reshape(_keys(_rows_like(candidates), tf.maximum(candidates, 0), num_items), [-1])
    unique, index = tf.unique(tf.concat([pair_keys, cand_keys], axis=0))
    n_pairs = tf.shape(pair_keys)[0]
    sums = tf.math.unsorted_segment_sum(tf.cast(pair_values.flat_values, tf.float32),
                                        index[:n_pairs], tf.shape(unique)[0])
    out = tf.reshape(tf.gather(sums, index[n_pairs:]), tf.shape(candidates))
    return tf.where(candidates >= 0, out, 0.0)


def _in_sets(query_keys, sets: tf.RaggedTensor, num_items: int):
    set_keys = _keys(sets.value_rowids(), sets.flat_values, num_items)
    unique, index = tf.unique(tf.concat([set_keys, query_keys], axis=0))
    n_sets = tf.shape(set_keys)[0]
    hit = tf.math.unsorted_segment_max(tf.ones([n_sets], tf.int32), index[:n_sets],
                                       tf.shape(unique)[0])
    return tf.gather(hit, index[n_sets:]) > 0


def member_of(candidates, sets: tf.RaggedTensor, num_items: int):
    """[b, C] bool: candidate is in its row of `sets` ([b, (m)] ids)."""
    keys = tf.reshape(_keys(_rows_like(candidates), tf.maximum(candidates, 0), num_items), [-1])
    found = tf.reshape(_in_sets(keys, sets, num_items), tf.shape(candidates))
    return found & (candidates >= 0)


def member_of_flat(ids: tf.RaggedTensor, sets: tf.RaggedTensor, num_items: int):
    """[total ids] bool: each id of the ragged `ids` [b, (u)] is in its row of `sets`."""
    return _in_sets(_keys(ids.value_rowids(), ids.flat_values, num_items), sets, num_items)


def sum_per_row(pair_ids: tf.RaggedTensor, pair_values: tf.RaggedTensor, num_items: int):
    """Distinct ids per row with their summed values.

    Args:
        pair_ids / pair_values: [b, (m)] ragged pairs (ids may repeat).

    Returns:
        (ids [b, (u)] int32 ragged, sums [b, (u)] float32 ragged).
    """
    batch = pair_ids.nrows(out_type=tf.int32)
    keys = _keys(pair_ids.value_rowids(), pair_ids.flat_values, num_items)
    unique, index = tf.unique(keys)
    sums = tf.math.unsorted_segment_sum(tf.cast(pair_values.flat_values, tf.float32), index,
                                        tf.shape(unique)[0])
    row = tf.cast(unique // (num_items + 1), tf.int32)
    item = tf.cast(unique % (num_items + 1), tf.int32)
    return (tf.RaggedTensor.from_value_rowids(item, row, nrows=batch, validate=False),
            tf.RaggedTensor.from_value_rowids(sums, row, nrows=batch, validate=False))


def top_per_row(ids: tf.RaggedTensor, values: tf.RaggedTensor, n):
    """The `n` ids with the largest value per row (PAD where a row has fewer; values below
    -1e8 count as vetoed).

    Args:
        ids / values: [b, (u)] ragged, ids distinct within a row (`sum_per_row`).
        n: scalar int32.

    Returns:
        [b, n] int32.
    """
    ids = ids.to_tensor(default_value=PAD)
    values = values.to_tensor(default_value=float("-inf"))
    width = tf.shape(ids)[1]
    take = tf.minimum(tf.cast(n, tf.int32), width)
    top = tf.math.top_k(values, k=take)
    picked = tf.gather(ids, top.indices, batch_dims=1)
    picked = tf.where(top.values > -1e8, picked, PAD)  # -inf padding and vetoed ids
    return tf.pad(picked, [[0, 0], [0, tf.cast(n, tf.int32) - take]], constant_values=PAD)
