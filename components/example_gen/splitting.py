"""Plain-Python split rules, shared by the Beam pipeline and its tests."""

import hashlib
import math
from typing import Iterable, List, Tuple

from components.example_gen.config import ExampleGenConfig
from rec_model import features
from rec_model.data.canonical import Interaction, tie_key


def split_user_history(
    interactions: Iterable[Interaction], config: ExampleGenConfig
) -> List[Tuple[str, Interaction]]:
    """Splits one user's interactions by time.

    The last `ceil(eval_fraction * n)` interactions go to eval; users with fewer than
    `min_interactions_for_eval` interactions keep everything in train. Interactions at the
    same time are ordered by `tie_key`, a seeded hash: data without timestamps (all at
    `canonical.UNKNOWN_TIMESTAMP`) gets a random per-user hold-out, never the last item ids.

    Returns:
        (split name, interaction) pairs, one per input interaction.
    """
    ordered = sorted(interactions,
                     key=lambda r: (r.timestamp, tie_key(r.user_id, r.item_id, config.seed)))
    n = len(ordered)
    n_eval = 0
    if n >= config.min_interactions_for_eval:
        n_eval = min(n - 1, max(1, math.ceil(config.eval_fraction * n)))
    cut = n - n_eval
    return [
        (features.TRAIN_SPLIT if i < cut else features.EVAL_SPLIT, record)
        for i, record in enumerate(ordered)
    ]


def random_split(record: Interaction, config: ExampleGenConfig) -> str:
    """Stable pseudo-random split of one interaction (independent of row order and runner)."""
    return random_split_key(record.user_id, record.item_id, record.timestamp, config)


def random_split_key(user_id: str, item_id: str, timestamp: int, config: ExampleGenConfig) -> str:
    """`random_split` from the row's fields: a seeded blake2b of user, item and timestamp."""
    key = f"{config.seed}\x1f{user_id}\x1f{item_id}\x1f{timestamp}"
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    unit = int.from_bytes(digest, "big") / 2.0**64
    return features.EVAL_SPLIT if unit < config.eval_fraction else features.TRAIN_SPLIT
