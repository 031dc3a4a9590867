"""The multi-agent recommender: five agents, a per-user gate and learned alpha.

Agents (each a different algorithm family, `rec_model/agents/`): cf (matrix factorisation
plus closed-form user-user scores), content (BERT item embeddings through a trainable
adapter), history (EDLAE item-item over the user's history), hybrid (DCN towers over the
others' representations and side features) and spectral (GF-CF's low-pass filter on the
item graph: the global taste axes the neighbourhood agents miss).

Information sharing between agents (explicit, by construction):
  * content -> CF: the content adapter is trained to reproduce the CF item embeddings
    (alignment loss, stop-gradient on CF); items with no interactions borrow that
    prediction as their CF embedding and bias (exchanged representation).
  * CF + content -> hybrid: the hybrid DCN towers cross the CF user/item vectors and
    the content user/item vectors with side features (read under stop-gradient, so
    the hybrid cannot drag the other agents' tables towards its own loss).
  * all -> gate: an attention layer over agents (`AgentGate`) mixes their calibrated
    scores with per-user weights; its contributions are the per-agent attribution.
    The ensemble loss back-propagates into every agent, so in the joint stage each
    agent also learns what the others miss.
  * content -> history / CF / spectral: the closed-form item-item (history, spectral) and
    user-user (CF) scores of items without interactions are imputed from their text neighbours
    (`rec_model.closed_form`), so cold items rank on the same scale as warm ones.
Every agent's scores pass the availability filter (items first seen after the user's
history ended rank last, `unavailable`) before the gate.
Objective: L = sum_i alpha_i L_i (alpha learned by `AgentWeighting`) + L_ensemble
+ alignment + L2. Every agent's loss is a TFRS task (Ranking with a catalogue-wide
softmax, or Retrieval with in-batch negatives and logQ correction). The gate is then
re-fitted on a held-out slice of each user's history (see `trainer.py`): a static blend
fitted by NDCG (`gate_fit.py`), replaced by the per-user gate (trained to re-rank the
head of the history agent's list) only when that scores higher on the slice.
"""

from typing import Optional

import numpy as np
import tensorflow as tf
import tensorflow_recommenders as tfrs

from rec_model import features as F
from rec_model.agent_gate import AgentGate
from rec_model.agent_weighting import AgentWeighting
from rec_model.agents.cf_agent import CollaborativeAgent
from rec_model.agents.content_agent import ContentAgent
from rec_model.agents.history_agent import HistoryAgent
from rec_model.agents.spectral_agent import SpectralAgent
from rec_model.agents.hybrid_agent import HybridAgent
from rec_model.config import ModelConfig
from rec_model.training_data import NO_TIME


def _softmax_task(name):
    return tfrs.tasks.Ranking(loss=tf.keras.losses.CategoricalCrossentropy(from_logits=True), name=name)


class MultiAgentModel(tfrs.Model):
    """Scores every item for a user with each agent and their gated ensemble.

    Args:
        config: ModelConfig.
        num_users / num_items: vocabulary sizes (index -1 = unknown user).
        text_dim: size of the item text embeddings.
        item_text_embeddings: optional [items, text_dim] float32 (else zeros; load weights).
    Item statistics (counts, mean timestamp) and the history agent's closed-form base
    are non-trainable weights set with `set_item_statistics` / `history.set_base`.
    """

    def __init__(self, config: ModelConfig, num_users: int, num_items: int, text_dim: int,
                 item_text_embeddings=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(config, ModelConfig):
            raise TypeError(f"config must be a ModelConfig, got {type(config).__name__}; use ModelConfig.from_dict")
        self.config, self.num_users, self.num_items, self.text_dim = config, num_users, num_items, text_dim
        nt = dict(trainable=False, initializer="zeros")
        self.text_embeddings = self.add_weight(name="text_embeddings", shape=(num_items, text_dim), **nt)
        self.item_known = self.add_weight(name="item_known", shape=(num_items,), **nt)
        self.item_log_popularity = self.add_weight(name="item_log_popularity", shape=(num_items,), **nt)
        self.item_time = self.add_weight(name="item_time", shape=(num_items,), **nt)
        self.item_first_day = self.add_weight(name="item_first_day", shape=(num_items,), trainable=False,
                                              initializer=tf.keras.initializers.Constant(NO_TIME))
        if item_text_embeddings is not None:
            emb = np.asarray(item_text_embeddings, np.float32)
            if emb.shape != (num_items, text_dim):
                raise ValueError(f"item_text_embeddings shape {emb.shape} != ({num_items}, {text_dim})")
            self.text_embeddings.assign(emb)
        c, agents = config, config.agents
        self.cf_agent = CollaborativeAgent(num_users, num_items, c.embedding_dim, c.embedding_l2, c.seed,
                                           user_scores=c.user_l2 > 0, name="cf") if "cf" in agents else None
        self.content_agent = ContentAgent(c.embedding_dim, seed=c.seed, name="content") if "content" in agents else None
        self.history_agent = HistoryAgent(num_items, c.delta_l2, c.delta_scale, name="history") if "history" in agents else None
        self.spectral_agent = SpectralAgent(num_items, c.spectral_rank, name="spectral") if "spectral" in agents else None
        self.hybrid_agent = (HybridAgent(num_users, num_items, c.embedding_dim, c.hybrid_cross_layers, c.seed, name="hybrid")
                       if "hybrid" in agents else None)
        self.gate = AgentGate(len(agents), c.cold_boost, name="gate")
        self.weighting = AgentWeighting(len(agents), c.alpha_mode, c.alpha_floor, name="alpha")
        self.agent_tasks = [_softmax_task(f"task_{a}") if c.negatives == "full"
                            else tfrs.tasks.Retrieval(remove_accidental_hits=True, temperature=c.temperature, name=f"task_{a}")
                            for a in agents]
        self.ensemble_task = _softmax_task("task_ensemble")
        for i, name in enumerate(agents):
            setattr(self, f"_alpha_metric_{i}", tf.keras.metrics.Mean(name=f"alpha_{name}"))
            setattr(self, f"_loss_metric_{i}", tf.keras.metrics.Mean(name=f"loss_{name}"))
        self.ensemble_metric = tf.keras.metrics.Mean(name="loss_ensemble")
        self.gate_only = False

    @property
    def agent_names(self):
        return list(self.config.agents)

    def imputed_agents(self):
        """Per agent, True when its scores of items without interactions are imputed from
        text neighbours (history, spectral; CF with user-user scores), so the gate keeps them."""
        on = self.config.cold_neighbours > 0
        return [on and (name in ("history", "spectral") or (name == "cf" and self.cf_agent.user_base is not None))
                for name in self.config.agents]

    def set_item_statistics(self, counts: np.ndarray, mean_time: np.ndarray, first_day: Optional[np.ndarray] = None):
        """counts [items] train interactions; mean_time [items] z-scored mean timestamp;
        first_day [items] day of the first interaction (NO_TIME = unknown; default all unknown)."""
        counts = np.asarray(counts, np.float32)
        self.item_first_day.assign(np.full(self.num_items, NO_TIME, np.float32) if first_day is None
                                   else np.asarray(first_day, np.float32))
        self.item_known.assign((counts > 0).astype(np.float32))
        self.item_log_popularity.assign(np.log1p(counts))
        self.item_time.assign(np.asarray(mean_time, np.float32))

    def indexed_variables(self):
        """(variable, axes) pairs whose axes are indexed by "user"/"item" (warm start)."""
        out = [(self.text_embeddings, ("item", None))] + [(v, ("item",)) for v in (self.item_known, self.item_log_popularity, self.item_time,
                                                                                       self.item_first_day)]
        for agent in (self.cf_agent, self.history_agent, self.hybrid_agent, self.spectral_agent):
            if agent is not None:
                out += agent.indexed_variables()
        return out

    def _sides(self, history):
        count = tf.reduce_sum(history, axis=1, keepdims=True)
        denom = tf.maximum(count, 1.0)
        lp = self.item_log_popularity / 5.0
        user_side = tf.concat([tf.math.log1p(count) / 5.0, tf.matmul(history, lp[:, None]) / denom,
                               tf.matmul(history, self.item_time[:, None]) / denom, tf.cast(count > 0, tf.float32)], axis=1)
        item_side = tf.stack([lp, self.item_time, self.item_known], axis=1)
        return user_side, item_side

    def representations(self, user_index, history):
        """Per-agent (query [batch, d_i], item table [items, d_i]) plus side features.

        Args:
            user_index: [batch] int64, -1 for users unknown to the model.
            history: [batch, items] float weights of the user's (input) history.
        """
        user_index = tf.cast(user_index, tf.int32)
        history = tf.cast(history, tf.float32)
        user_side, item_side = self._sides(history)
        reps, extras = {}, {}
        if self.content_agent is not None:
            cvec, cbias = self.content_agent.item_vectors(self.text_embeddings)
            extras["content_items"] = (cvec, cbias)
            reps["content"] = (self.content_agent.query(history, cvec), self.content_agent.item_table(cvec, cbias))
        if self.cf_agent is not None:
            cold = extras.get("content_items", (None, None))
            table = self.cf_agent.item_table(cold[0], cold[1], self.item_known) if self.content_agent is not None else self.cf_agent.item_table()
            reps["cf"] = (self.cf_agent.query(user_index), table)
        if self.history_agent is not None:
            reps["history"] = (history, None)  # scored as history @ W (see HistoryAgent)
        if self.spectral_agent is not None:
            reps["spectral"] = (history, None)  # scored as history @ F (see SpectralAgent)
        if self.hybrid_agent is not None:
            shared_u = [reps[a][0][:, :-1] for a in ("cf", "content") if a in reps]
            shared_i = [reps[a][1][:, :-1] for a in ("cf", "content") if a in reps]
            reps["hybrid"] = (self.hybrid_agent.query(user_index, shared_u, user_side), self.hybrid_agent.item_table(shared_i, item_side))
        return reps, user_side, extras

    def unavailable(self, history):
        """[batch, items] bool: items first seen more than `availability_days` after the
        first-seen day of the newest item in the user's history (the user was, as far as
        the data shows, no longer active when they appeared). All False without history,
        timestamps, or with availability_days < 0."""
        if self.config.availability_days < 0:
            return None
        seen = tf.cast(history, tf.float32) > 0
        latest = tf.reduce_max(tf.where(seen, self.item_first_day[None, :], NO_TIME), axis=1, keepdims=True)
        has = tf.reduce_any(seen, axis=1, keepdims=True) & (latest > NO_TIME)
        return has & (self.item_first_day[None, :] > latest + self.config.availability_days)

    def score_items(self, user_index, history, filter_unavailable: bool = True):
        """Scores the whole catalogue (training losses skip the availability filter:
        `filter_unavailable=False`).

        Returns:
            dict: "ensemble" [batch, items], "contributions" [batch, items, agents]
            (sum over agents = ensemble), "agent_scores" list of [batch, items] raw
            agent scores, "weights" [batch, agents] gate weights, plus "reps"/"extras".
        """
        reps, user_side, extras = self.representations(user_index, history)
        scores = []
        for name in self.config.agents:
            if name in ("history", "spectral"):
                scores.append(self._item_item_agent(name).scores(reps[name][0]))
            else:
                q, t = reps[name]
                scores.append(tf.matmul(q, t, transpose_b=True))
                if name == "cf" and self.cf_agent.user_base is not None:
                    extras["cf_mf"] = scores[-1]
                    scores[-1] = (self.cf_agent.base_scores(tf.cast(user_index, tf.int32))
                                  + self.config.cf_mf_weight * scores[-1])
        content_index = self.config.agents.index("content") if self.content_agent is not None else None
        ensemble, contributions, weights = self.gate(scores, user_side, self.item_known, content_index, self.imputed_agents(),
                                                     self.unavailable(history) if filter_unavailable else None)
        return {"ensemble": ensemble, "contributions": contributions, "agent_scores": scores,
                "weights": weights, "reps": reps, "extras": extras}

    def _item_item_agent(self, name):
        return self.history_agent if name == "history" else self.spectral_agent

    def call(self, inputs):
        """inputs: {USER_INDEX [batch], HISTORY_WEIGHTS [batch, items]} -> [batch, items] scores."""
        return self.score_items(inputs[F.USER_INDEX], inputs[F.HISTORY_WEIGHTS])["ensemble"]

    def _agent_loss(self, i, name, scores, out, target, labels, weight):
        task = self.agent_tasks[i]
        if self.config.negatives == "full":
            return task(labels=labels, predictions=scores / self.config.temperature, sample_weight=weight)
        positive = tf.random.categorical(tf.math.log(target + 1e-9), 1, dtype=tf.int32)[:, 0]
        probability = tf.nn.softmax(self.item_log_popularity)  # ~ count-proportional sampling of positives
        if name in ("history", "spectral"):
            query = out["reps"][name][0]
            candidates = tf.transpose(tf.gather(self._item_item_agent(name).weights_matrix(), positive, axis=1))
        else:
            query, table = out["reps"][name]
            candidates = tf.gather(table, positive)
        return task(query, candidates, sample_weight=weight, candidate_sampling_probability=tf.gather(probability, positive),
                    candidate_ids=positive, compute_metrics=False, compute_batch_metrics=False)

    def _rerank_loss(self, out, source, target):
        """Softmax loss restricted to the top `gate_candidates` items of the strongest
        single agent (the history agent when enabled, else the first), input items
        removed: the gate learns to re-rank the head of the list, where top-K metrics live."""
        name = "history" if "history" in self.config.agents else self.config.agents[0]
        base = out["agent_scores"][self.config.agents.index(name)] - 1e9 * source
        kth = tf.math.top_k(base, k=min(self.config.gate_candidates, self.num_items)).values[:, -1:]
        candidate = base >= kth
        target = target * tf.cast(candidate, tf.float32)
        count = tf.reduce_sum(target, axis=1, keepdims=True)
        logits = tf.where(candidate, out["ensemble"], -1e9)
        loss = self.ensemble_task(labels=target / tf.maximum(count, 1.0), predictions=logits,
                                  sample_weight=tf.cast(count[:, 0] > 0, tf.float32))
        self.ensemble_metric.update_state(loss)
        return loss

    def compute_loss(self, inputs, training: bool = False) -> tf.Tensor:
        """inputs: USER_INDEX [batch], HISTORY_WEIGHTS [batch, items] and optionally
        TARGET_WEIGHTS [batch, items]; without targets, `history_dropout` of the history
        is hidden from the input and becomes the target (multi-positive objective)."""
        user_index = inputs[F.USER_INDEX]
        history = tf.cast(inputs[F.HISTORY_WEIGHTS], tf.float32)
        if F.TARGET_WEIGHTS in inputs:
            source, target = history, tf.cast(inputs[F.TARGET_WEIGHTS], tf.float32)
        else:
            keep = tf.cast(tf.random.uniform(tf.shape(history)) >= self.config.history_dropout, tf.float32)
            source, target = history * keep, history * (1.0 - keep)
        count = tf.reduce_sum(target, axis=1, keepdims=True)
        weight = tf.cast(count[:, 0] > 0, tf.float32)
        labels = target / tf.maximum(count, 1.0)
        out = self.score_items(user_index, source, filter_unavailable=False)
        if self.gate_only and self.config.gate_candidates:
            return self._rerank_loss(out, source, target)
        ensemble_loss = self.ensemble_task(labels=labels, predictions=out["ensemble"], sample_weight=weight)
        self.ensemble_metric.update_state(ensemble_loss)
        if self.gate_only:
            return ensemble_loss
        # The CF loss trains its MF part (the shared CF representation); its user-user scores are fixed.
        scores = [out["extras"].get("cf_mf", s) if n == "cf" else s for n, s in zip(self.config.agents, out["agent_scores"])]
        losses = [self._agent_loss(i, n, s, out, target, labels, weight) for i, (n, s) in enumerate(zip(self.config.agents, scores))]
        alphas = self.weighting.alphas()
        for i, loss in enumerate(losses):
            getattr(self, f"_loss_metric_{i}").update_state(loss)
            getattr(self, f"_alpha_metric_{i}").update_state(alphas[i])
        total = self.weighting(tf.stack(losses)) + ensemble_loss
        if self.cf_agent is not None:
            total += self.cf_agent.regularization(tf.cast(user_index, tf.int32))
            if self.content_agent is not None:
                cvec, cbias = out["extras"]["content_items"]
                total += self.config.alignment_weight * ContentAgent.alignment_loss(
                    cvec, cbias, self.cf_agent.item_embeddings, self.cf_agent.item_bias, self.item_known)
        if self.history_agent is not None:
            total += self.history_agent.regularization()
        return total

    def alphas(self) -> dict:
        """Current agent weights {agent: alpha}, summing to 1."""
        return dict(zip(self.config.agents, [float(a) for a in self.weighting.alphas().numpy()]))

    def get_config(self):
        return {"config": self.config.to_dict(), "num_users": self.num_users, "num_items": self.num_items, "text_dim": self.text_dim}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(ModelConfig.from_dict(config.pop("config")), **config)
