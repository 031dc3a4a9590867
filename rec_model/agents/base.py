"""The small interface every agent implements, and the factor-model base most agents share.

An agent is one recommendation algorithm. The ensemble only ever asks it for:
  * `user_state(users)`: its representation of a batch of users (from `Users`);
  * `score(state, candidates)`: its scores [b, C] for given candidate items;
  * `retrieve(state, n)`: up to n candidates of its own per user (or None);
  * `in_batch_logits(state, items)`: [b, n] scores of a shared list of items (the batch's
    sampled negatives) for the sampled softmax of the pairs stage (None when it has none);
plus its fitted state (`fit`, from the interactions, in numpy) and `finalize` (serving
tables and cold-item rows once training is done), and `imputation_scale` (how it would score
an item known by its text neighbours alone; the default fits an agent that mixes theirs).
Gradient-trained weights are ordinary Keras weights; fitted state lives in non-trainable
variables.
"""

import dataclasses
from typing import Dict, List, Optional, Sequence

import numpy as np
import scipy.sparse as sp
import tensorflow as tf

from rec_model import auto_settings, candidates
from rec_model.closed_forms import cold_items
from rec_model.interactions import Interactions


def read_whole(table: tf.Variable) -> tf.Tensor:
    """The value of a fitted table that requests read whole (a brute-force scan) and by rows.

    Row reads must gather from this value, never from the variable: one gather of the variable
    (ResourceGather) puts it in copy-on-read mode for good, and from then on every whole read
    copies the table (25 MB per request at 100,000 items x 64). Trainable tables are gathered
    as variables (their sparse updates need it) and never read whole.
    """
    return tf.convert_to_tensor(table)


@dataclasses.dataclass
class FitContext:
    """What an agent may fit on (numpy side).

    Attributes:
        data: the interactions to fit on.
        matrix: [users, items] CSR interaction weights of `data` (rating-weighted).
        text: [items, text_dim] item text embeddings.
        mixing: cold-item text mixing (`closed_forms.cold_items.text_mixing`) or None.
        validation: optional `auto_settings.Validation` to choose settings on (None on the
            final refit, which reuses the settings chosen before).
        config: the ModelConfig.
    """

    data: Interactions
    matrix: sp.csr_matrix
    text: np.ndarray
    mixing: Optional[sp.csr_matrix]
    validation: Optional[object]
    config: object

    @property
    def known(self) -> np.ndarray:
        return np.asarray(self.matrix.getnnz(axis=0) > 0)


class Agent(tf.keras.layers.Layer):
    """Base class; see the module docstring for the interface.

    Args:
        config: ModelConfig.
        num_users / num_items / text_dim: sizes.
    """

    gradient_trained = False
    retrieves = False  # proposes candidates from the whole catalogue

    def __init__(self, config, num_users: int, num_items: int, text_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.config, self.num_users, self.num_items, self.text_dim = (
            config, num_users, num_items, text_dim)
        self.settings: Dict[str, float] = {}
        self.peers: List["Agent"] = []  # the agents whose states this one's `user_state` reads

    def connect(self, peers: Sequence["Agent"], item_stats) -> None:
        """Called once by the model.

        Args:
            peers: the agents registered before this one (whose states it may read).
            item_stats: the model's `ItemStatistics` (popularity, known flag).
        """
        self.item_stats = item_stats

    def fit(self, ctx: FitContext) -> Dict[str, float]:
        """Fits closed-form state; returns the settings it used (kept in `self.settings`)."""
        return {}

    def finalize(self, ctx: FitContext) -> None:
        """After training: fill cold items' rows and precompute serving tables."""

    def thaw(self) -> None:
        """Before (more) training: compute from the trainable weights again."""

    def restored(self) -> None:
        """After its variables are restored: derive again what serving reads from the fitted
        state (a state saved by an earlier version may lack it, or hold another layout)."""

    def imputation_scale(self, neighbours: np.ndarray, weights: np.ndarray):
        """How this agent would score items it knew by their text neighbours alone (cold
        items, imputed as in `finalize`): score(u, c) = scale_c * sum_j w_cj score(u, j).

        The base agent's fitted state of a cold item is its neighbours' plain mix (scale 1).

        Args:
            neighbours: [n, m] int item ids (any id where the weight is 0).
            weights: [n, m] text mixing weights of each item's neighbours.

        Returns:
            [n] float64 scales, or None when the agent scores an item without its
            interactions (a cold item then scores as it does now).
        """
        return np.ones(neighbours.shape[0])

    def user_state(self, users, peer_states: Dict[str, object]):
        """This agent's representation of `users`; `peer_states` holds the states of the
        agents registered before it (by name)."""
        raise NotImplementedError

    def score(self, state, candidates):
        raise NotImplementedError

    def retrieve(self, state, n, exclude):
        """Up to n candidates [b, n] int32 (PAD-padded) not in `exclude` [b, (m)], or None."""
        return None

    def in_batch_logits(self, state, items):
        """[b, n] scores of the same `items` [n] for every user (None: no sampled softmax)."""
        return None

    def regularization(self, users, positives):
        return tf.constant(0.0)

    def indexed_variables(self):
        """(variable, axes) pairs indexed by "user"/"item" rows, for warm starts."""
        return []

    def get_config(self):
        return {**super().get_config(), "num_users": self.num_users, "num_items": self.num_items,
                "text_dim": self.text_dim}


class FactorAgent(Agent):
    """An agent whose scores are dot products of user and item vectors.

    Subclasses define `user_vectors(users)` [b, d] and `item_vectors(ids)` [..., d]; items
    may come from a table built by `finalize` (`serving_items`), so requests only gather
    rows. With `retrieves = True` the agent proposes its brute-force top-n (`brute_force`,
    which the model also calls on its first factor agent when no ranking agent retrieves).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.serving_items = None  # [items, d] variable once finalized (towers precomputed)
        self.frozen = False  # True after `set_serving_items`: requests read the table

    def thaw(self) -> None:
        """Back to computing item vectors from the trainable weights (before training)."""
        self.frozen = False

    def user_vectors(self, users):
        raise NotImplementedError

    def item_vectors(self, ids):
        raise NotImplementedError

    def item_table(self):
        """[items, d] every item's vector."""
        if self.frozen:
            return read_whole(self.serving_items)
        return self.item_vectors(tf.range(self.num_items))

    def set_serving_items(self, table: np.ndarray) -> None:
        table = np.asarray(table, np.float32)
        if self.serving_items is None:
            self.serving_items = tf.Variable(table, trainable=False, name="serving_items")
        else:
            self.serving_items.assign(table)
        self.frozen = True

    def imputation_scale(self, neighbours, weights):
        # `finalize` imputes a cold row with `cold_items.impute_rows`: the mix, rescaled.
        rows = self._vectors_of(tf.constant(neighbours)).numpy()  # [n, m, d], those rows only
        return cold_items.mix_norm_ratio(rows, weights)

    def _vectors_of(self, ids):
        if self.frozen:
            return tf.gather(read_whole(self.serving_items), ids)
        return self.item_vectors(ids)

    def user_state(self, users, peer_states):
        return self.user_vectors(users)

    def score(self, state, candidates):
        vectors = self._vectors_of(tf.maximum(candidates, 0))  # [b, C, d]
        # Multiply-and-sum, not einsum: a one-user request (the common case) pays einsum's
        # fixed cost (about 0.1 ms on CPU) four times over.
        return tf.reduce_sum(vectors * state[:, None, :], axis=-1)

    def in_batch_logits(self, state, items):
        return tf.matmul(state, self._vectors_of(items), transpose_b=True)

    def retrieve(self, state, n, exclude):
        if not self.retrieves:
            return None
        return self.brute_force(state, n, exclude)

    def brute_force(self, state, n, exclude):
        """Top-n of every item's score, `exclude` [b, (m)] left out (PAD where too few)."""
        return search_top_n(state, self.item_table(), self.num_items, n,
                            tf.cast(exclude.value_rowids(), tf.int32),
                            tf.cast(exclude.flat_values, tf.int32))


def search_top_n(state, table, num_rows: int, n, excluded_rows, excluded_columns):
    """Brute force: the n best rows of `table` for each user, some (user, row) cells left out.

    A large table is searched for a few users at a time (`auto_settings.users_per_call`), so
    a request's [users, rows] score block stays bounded whatever its batch; a table small
    enough for a full request in one block gets no loop.

    Args:
        state: [b, d] user vectors.
        table: [num_rows, d] vectors searched.
        num_rows: the table's rows (a Python int: it sizes the blocks).
        n: scalar int32.
        excluded_rows / excluded_columns: [m] int32 (user, table row) cells never picked.

    Returns:
        [b, min(n, num_rows)] int32 table rows, best first, PAD where too few.
    """
    def top_n(block, rows, columns):
        scores = tf.matmul(block, table, transpose_b=True)  # [block users, num_rows]
        if scores.shape[1] is None:  # a table of varying rows: top_columns wants the width
            scores = tf.ensure_shape(scores, [None, num_rows])
        return candidates.top_columns(scores, tf.stack([rows, columns], axis=1), n)

    if auto_settings.whole_catalogue_rows(num_rows):
        return top_n(state, excluded_rows, excluded_columns)
    step = auto_settings.users_per_call(num_rows, cap=auto_settings.UNCHUNKED_USERS)
    batch = tf.shape(state)[0]

    def search_block(start, found):
        end = tf.minimum(start + step, batch)
        inside = (excluded_rows >= start) & (excluded_rows < end)
        block = top_n(state[start:end], tf.boolean_mask(excluded_rows, inside) - start,
                      tf.boolean_mask(excluded_columns, inside))
        return start + step, tf.concat([found, block], axis=0)

    width = tf.minimum(tf.cast(n, tf.int32), num_rows)
    _, found = tf.while_loop(
        lambda start, _: start < batch, search_block,
        [tf.constant(0), tf.zeros([0, width], tf.int32)],
        shape_invariants=[tf.TensorShape([]), tf.TensorShape([None, None])])
    return found
