"""The gate's validation slice as it would rank were a share of its items new.

The gate's blend is chosen on a validation slice of warm items: no held-out pair there is an
item without interactions, so nothing in it pays for ranking new items below old ones, and a
near-tie of warm NDCG can silence the agents that carry them (the text-driven ones). As
`closed_forms.cold_scale` does for the item-item model, a seeded share of the warm items is
made cold for the choice: as many as the data's own cold items (at most half the warm ones),
so the slice holds new items in the share the catalogue does. Each agent scores them as it
scores cold items, from their text neighbours among the remaining warm items
(`Agent.imputation_scale`: the neighbours' mixed scores, scaled as the agent's own
imputation scales them; text-only agents score them as before). Their held-out pairs stay,
so the slice rewards exposure of new items and charges the warm pairs whatever that exposure
pushes out.

The blend is then chosen on these slices (`DRAWS` seeded draws, weighed equally) instead of
the plain one when the data holds new items: at least as many items without interactions
as a sample of its size leaves unseen by chance (`cold_scale.new_item_share` of 1: new
additions, items held out whole, a catalogue wider than its interactions). Fewer are the
chance misses of a random sample, rare items whose future interactions are few (a
Good-Turing share of f1 / N): a slice of uniformly drawn new items would overstate them, so
the plain slice alone chooses. Blends those slices score alike within noise are told
apart by how often they show the simulated items (`gate_fit.new_item_exposure`).
"""

import dataclasses
from typing import List, Optional

import numpy as np
import tensorflow as tf

from rec_model.closed_forms import cold_items, cold_scale
from rec_model.closed_forms.padded import padded_rows

MAX_SHARE = 0.5  # of the warm items made cold: the rest must still be their neighbours
DRAWS = 3  # seeded draws of the items made cold, weighed equally


@dataclasses.dataclass(frozen=True)
class SimulatedCold:
    """Items made cold for the blend's choice.

    Attributes:
        row_of: [items] int64 row of each simulated item in the arrays below, -1 for others.
        neighbours: [n, m] int32 warm text neighbours of each simulated item (0 where unused).
        weights: [n, m] float32 their mixing weights (0 where unused).
        scales: per agent, [n] `Agent.imputation_scale` or None (scores kept).
    """

    row_of: np.ndarray
    neighbours: np.ndarray
    weights: np.ndarray
    scales: List[Optional[np.ndarray]]


def draws(model, text: np.ndarray, counts: np.ndarray) -> List[SimulatedCold]:
    """`DRAWS` seeded `simulate` draws, none unless the data holds new items (module
    docstring): their slices together hold several times the held-out pairs of new
    items that one draw does, so the blend does not follow the luck of one draw."""
    if cold_scale.new_item_share(np.asarray(counts)) < 1.0:
        return []
    found = [simulate(model, text, counts, draw) for draw in range(DRAWS)]
    return [d for d in found if d is not None]


def simulate(model, text: np.ndarray, counts: np.ndarray,
             draw: int = 0) -> Optional[SimulatedCold]:
    """Items made cold, as many as `counts` has items without interactions, their text
    neighbours and each agent's scales; None when there are none to make (or no text to
    find neighbours by).

    Args:
        model: MultiAgentModel, its agents fitted and finalized on the same training data.
        text: [items, text_dim] item text embeddings.
        counts: [items] training interactions per item.
        draw: which seeded draw of items.
    """
    config = model.config
    known = np.asarray(counts) > 0
    has_text = np.linalg.norm(text, axis=1) > 0
    warm = np.count_nonzero(known & has_text)
    share = min(MAX_SHARE, np.count_nonzero(~known & has_text) / max(warm, 1))
    seed = config.seed + draw
    chosen = cold_scale.simulated_cold(text, known, seed, share)
    mixing = cold_items.text_mixing(text, known & ~chosen, config.cold_neighbours,
                                    config.cold_temperature, seed, only=chosen)
    if mixing is None or not chosen.any():
        return None
    # Each simulated item's column of the mixing, as a row: its neighbours and their weights.
    neighbours, weights = padded_rows(mixing.tocsc()[:, np.flatnonzero(chosen)].T.tocsr())
    row_of = np.full(known.shape[0], -1, np.int64)
    row_of[np.flatnonzero(chosen)] = np.arange(neighbours.shape[0])
    scales = [agent.imputation_scale(neighbours, weights) for agent in model.agents]
    return SimulatedCold(row_of, neighbours, weights, scales)


def made_cold(ids: np.ndarray, simulated: SimulatedCold) -> np.ndarray:
    """[b, C] bool: which of `ids` [b, C] (PAD < 0) `simulated` made cold."""
    return (ids >= 0) & (simulated.row_of[np.maximum(ids, 0)] >= 0)


def scores(model, states, ids: np.ndarray, warm: np.ndarray,
           simulated: SimulatedCold) -> np.ndarray:
    """[b, C, A] `warm` agent scores of `ids` [b, C] (PAD < 0), the simulated items' replaced
    by their cold scores.

    Args:
        model: MultiAgentModel.
        states: the agents' states of the b users.
        ids: [b, C] candidate ids.
        warm: [b, C, A] every agent's scores of `ids` (`MultiAgentModel.agent_scores`).
        simulated: from `simulate`.
    """
    hit = made_cold(ids, simulated)
    rows = np.where(hit, simulated.row_of[np.maximum(ids, 0)], -1)
    if not hit.any():
        return warm
    width = int(hit.sum(axis=1).max())
    # Each user's simulated candidates first: [b, S] positions, S the most any user has.
    position = np.argsort(~hit, axis=1, kind="stable")[:, :width]
    valid = np.take_along_axis(hit, position, 1)
    row = np.where(valid, np.take_along_axis(rows, position, 1), 0)
    neighbours = simulated.neighbours[row]  # [b, S, m]
    weights = simulated.weights[row] * valid[..., None]
    flat = tf.constant(neighbours.reshape(ids.shape[0], -1), tf.int32)
    user, slot = np.nonzero(valid)
    out = warm.copy()
    for a, agent in enumerate(model.agents):
        scale = simulated.scales[a]
        if scale is None or agent.name in model.muted:
            continue
        of_neighbours = agent.score(states[agent.name], flat).numpy().reshape(neighbours.shape)
        cold = (of_neighbours * weights).sum(axis=2) * scale[row]
        out[user, position[user, slot], a] = cold[user, slot]
    return out
