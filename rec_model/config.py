"""Configuration of the multi-agent model: one frozen dataclass, JSON round-trip.

Size-dependent settings default to 0 = "auto": they are derived from the data (catalogue
size, interaction count) or chosen on a validation slice carved from the training data
(`rec_model.auto_settings`), never constants tuned to one data set.
"""

import dataclasses
import json
from typing import Optional, Tuple

from rec_model.agents.registry import AGENT_NAMES

OPTIMIZERS = ("auto", "lazy_adam", "adam", "adagrad", "sgd")


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Everything that shapes and trains `MultiAgentModel`.

    Attributes:
        agents: enabled agents, a subset of the registry's names (`agents/registry.py`).
        embedding_dim: size of the CF, content and hybrid representations.
        hybrid_cross_layers: tfrs.layers.dcn.Cross layers per hybrid tower.
        rating_power: interactions weigh (rating / mean rating) ** rating_power in the closed
            forms and histories (0 = binary; data without ratings is binary; None = auto:
            chosen on the validation slice, `rec_model.rating_weights`).
        recency_half_life / recency_boost: a stored interaction `age` items before the user's
            latest weighs 1 + recency_boost x 0.5 ** (age / recency_half_life) times more in
            the histories requests read (half-life 0 = all alike; None = auto: both chosen
            on each user's latest training items when the eval split is one in time, none
            otherwise; `rec_model.recency`).
        history_length: most recent items of a user that form the agents' input (bounded
            work per request: a call on b known users gathers at most b x history_length
            item rows per agent); every stored item is still excluded from recommendations.
            Long enough for the heavy users of real data (hundreds to a few thousand
            items): cutting them to their last 500 cost 0.009 NDCG@10 on the MovieLens-shaped
            robustness set (`bench/results/history_length.md`).
        history_entries: row entries the item-item agent reads per user (0 = whole rows):
            a history of h items reads the strongest max(16, history_entries / h) entries
            of each item's row, so a long history costs a request no more than a short one.
        neighbours: regressors per item of the item-item agent (0 = auto from the catalogue
            size and a compute budget).
        history_l2: ridge weight of the item-item solve (0 = auto: chosen on the validation
            slice from a grid scaled by the mean item weight).
        edlae_dropout: EDLAE dropout p of that solve (0 = EASE), in [0, 1).
        spectral_rank: singular directions of the spectral agent (0 = auto: chosen on the
            validation slice).
        cold_neighbours / cold_temperature: text neighbours (and softmax temperature) from
            which items without interactions borrow every agent's fitted state.
        retrieval_candidates: candidates each retrieving agent proposes per request.
        popular_candidates: most popular items always among the candidates.
        temperature: divides the sampled softmax logits.
        negatives: shared negatives per step of the sampled softmax (drawn from the batch's
            positives, so by frequency, with logQ correction); cost per pair grows with it
            (0 = auto: all of a small batch, fewer for large ones).
        embedding_l2: L2 on the embedding rows a batch touches.
        optimizer / learning_rate: gradient training; "lazy_adam" (`rec_model.lazy_adam`)
            moves only the embedding rows a batch touches, "adam" every row every step,
            "auto" the first from `auto_settings.LAZY_UPDATE_ROWS` users + items on.
        batch_size: pairs per step (0 = auto: grows with the data so an epoch stays a few
            thousand steps).
        epochs: passes over the training pairs (0 = auto: a budget of example visits).
        gate_share: share of each user's training items held out to fit the gate.
        gate_users: at most this many users of that slice (sampled, seeded).
        gate_epochs: epochs of the per-user gate on the slice.
        seed: random seed of initialisers, splits and sampling.
    """

    agents: Tuple[str, ...] = AGENT_NAMES
    embedding_dim: int = 64
    hybrid_cross_layers: int = 2
    rating_power: Optional[float] = None
    recency_half_life: Optional[float] = None
    recency_boost: float = 7.0
    history_length: int = 2000
    history_entries: int = 32768
    neighbours: int = 0
    history_l2: float = 0.0
    edlae_dropout: float = 0.25
    spectral_rank: int = 0
    cold_neighbours: int = 20
    cold_temperature: float = 0.05
    retrieval_candidates: int = 200
    popular_candidates: int = 50
    temperature: float = 0.1
    negatives: int = 0
    embedding_l2: float = 1e-5
    optimizer: str = "auto"
    learning_rate: float = 0.005
    batch_size: int = 0
    epochs: int = 0
    gate_share: float = 0.1
    gate_users: int = 10000
    gate_epochs: int = 30
    seed: int = 42

    def __post_init__(self):
        object.__setattr__(self, "agents", tuple(self.agents))
        unknown = [a for a in self.agents if a not in AGENT_NAMES]
        if unknown or not self.agents:
            raise ValueError(f"agents={self.agents!r}: choose a non-empty subset of {AGENT_NAMES}")
        if len(set(self.agents)) != len(self.agents):
            raise ValueError(f"agents={self.agents!r} lists an agent twice; list each once")
        object.__setattr__(self, "agents", tuple(a for a in AGENT_NAMES if a in self.agents))
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer={self.optimizer!r}: use one of {OPTIMIZERS}")
        for name in ("embedding_dim", "history_length", "retrieval_candidates", "gate_users"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name}={getattr(self, name)!r} must be a positive integer")
        for name in ("hybrid_cross_layers", "neighbours", "history_entries", "spectral_rank",
                     "cold_neighbours", "popular_candidates", "epochs", "gate_epochs",
                     "batch_size", "negatives"):
            if int(getattr(self, name)) < 0:
                raise ValueError(f"{name}={getattr(self, name)!r} must be >= 0 (0 = auto / off)")
        for name in ("learning_rate", "temperature", "cold_temperature"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name}={getattr(self, name)!r} must be > 0")
        if self.rating_power is not None and self.rating_power < 0:
            raise ValueError(f"rating_power={self.rating_power!r} must be >= 0 (None = auto)")
        if self.recency_half_life is not None and self.recency_half_life < 0:
            raise ValueError(f"recency_half_life={self.recency_half_life!r} must be >= 0 "
                             "(0 = none, None = auto)")
        if self.recency_boost < 0:
            raise ValueError(f"recency_boost={self.recency_boost!r} must be >= 0")
        for name in ("history_l2", "embedding_l2"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}={getattr(self, name)!r} must be >= 0")
        if not 0.0 <= self.edlae_dropout < 1.0:
            raise ValueError(f"edlae_dropout={self.edlae_dropout!r} must be in [0, 1) (0 = EASE)")
        if not 0.0 <= self.gate_share < 0.5:
            raise ValueError(f"gate_share={self.gate_share!r} must be in [0, 0.5)")

    @property
    def num_agents(self) -> int:
        return len(self.agents)

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["agents"] = list(self.agents)
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> "ModelConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        extra = sorted(set(data) - known)
        if extra:
            raise ValueError(f"unknown ModelConfig field(s) {extra}; "
                             f"known fields: {sorted(known)}")
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> "ModelConfig":
        return cls.from_dict(json.loads(text))
