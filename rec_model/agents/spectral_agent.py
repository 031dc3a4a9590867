"""Spectral agent: collaborative filtering as a low-pass filter on the item graph (GF-CF)."""

import time

import numpy as np
import tensorflow as tf

from rec_model.agents.base import FactorAgent, read_whole
from rec_model.closed_forms import cold_items, spectral
from rec_model.users import weighted_sum

RANK_GRID = (32, 64, 128, 256)  # tried on the validation slice (nested: one decomposition)
MIN_RANK = 4  # while the grid's smallest rank wins, half of it is tried too, down to this


class SpectralAgent(FactorAgent):
    """User vector = sum of the history items' `left` rows; item vector = `right` row.

    The factors are GF-CF's ideal low-pass filter (Shen et al., CIKM 2021) from a randomised
    SVD of the degree-normalised interactions (`closed_forms.spectral`): where the history
    and CF agents see neighbourhoods and individual users, this agent sees the catalogue's
    few global taste axes. The rank is chosen on the validation slice; items without
    interactions borrow their text neighbours' rows.
    """

    def __init__(self, config, num_users, num_items, text_dim, **kwargs):
        super().__init__(config, num_users, num_items, text_dim, **kwargs)
        shape = tf.TensorShape([num_items, None])
        self.left = tf.Variable(np.zeros((num_items, 1), np.float32), trainable=False,
                                shape=shape, name="left")
        self.right = tf.Variable(np.zeros((num_items, 1), np.float32), trainable=False,
                                 shape=shape, name="right")

    def indexed_variables(self):
        return [(self.left, ("item", None)), (self.right, ("item", None))]

    def fit(self, ctx):
        start = time.perf_counter()
        rank = self.config.spectral_rank or self.settings.get("rank")
        grid = {}
        if rank:
            factors = spectral.spectral_factors(ctx.matrix, int(rank), seed=self.config.seed)
        else:
            usable = ([r for r in RANK_GRID if r < max(2, self.num_items // 4)]
                      or [max(1, self.num_items // 4)])  # tiny catalogues: a quarter of it
            factors = spectral.spectral_factors(ctx.matrix, usable[-1], seed=self.config.seed)
            if ctx.validation is not None and len(usable) > 1:
                def trial(r):
                    left, right = factors.left[:, :r], factors.right[:, :r]
                    grid[r] = ctx.validation.ndcg(lambda src: (src @ left) @ right.T)

                for r in usable:
                    trial(r)
                while max(grid, key=grid.get) == min(grid) and min(grid) // 2 >= MIN_RANK:
                    trial(min(grid) // 2)  # a prefix of the same factors: no new solve
                rank = max(grid, key=grid.get)
            else:
                rank = usable[min(1, len(usable) - 1)]
        rank = int(min(rank, factors.left.shape[1]))
        self.left.assign(cold_items.impute_rows(factors.left[:, :rank], ctx.mixing))
        self.right.assign(cold_items.impute_rows(factors.right[:, :rank], ctx.mixing))
        self.settings = {"rank": rank, "seconds": time.perf_counter() - start,
                         **{f"validation_ndcg@20_rank={r}": v for r, v in grid.items()}}
        return self.settings

    def user_vectors(self, users):
        return weighted_sum(self.left, users)

    def item_vectors(self, ids):
        return tf.gather(read_whole(self.right), ids)

    def item_table(self):
        # The fitted table itself: a gather of every row would copy it on each scan.
        return read_whole(self.right)
