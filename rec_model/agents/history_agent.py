"""History agent: item-item EDLAE over each item's neighbourhood (a sparse EASE)."""

import time

import numpy as np
import scipy.sparse as sp
import tensorflow as tf

from rec_model import auto_settings, candidates, ragged_rows
from rec_model.agents.base import Agent, read_whole
from rec_model.closed_forms import cold_items, cold_scale, gram, neighbourhood
from rec_model.closed_forms.padded import padded_rows

MIN_ROW_ENTRIES = 16  # row entries read per history item however long the history
COUNT_RANKING = float("inf")  # `gram.pruned_grams` prior that ranks by co-occurrence count


def _dynamic(value, dtype, name):
    value = np.asarray(value, dtype.as_numpy_dtype)
    value = value if value.size else np.zeros(1, dtype.as_numpy_dtype)  # see users.py
    return tf.Variable(value, dtype=dtype, trainable=False, shape=tf.TensorShape([None]),
                       name=name)


class HistoryAgent(Agent):
    """User = the items they interacted with; score(u, j) = sum_i x_ui W[i, j].

    W is the EDLAE solution (Steck 2020; EASE at dropout 0) restricted to each item's most
    similar items (`closed_forms.neighbourhood`: the solve budget's cosine neighbours, or
    twice as many ranked by co-occurrence count where the validation slice prefers them),
    its cold columns imputed from text neighbours at a scale chosen on a simulated cold start
    (`closed_forms.cold_scale`), and each row pruned to its strongest entries. It is stored
    row-wise as ragged (ids, weights) variables, so a request gathers one row per history
    item: those rows are both this agent's retrieval (the items they reach, best summed
    weight first) and its scores for any candidate (zero for items no row reaches). It
    scores a user unknown to the model from the request history.
    """

    retrieves = True

    def __init__(self, config, num_users, num_items, text_dim, **kwargs):
        super().__init__(config, num_users, num_items, text_dim, **kwargs)
        # Rows of zeros until `set_rows`: a valid state of either layout.
        ids, weights, splits = _padded(sp.csr_matrix((num_items, num_items), dtype=np.float32))
        self.row_ids = _dynamic(ids, tf.int32, "row_ids")
        self.row_weights = _dynamic(weights, tf.float32, "row_weights")
        self.row_splits = _dynamic(splits, tf.int64, "row_splits")

    def fit(self, ctx):
        start = time.perf_counter()
        budget = auto_settings.neighbours_for(self.num_items, self.config.neighbours)
        # A refit (no validation slice) keeps the neighbourhood the slice chose.
        k = min(self.settings.get("neighbours", 0), self.num_items - 1) or budget
        prior = self.settings.get("similarity_prior", 0.0)
        l2 = self.config.history_l2 or self.settings.get("l2")
        grid, tried = {}, {}
        if not l2 and ctx.validation is not None:
            k, prior, l2, w, grid, tried = self._best_neighbourhood(ctx, k)
        else:
            pruned = gram.pruned_gram(ctx.matrix, auto_settings.gram_width_for(
                self.num_items, k), prior)
            middle = neighbourhood.L2_GRID[len(neighbourhood.L2_GRID) // 2]
            l2 = l2 or middle * neighbourhood.weight_scale(pruned)
            w = neighbourhood.item_item(pruned, k, l2, self.config.edlae_dropout)
        cold_weight, cold_grid = self._cold_scale(w, ctx, 2 * k)
        mixing = None if ctx.mixing is None else ctx.mixing * cold_weight
        w = cold_items.impute_columns(w, mixing, per_column=2 * k)
        # Rows keep the budget's width whatever neighbourhood the slice chose: a request
        # gathers one row per history item (pruning a grown W so cost nothing measurable).
        w = neighbourhood.prune_rows(w, 2 * budget)
        self.set_rows(w)
        self.settings = {"neighbours": k, "similarity_prior": float(prior),
                         "gram_width": auto_settings.gram_width_for(self.num_items, k),
                         "l2": float(l2),
                         "cold_scale": float(cold_weight),
                         "seconds": time.perf_counter() - start,
                         **{f"validation_ndcg@20_neighbours={n}": v for n, v in tried.items()},
                         **{f"validation_ndcg@20_l2={lam:.4g}": v for lam, v in grid.items()},
                         **{f"validation_ndcg@20_cold_scale={c:g}": v
                            for c, v in cold_grid.items()}}
        return self.settings

    def _best_neighbourhood(self, ctx, k):
        """(neighbours, similarity prior, l2, W, {l2: validation NDCG} of that choice,
        {neighbours: best validation NDCG}) on the validation slice.

        The solve budget's `k` cosine neighbours, or the larger neighbourhood of
        `auto_settings.grown_neighbours_for` ranked by co-occurrence count (which fills the
        extra regressors with items seen often with the target, not rare ones seen only with
        it) when it beats them by more than the slice's noise.
        """
        grown = 0 if self.config.neighbours else auto_settings.grown_neighbours_for(
            self.num_items, k)
        rankings = [(0.0, auto_settings.gram_width_for(self.num_items, k))]
        if grown:
            rankings.append((COUNT_RANKING, auto_settings.gram_width_for(self.num_items, grown)))
        grams = gram.pruned_grams(ctx.matrix, rankings)
        dropout = self.config.edlae_dropout
        l2, w, grid, per_user = neighbourhood.best_l2(grams.pop(0), k, ctx.validation, dropout)
        tried = {k: grid[l2]}
        if grown:
            # Searched from the budget's best: a larger neighbourhood wants more shrinkage,
            # and each trial past the grid's edge costs a pass over the local systems.
            fit = neighbourhood.best_l2(grams.pop(0), grown, ctx.validation, dropout, l2)
            tried[grown] = fit[2][fit[0]]
            if auto_settings.beats_beyond_paired_error(fit[3], per_user):
                return (grown, COUNT_RANKING) + fit[:3] + (tried,)
        return k, 0.0, l2, w, grid, tried

    def _cold_scale(self, w, ctx, per_column):
        """(scale of the imputed cold columns, {scale: validation NDCG}): chosen on a
        simulated cold start when `ctx.validation` is given, else the one chosen before."""
        if ctx.validation is None:
            return self.settings.get("cold_scale", 1.0), {}
        config = self.config
        return cold_scale.choose_scale(w, ctx.text, ctx.matrix.getnnz(axis=0), ctx.validation,
                                       config.cold_neighbours, config.cold_temperature,
                                       per_column, config.seed)

    def imputation_scale(self, neighbours, weights):
        # A mixed column keeps its neighbours' total weight, times the chosen cold scale.
        return np.full(neighbours.shape[0], self.settings.get("cold_scale", 1.0))

    def set_rows(self, w) -> None:
        """W [items, items] scipy CSR: row i = the items history item i scores, with weights.

        Each row is stored strongest entry first; for a catalogue of whole [rows, items]
        blocks every row is padded (id 0, weight 0) to the longest, so a request reads its
        history items' rows as blocks of a [items, width] table instead of entry by entry.
        """
        w = _strongest_first(w.tocsr())
        ids, weights, splits = w.indices, w.data, w.indptr
        if self._dense():
            ids, weights, splits = _padded(w)
        self.row_ids.assign(ids.astype(np.int32))
        self.row_weights.assign(weights.astype(np.float32))
        self.row_splits.assign(splits.astype(np.int64))

    def restored(self) -> None:
        stored = sp.csr_matrix((self.row_weights.numpy(), self.row_ids.numpy(),
                                self.row_splits.numpy()), shape=(self.num_items,) * 2)
        stored.eliminate_zeros()  # padding of an earlier layout
        self.set_rows(stored)

    def user_state(self, users, peer_states):
        """The user's scores of every item the history reaches (the W rows of the history
        items, summed): (ids, scores) ragged [b, (reached)], ids distinct per row, or, for a
        catalogue of whole [rows, items] blocks (`auto_settings.whole_catalogue_rows`), the
        scores of every item [b, items] (0 where no row reaches)."""
        per_row = None
        if self.config.history_entries:
            # Rows are stored strongest entry first: a long history reads each row's head.
            per_row = tf.maximum(
                tf.cast(self.config.history_entries, tf.int64)
                // tf.maximum(users.items.row_lengths(), 1),
                MIN_ROW_ENTRIES)
        if not self._dense():
            rows, ids, weights = self._entries(users, per_row)
            pairs = tf.RaggedTensor.from_value_rowids(ids, rows, nrows=users.items.nrows(),
                                                      validate=False)
            return candidates.sum_per_row(pairs, pairs.with_flat_values(weights),
                                          self.num_items)
        if per_row is None:
            return self._block_sums(users, None, None)
        # Blocks read min(row width, the batch's largest per_row) entries of every history
        # item: a batch mixing short and long histories may need many times the entries the
        # caps allow (2 x history_entries a user at most), and reads entry by entry instead.
        row_width = tf.size(read_whole(self.row_ids), tf.int64) // self.num_items
        width = tf.minimum(tf.reduce_max(per_row), row_width)
        bounded = (tf.size(users.items.flat_values, tf.int64) * width
                   <= 2 * self.config.history_entries * users.items.nrows(out_type=tf.int64))
        return tf.cond(bounded, lambda: self._block_sums(users, per_row, width),
                       lambda: self._dense_sums(users, *self._entries(users, per_row)))

    def _entries(self, users, per_row):
        """(user row, item id, weight) [n] of every row entry the users' histories read."""
        splits = read_whole(self.row_splits)
        starts = tf.gather(splits, users.items.flat_values)
        ends = tf.gather(splits, users.items.flat_values + 1)
        if per_row is not None:
            ends = tf.minimum(ends, starts + tf.gather(per_row, users.items.value_rowids()))
        positions = ragged_rows.ranges(starts, ends)  # [pairs of (user, history item), (k)]
        pair = positions.value_rowids()  # the (user, history item) pair of each entry
        ids = tf.gather(read_whole(self.row_ids), positions.flat_values)
        weights = (tf.gather(read_whole(self.row_weights), positions.flat_values)
                   * tf.gather(users.weights.flat_values, pair))
        return tf.gather(users.items.value_rowids(), pair), ids, weights

    def _dense_sums(self, users, rows, ids, weights):
        """[b, items] sums of the entries' weights per (user row, item id)."""
        keys = tf.cast(rows, tf.int64) * self.num_items + tf.cast(ids, tf.int64)
        cells = users.items.nrows(out_type=tf.int64) * self.num_items
        return tf.reshape(candidates.segment_sums(weights, keys, cells), [-1, self.num_items])

    def _block_sums(self, users, per_row, width):
        """`_dense_sums` of the padded rows read as [history items, width] blocks (each row's
        first `per_row` [b] entries of its user, all of it when None)."""
        items = users.items.flat_values
        ids = tf.gather(tf.reshape(read_whole(self.row_ids), [self.num_items, -1]), items)
        weights = tf.gather(tf.reshape(read_whole(self.row_weights), [self.num_items, -1]),
                            items) * users.weights.flat_values[:, None]
        rows = users.items.value_rowids()
        if per_row is not None:
            width = tf.cast(width, tf.int32)
            ids, weights = ids[:, :width], weights[:, :width]
            read = tf.range(width, dtype=tf.int64)[None, :] < tf.gather(per_row, rows)[:, None]
            weights = tf.where(read, weights, 0.0)
        rows = tf.broadcast_to(rows[:, None], tf.shape(ids, out_type=tf.int64))
        return self._dense_sums(users, tf.reshape(rows, [-1]), tf.reshape(ids, [-1]),
                                tf.reshape(weights, [-1]))

    def _dense(self) -> bool:
        return auto_settings.whole_catalogue_rows(self.num_items)

    def score(self, state, candidate_ids):
        if self._dense():
            found = tf.gather(state, tf.maximum(candidate_ids, 0), batch_dims=1)
            return tf.where(candidate_ids >= 0, found, 0.0)
        ids, sums = state
        return candidates.sum_at(ids, sums, candidate_ids, self.num_items)

    def retrieve(self, state, n, exclude):
        if self._dense():
            return _top_reached(state, n, exclude)
        ids, sums = state
        vetoed = candidates.member_of_flat(ids, exclude, self.num_items)
        return candidates.top_per_row(ids, sums.with_flat_values(
            tf.where(vetoed, -1e9, sums.flat_values)), n)


def _top_reached(scores, n, exclude):
    """[b, n] int32: the n best-scored items of `scores` [b, items] that some history row
    reaches (score != 0) and `exclude` [b, (m)] does not hold; PAD where fewer."""
    reached = tf.where(tf.equal(scores, 0.0), -np.inf, scores)
    where = tf.stack([tf.cast(exclude.value_rowids(), tf.int32),
                      tf.cast(exclude.flat_values, tf.int32)], axis=1)
    found = candidates.top_columns(reached, where, n)
    return tf.pad(found, [[0, 0], [0, tf.cast(n, tf.int32) - tf.shape(found)[1]]],
                  constant_values=candidates.PAD)


def _padded(w: sp.csr_matrix):
    """(ids, weights, splits) of w's rows each padded with (0, 0.0) to the longest row."""
    ids, weights = padded_rows(w)
    return ids.ravel(), weights.ravel(), np.arange(w.shape[0] + 1, dtype=np.int64) * ids.shape[1]


def _strongest_first(w: sp.csr_matrix) -> sp.csr_matrix:
    """The same rows, each ordered by decreasing |weight| (a row's head is its strongest)."""
    rows = np.repeat(np.arange(w.shape[0]), np.diff(w.indptr))
    order = np.lexsort((-np.abs(w.data), rows))
    return sp.csr_matrix((w.data[order], w.indices[order], w.indptr), shape=w.shape)
