"""Simulated users who click according to the synthetic generator's hidden preferences."""

import numpy as np

from rec_model.data import synth


class PreferenceClickModel:
    """P(click on item j by user u) = base + gain * preference[u, topic(j)] /
    max_t preference[u, t].

    Args:
        data_dir: a folder written by `rec_model.data.synth.generate_synthetic` (reads its hidden
            `user_preferences.npy` and `item_topics.npy`; models never see these).
        base: click probability of an item outside the user's tastes.
        gain: extra click probability of an item of the user's favourite topic.
        seed: random seed of the clicks.
    """

    def __init__(self, data_dir: str, base: float = 0.02, gain: float = 0.6, seed: int = 0):
        if not (0 <= base and 0 <= gain and base + gain <= 1):
            raise ValueError(f"need 0 <= base and base + gain <= 1, got base={base}, gain={gain}")
        self.preferences = np.asarray(synth.load_user_preferences(data_dir, mmap=False),
                                      np.float32)
        self.item_topics = synth.topic_of_items(data_dir)
        self.base, self.gain = base, gain
        self.rng = np.random.default_rng(seed)

    def click_probability(self, user_id: str, item_id: str) -> float:
        prefs = self.preferences[synth.parse_index(user_id)]
        affinity = (prefs[self.item_topics[synth.parse_index(item_id)]]
                    / max(float(prefs.max()), 1e-9))
        return self.base + self.gain * float(affinity)

    def clicks(self, user_id: str, item_ids) -> list:
        """The subset of `item_ids` the user clicks (independent Bernoulli draws)."""
        return [i for i in item_ids
                if i and self.rng.random() < self.click_probability(user_id, i)]
