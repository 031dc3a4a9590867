"""Configuration of the multi-agent model: one frozen dataclass, JSON round-trip."""

import dataclasses
import json
from typing import Tuple

AGENT_NAMES = ("cf", "content", "history", "hybrid", "spectral")
ALPHA_MODES = ("uncertainty", "softmax")
NEGATIVES = ("full", "in_batch")
OPTIMIZERS = ("adam", "adagrad", "sgd")


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Everything that shapes and trains `MultiAgentModel`.

    Attributes:
        agents: enabled agents, a subset of AGENT_NAMES in that order.
        embedding_dim: CF / content / hybrid representation size.
        hybrid_cross_layers: number of tfrs.layers.dcn.Cross layers in the hybrid towers.
        alpha_mode: "uncertainty" (Kendall et al. log-variance weights) or "softmax"
            (softmax over learned logits with `alpha_floor` per agent).
        alpha_floor: minimum softmax weight of an agent (softmax mode only).
        negatives: "full" = multinomial softmax over the whole catalogue (multi-positive);
            "in_batch" = tfrs Retrieval with in-batch negatives and logQ correction.
        history_dropout: share of a user's history hidden from the input and predicted.
        history_l2: ridge lambda of the history agent's closed-form (EDLAE) base matrix.
        edlae_dropout: EDLAE dropout probability p of that base (Steck 2020): the item
            penalty is p / (1 - p) * diag(X^T X) + history_l2; 0 = EASE. In [0, 1).
        rating_power: interactions enter the closed forms weighted by
            (rating / mean rating) ** rating_power (0 = binary; data without ratings is binary).
        user_l2: ridge lambda of the CF agent's closed-form user-user scores; when > 0 the
            agent ranks by them plus cf_mf_weight x its matrix-factorisation scores (the MF
            part is still trained by the CF loss: it is the CF representation the content
            and hybrid agents share). 0 = plain MF.
        cf_mf_weight: weight of the MF scores added to the user-user scores (user_l2 > 0).
        spectral_rank: singular directions kept by the spectral agent's low-pass filter.
        cold_neighbours: the closed forms' columns of items without interactions are
            imputed from this many text-nearest items with interactions (0 = off).
        cold_temperature: softmax temperature over the cosine similarities of that imputation.
        delta_l2: L2 on the history agent's trainable correction of that matrix.
        delta_scale: learning-rate factor of that correction (0 keeps the closed form).
        embedding_l2: L2 on CF user/item embeddings (per example).
        alignment_weight: weight of the content-to-CF item alignment loss.
        temperature: divides every agent's logits in its loss.
        optimizer / learning_rate / epochs / batch_size: training.
        gate_epochs / gate_share: epochs and share of each user's train items used to fit
            the per-user agent gate (the validation slice).
        gate_candidates: the gate's loss re-ranks this many top items of the history
            agent (0 = softmax over the whole catalogue).
        finetune_epochs: epochs on the full train data after the gate is fitted.
        availability_days: the ensemble and every agent push down items first seen more
            than this many days after the newest item of the user's history (an item
            cannot be consumed before it appears); < 0 = off.
        cold_boost: z-score offset the ensemble gives items without interactions (agents
            without imputed scores rank them by the content agent's score); 0 passes the
            cold-item targets since the imputation exists, kept for tuning.
        seed: random seed for initialisers and dropout.

    Defaults were chosen on a validation split carved from the MovieLens-100K train
    part (bench/quality), never on its test pairs.
    """

    agents: Tuple[str, ...] = AGENT_NAMES
    embedding_dim: int = 64
    hybrid_cross_layers: int = 2
    alpha_mode: str = "uncertainty"
    alpha_floor: float = 0.05
    negatives: str = "full"
    history_dropout: float = 0.25
    history_l2: float = 300.0
    edlae_dropout: float = 0.3
    rating_power: float = 0.5
    user_l2: float = 600.0
    cf_mf_weight: float = 0.0
    spectral_rank: int = 64
    cold_neighbours: int = 20
    cold_temperature: float = 0.05
    delta_l2: float = 1e-4
    delta_scale: float = 0.0
    embedding_l2: float = 1e-4
    alignment_weight: float = 1.0
    temperature: float = 0.1
    optimizer: str = "adam"
    learning_rate: float = 0.01
    epochs: int = 30
    batch_size: int = 64
    gate_epochs: int = 20
    gate_share: float = 0.1
    gate_candidates: int = 100
    finetune_epochs: int = 0
    availability_days: float = 7.0
    cold_boost: float = 0.0
    seed: int = 42

    def __post_init__(self):
        object.__setattr__(self, "agents", tuple(self.agents))
        unknown = [a for a in self.agents if a not in AGENT_NAMES]
        if unknown or not self.agents:
            raise ValueError(f"agents={self.agents!r}: choose a non-empty subset of {AGENT_NAMES}")
        if len(set(self.agents)) != len(self.agents):
            raise ValueError(f"agents={self.agents!r} lists an agent twice; list each once")
        if self.alpha_mode not in ALPHA_MODES:
            raise ValueError(f"alpha_mode={self.alpha_mode!r}: use one of {ALPHA_MODES}")
        if self.negatives not in NEGATIVES:
            raise ValueError(f"negatives={self.negatives!r}: use one of {NEGATIVES}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer={self.optimizer!r}: use one of {OPTIMIZERS}")
        for name in ("embedding_dim", "epochs", "batch_size"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name}={getattr(self, name)!r} must be a positive integer")
        for name in ("hybrid_cross_layers", "gate_epochs", "gate_candidates", "finetune_epochs",
                     "cold_neighbours"):
            if int(getattr(self, name)) < 0:
                raise ValueError(f"{name}={getattr(self, name)!r} must be >= 0")
        if int(self.spectral_rank) < 1:
            raise ValueError(f"spectral_rank={self.spectral_rank!r} must be >= 1 (drop the spectral agent to turn it off)")
        for name in ("learning_rate", "temperature", "cold_temperature"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name}={getattr(self, name)!r} must be > 0")
        for name in ("history_l2", "delta_l2", "delta_scale", "embedding_l2", "alignment_weight",
                     "rating_power", "user_l2", "cf_mf_weight"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}={getattr(self, name)!r} must be >= 0")
        if not 0.0 < self.history_dropout < 1.0:
            raise ValueError(f"history_dropout={self.history_dropout!r} must be in (0, 1)")
        if not 0.0 <= self.edlae_dropout < 1.0:
            raise ValueError(f"edlae_dropout={self.edlae_dropout!r} must be in [0, 1) (0 = EASE)")
        if not 0.0 <= self.gate_share < 1.0:
            raise ValueError(f"gate_share={self.gate_share!r} must be in [0, 1)")
        if not 0.0 <= self.alpha_floor * len(self.agents) < 1.0:
            raise ValueError(
                f"alpha_floor={self.alpha_floor!r} x {len(self.agents)} agents must be in [0, 1); lower the floor"
            )

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
            raise ValueError(f"unknown ModelConfig field(s) {extra}; known fields: {sorted(known)}")
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> "ModelConfig":
        return cls.from_dict(json.loads(text))
