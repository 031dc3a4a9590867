"""Per-row set operations on item ids with plain TF ops (Unique, segment sums, gathers).

Rows of a batch are kept apart by keying each id as row * (num_items + 1) + id, so one
`tf.unique` over the flattened batch serves every row (`_unique_pairs`); all costs are linear
in the number of ids handled, never in the catalogue size. A catalogue small enough for
whole [rows, items] blocks (`auto_settings.whole_catalogue_rows`) tests membership on a dense
mask of those keys instead: a segment sum costs less than hashing there.
"""

import tensorflow as tf

from rec_model import auto_settings

PAD = -1  # padding id in candidate tensors
# Entries `segment_sums` adds in one pass (on 2 cores, CPU segment sums shard past 32,000-45,000).
SERIAL_SUM_ENTRIES = 32768


_KEY_LIMIT = 2**31 - 1


def _unique_pairs(rows, ids, num_items: int, nrows):
    """Distinct (row, id) pairs, in order of first appearance.

    Each pair is keyed as row * (num_items + 1) + id; the keys are int32 (hashed 2-3x faster
    than int64) whenever every key of `nrows` rows fits, int64 otherwise.

    Args:
        rows / ids: [n] integer row numbers (< nrows) and item ids (<= num_items).
        num_items: catalogue size.
        nrows: scalar, the number of rows.

    Returns:
        (rows [u] int32, ids [u] int32, index [n] int32: each pair's position among them).
    """
    width = num_items + 1

    def keyed(dtype):
        def unique():
            keys = tf.cast(rows, dtype) * width + tf.cast(ids, dtype)
            distinct, index = tf.unique(keys)
            return (tf.cast(distinct // width, tf.int32), tf.cast(distinct % width, tf.int32),
                    index)
        return unique

    fits = tf.cast(nrows, tf.int64) <= _KEY_LIMIT // width
    return tf.cond(fits, keyed(tf.int32), keyed(tf.int64))


def _rows_like(ids):
    """[b, n] -> [b, n] row numbers."""
    shape = tf.shape(ids)
    return tf.broadcast_to(tf.range(shape[0])[:, None], shape)


def _flat_pairs(candidates):
    """[b, C] ids -> ([b * C] row numbers, [b * C] ids with PAD read as item 0)."""
    return (tf.reshape(_rows_like(candidates), [-1]),
            tf.reshape(tf.maximum(candidates, 0), [-1]))


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
    row, item, _ = _unique_pairs(rows, tf.boolean_mask(ids, valid), num_items, batch)
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
    cand_rows, cand_ids = _flat_pairs(candidates)
    rows = tf.concat([tf.cast(pair_ids.value_rowids(), tf.int32), cand_rows], axis=0)
    ids = tf.concat([pair_ids.flat_values, cand_ids], axis=0)
    unique, _, index = _unique_pairs(rows, ids, num_items, tf.shape(candidates)[0])
    n_pairs = tf.shape(pair_ids.flat_values)[0]
    sums = tf.math.unsorted_segment_sum(tf.cast(pair_values.flat_values, tf.float32),
                                        index[:n_pairs], tf.shape(unique)[0])
    out = tf.reshape(tf.gather(sums, index[n_pairs:]), tf.shape(candidates))
    return tf.where(candidates >= 0, out, 0.0)


def segment_sums(values, keys, size):
    """[size] float32: the sum of `values` [n] at each of their `keys` [n] (in [0, size)).

    Up to SERIAL_SUM_ENTRIES entries a segment sum (one pass on one thread); beyond, a
    bincount: TensorFlow's CPU segment sum splits its output among threads and has each of
    them scan every entry, so a batch of users (evaluation, batch scoring) would cost it
    several passes (the item-item sums of 2 MovieLens-100K users took 0.75 ms, of one 0.08).
    """
    values = tf.cast(values, tf.float32)
    return tf.cond(
        tf.size(keys) <= SERIAL_SUM_ENTRIES,
        lambda: tf.math.unsorted_segment_sum(values, keys, size),
        lambda: tf.math.bincount(keys, values, minlength=size, maxlength=size,
                                 dtype=tf.float32))


def _in_sets(query_rows, query_ids, sets: tf.RaggedTensor, num_items: int):
    if auto_settings.whole_catalogue_rows(num_items):
        return _in_dense_sets(query_rows, query_ids, sets, num_items)
    return _in_pairs(query_rows, query_ids, sets.value_rowids(), sets.flat_values, num_items,
                     sets.nrows())


def _in_pairs(query_rows, query_ids, set_rows, set_ids, num_items: int, nrows):
    """[n] bool: each (query row, query id) is one of the (set row, set id) pairs (hashed)."""
    rows = tf.concat([tf.cast(set_rows, tf.int32), tf.cast(query_rows, tf.int32)], 0)
    ids = tf.concat([tf.cast(set_ids, tf.int32), tf.cast(query_ids, tf.int32)], axis=0)
    unique, _, index = _unique_pairs(rows, ids, num_items, nrows)
    n_sets = tf.shape(set_ids)[0]
    hit = tf.math.unsorted_segment_max(tf.ones([n_sets], tf.int32), index[:n_sets],
                                       tf.shape(unique)[0])
    return tf.gather(hit, index[n_sets:]) > 0


def _in_dense_sets(query_rows, query_ids, sets: tf.RaggedTensor, num_items: int):
    """`_in_sets` on a [rows * (num_items + 1)] count of the sets' keys."""
    width = tf.constant(num_items + 1, tf.int64)
    keys = tf.cast(sets.value_rowids(), tf.int64) * width + tf.cast(sets.flat_values, tf.int64)
    counts = tf.math.unsorted_segment_sum(tf.ones_like(keys, tf.int32), keys,
                                          tf.cast(sets.nrows(), tf.int64) * width)
    query = tf.cast(query_rows, tf.int64) * width + tf.cast(query_ids, tf.int64)
    return tf.gather(counts, query) > 0


def member_of(candidates, sets: tf.RaggedTensor, num_items: int):
    """[b, C] bool: candidate is in its row of `sets` ([b, (m)] ids)."""
    found = tf.reshape(_in_sets(*_flat_pairs(candidates), sets, num_items), tf.shape(candidates))
    return found & (candidates >= 0)


def member_of_flat(ids: tf.RaggedTensor, sets: tf.RaggedTensor, num_items: int):
    """[total ids] bool: each id of the ragged `ids` [b, (u)] is in its row of `sets`."""
    return _in_sets(ids.value_rowids(), ids.flat_values, sets, num_items)


def sum_per_row(pair_ids: tf.RaggedTensor, pair_values: tf.RaggedTensor, num_items: int):
    """Distinct ids per row with their summed values.

    Args:
        pair_ids / pair_values: [b, (m)] ragged pairs (ids may repeat).

    Returns:
        (ids [b, (u)] int32 ragged, sums [b, (u)] float32 ragged).
    """
    batch = pair_ids.nrows(out_type=tf.int32)
    row, item, index = _unique_pairs(pair_ids.value_rowids(), pair_ids.flat_values, num_items,
                                     batch)
    sums = tf.math.unsorted_segment_sum(tf.cast(pair_values.flat_values, tf.float32), index,
                                        tf.shape(row)[0])
    return (tf.RaggedTensor.from_value_rowids(item, row, nrows=batch, validate=False),
            tf.RaggedTensor.from_value_rowids(sums, row, nrows=batch, validate=False))


def top_columns(scores, excluded, n):
    """The columns of the n best `scores` per row, some cells left out.

    A narrow block (`auto_settings.whole_catalogue_rows` of its static width) gets -inf
    written into its excluded cells; a wider one is not copied for that (writing a few cells
    of a [rows, 100,000] block costs a copy of all of it, about a sixth of a brute-force
    search): its top n + (most cells a row excludes) are taken and the excluded dropped.

    Args:
        scores: [b, C] float32; -inf cells are never picked.
        excluded: [m, 2] int32 (row, column) cells never picked.
        n: scalar int32.

    Returns:
        [b, min(n, C)] int32 column indices, best first, PAD where a row has too few.
    """
    width = scores.shape[1]
    if width is None or auto_settings.whole_catalogue_rows(width):
        scores = tf.tensor_scatter_nd_update(scores, excluded,
                                             tf.fill([tf.shape(excluded)[0]], float("-inf")))
        top = tf.math.top_k(scores, k=tf.minimum(tf.cast(n, tf.int32), tf.shape(scores)[1]))
        return tf.where(tf.math.is_finite(top.values), top.indices, PAD)
    batch = tf.shape(scores)[0]
    per_row = tf.math.unsorted_segment_sum(tf.ones_like(excluded[:, 0]), excluded[:, 0], batch)
    n = tf.minimum(tf.cast(n, tf.int32), width)
    top = tf.math.top_k(scores, k=tf.minimum(n + tf.maximum(tf.reduce_max(per_row), 0), width))
    rows, columns = _flat_pairs(top.indices)
    hit = _in_pairs(rows, columns, excluded[:, 0], excluded[:, 1], width, batch)
    kept = tf.where(tf.reshape(hit, tf.shape(top.values)), float("-inf"), top.values)
    best = tf.math.top_k(kept, k=n)  # the order of `top` among the kept: ties stay by column
    return tf.where(tf.math.is_finite(best.values),
                    tf.gather(top.indices, best.indices, batch_dims=1), PAD)


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
