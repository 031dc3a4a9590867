"""The multi-agent recommender: agents, two-stage ranking, gate and learned alpha.

Agents (one file each, `rec_model/agents/`, listed in `agents/registry.py`) share one
interface: a user state, scores for given candidates, optional own retrieval. A request
runs in two stages, the same code in training, evaluation and serving:
  1. candidates: the union of every agent's retrieval (brute-force top-n over the CF
     table, the item-item rows the history reaches, the best cold items by text) and the
     most popular items;
  2. every agent scores the candidates; the gate standardises each agent's scores over the
     candidates and blends them per user; contributions are the per-agent attribution.
Nothing is sized by the catalogue except the one brute-force scan of stage 1. Agents the
fitted gate weighs 0 for every user can be muted (`mute`): they score nothing (attribution 0)
and, optionally, propose nothing; when no retrieving agent is left, the first factor agent
left scans the catalogue.

Training (see `trainer.py`; the losses are in `objectives.py`) has two objectives, both
L = sum_i alpha_i L_i + L_ensemble with alpha learned (`AgentWeighting`): the pairs stage
(in-batch softmax with logQ over (user, item) pairs for every factor agent; the ensemble term
is their mean logit, so each agent also learns what the others miss) and the gate stage
(softmax over candidate sets of a validation slice, every agent's loss calibrated by a
learned temperature).
"""

import numpy as np
import tensorflow as tf
import tensorflow_recommenders as tfrs

from rec_model import candidates as cand
from rec_model import features as F
from rec_model import objectives, ragged_rows, rating_weights, recency
from rec_model.agent_gate import AgentGate, candidate_statistics
from rec_model.agent_weighting import AgentWeighting
from rec_model.agents.base import FactorAgent
from rec_model.agents.registry import agent_class
from rec_model.control_flow import cond_as_call
from rec_model.item_statistics import ItemStatistics
from rec_model.tasks import CandidateSoftmax, InBatchSoftmax
from rec_model.users import HistoryStore, Users, side_features

EXCLUDED_SCORE = -1e9
STAGES = ("pairs", "gate")


class MultiAgentModel(tfrs.Model):
    """Args:
        config: ModelConfig.
        num_users / num_items: vocabulary sizes (user index -1 = unknown user).
        text_dim: size of the item text embeddings.
    """

    def __init__(self, config, num_users: int, num_items: int, text_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.config, self.num_users, self.num_items, self.text_dim = (
            config, num_users, num_items, text_dim)
        self.item_stats = ItemStatistics(num_items, name="item_stats")
        self.histories = HistoryStore(num_users, name="histories")
        self.agents = []
        for name in config.agents:
            agent = agent_class(name)(config, num_users, num_items, text_dim, name=name)
            agent.connect(list(self.agents), self.item_stats)
            self.agents.append(agent)
        self.popular = tf.Variable(np.zeros(1, np.int32), trainable=False,
                                   shape=tf.TensorShape([None]), name="popular_items")
        self.muted, self.muted_retrieval = frozenset(), False  # see `mute`
        self.gate = AgentGate(len(self.agents), name="gate")
        self.weighting = AgentWeighting(len(self.agents), name="alpha")
        self.calibration = self.add_weight(name="log_temperature", shape=(len(self.agents),),
                                           initializer="zeros")
        self.pair_task, self.candidate_task = InBatchSoftmax(), CandidateSoftmax()
        self.negatives = config.negatives or 1024  # the trainer sets it from the batch size
        # The trainer sets it when the config leaves the choice to the data.
        self.rating_power = (rating_weights.DEFAULT_POWER if config.rating_power is None
                             else config.rating_power)
        self.recency = recency.requested(config) or recency.NONE  # (half-life, boost)
        self.stage = "pairs"
        self._stage_metrics = {stage: [tf.keras.metrics.Mean(name=f"loss_{stage}_ensemble")]
                               for stage in STAGES}
        self.set_stage("pairs")

    # -- structure --------------------------------------------------------------------
    @property
    def agent_names(self):
        return [a.name for a in self.agents]

    def pair_agents(self):
        """Indices of the agents with an in-batch softmax (the factor agents)."""
        return [i for i, a in enumerate(self.agents) if isinstance(a, FactorAgent)]

    def set_stage(self, stage: str) -> None:
        """Selects the objective; Keras then reports only that stage's agents."""
        if stage not in STAGES:
            raise ValueError(f"stage={stage!r}: one of {STAGES}")
        self.stage = stage
        # Only what the stage's objective reaches is trainable (no "gradients do not exist").
        self.gate.trainable = stage == "gate"
        for agent in self.agents:
            agent.trainable = stage == "pairs"
        active = self.pair_agents() if stage == "pairs" else range(len(self.agents))
        if len(self._stage_metrics[stage]) == 1:
            for i in active:
                name = self.agents[i].name
                self._stage_metrics[stage] += [tf.keras.metrics.Mean(name=f"loss_{name}"),
                                               tf.keras.metrics.Mean(name=f"alpha_{name}")]

    @property
    def metrics(self):
        return list(self._stage_metrics[self.stage])

    def alphas(self) -> dict:
        return dict(zip(self.agent_names, [float(a) for a in self.weighting.alphas().numpy()]))

    def mute(self, names, retrieval: bool = False) -> None:
        """Leaves agents out of ranking (not training): out of scoring, which changes nothing
        when the gate weighs them 0 for every user (`AgentGate.silent_agents`), and with
        `retrieval` out of the candidates too, which changes the candidate set."""
        unknown = set(names) - set(self.agent_names)
        if unknown:
            raise ValueError(f"cannot mute {sorted(unknown)}: agents are {self.agent_names}")
        self.muted, self.muted_retrieval = frozenset(names), bool(retrieval and names)

    def _scoring_agents(self):
        return [a for a in self.agents if a.name not in self.muted]

    def _retrieving_agents(self):
        return self._scoring_agents() if self.muted_retrieval else self.agents

    def ranking_agents(self) -> list:
        """The agents whose fitted state ranking reads, in registry order: the scoring and
        retrieving agents and their peers. The others are muted with their retrieval."""
        needed = self._needed_states()
        return [agent for i, agent in enumerate(self.agents) if i in needed]

    def _needed_states(self):
        """Indices of the agents ranking runs and of every agent whose state they read."""
        needed = {a.name for a in self._scoring_agents() + self._retrieving_agents()}
        for agent in reversed(self.agents):  # peers are registered before their readers
            if agent.name in needed:
                needed.update(p.name for p in agent.peers)
        return {i for i, a in enumerate(self.agents) if a.name in needed}

    def set_popular(self, counts: np.ndarray) -> None:
        n = min(self.config.popular_candidates, int((counts > 0).sum()))
        self.popular.assign(np.argsort(-counts, kind="stable")[:n].astype(np.int32))

    # -- users, states, candidates ----------------------------------------------------
    def users(self, user_index, request_items=None, drop_items=None) -> Users:
        """Users from their stored histories (+ request items, weight 1; `drop_items` get
        weight 0, so a training pair's positive is not part of its own input).

        Args:
            user_index: [b] int32 (-1 unknown).
            request_items: optional [b, (n)] ragged int32 item indices.
            drop_items: optional [b] int32.
        """
        length = self.config.history_length
        items, weights = self.histories.rows(user_index, length)
        if drop_items is not None:
            keep = tf.not_equal(items.flat_values, tf.gather(drop_items, items.value_rowids()))
            weights = weights.with_flat_values(weights.flat_values * tf.cast(keep, tf.float32))
        if request_items is not None:
            items, weights = _with_request(items, weights, request_items, length)
        side = side_features(user_index, items, weights, self.item_stats.log_popularity)
        return Users(user_index, items, weights, side)

    def request_users(self, user_index, request_items=None):
        """A ranking request's users and what they have seen, from one read of the stored
        histories: `users(user_index, request_items)` and the stored history ++ request items.

        Args:
            user_index: [b] int32 (-1 unknown).
            request_items: optional [b, (n)] ragged int32 item indices.

        Returns:
            (Users, seen [b, (s)] int32 ragged).
        """
        items, weights = self.histories.rows(user_index)
        if request_items is not None:
            items, weights = _with_request(items, weights, request_items)
        seen = items
        if self.config.history_length:  # users() keeps the same last history_length items
            items, weights = ragged_rows.last_values([items, weights], self.config.history_length)
        side = side_features(user_index, items, weights, self.item_stats.log_popularity)
        return Users(user_index, items, weights, side), seen

    def states(self, users: Users, only=None) -> dict:
        out = {}
        for i, agent in enumerate(self.agents):
            if only is None or i in only:
                out[agent.name] = agent.user_state(users, out)
        return out

    def candidates(self, users, states, n, exclude):
        """[b, C] int32 union of the agents' retrieval (of items not in `exclude` [b, (m)])
        and the popular items (PAD-padded)."""
        return self.union(self.candidate_sources(users, states, n, exclude), n)

    def union(self, sources, n):
        """[b, C] int32 distinct ids of `candidate_sources`' parts, at least n columns."""
        parts = [ids for _, ids in sources]
        return cand.unique_per_row(tf.concat(parts, axis=1), self.num_items, min_width=n)

    def scanner(self):
        """The factor agent that brute-forces the catalogue when no agent left retrieving
        proposes candidates of its own (someone must search it), else None."""
        retrieving = self._retrieving_agents()
        if any(agent.retrieves for agent in retrieving):
            return None
        return next((a for a in retrieving if isinstance(a, FactorAgent)), None)

    def candidate_sources(self, users, states, n, exclude):
        """[(source, [b, m] int32 ids)] of `candidates`: the popular items (source None),
        then each retrieving agent's index in `agents` with its own ids (PAD-padded)."""
        batch = tf.shape(users.index)[0]
        parts = [(None, tf.broadcast_to(self.popular[None, :],
                                        [batch, tf.shape(self.popular)[0]]))]
        scanner = self.scanner()
        for agent in self._retrieving_agents():
            found = [agent.brute_force(states[agent.name], n, exclude)] if agent is scanner else []
            found.append(agent.retrieve(states[agent.name], n, exclude))
            source = self.agents.index(agent)
            parts += [(source, tf.cast(f, tf.int32)) for f in found if f is not None]
        return parts

    def agent_scores(self, states, ids):
        """[b, C, A] every agent's scores of `ids` [b, C] (0 for muted agents)."""
        return tf.stack([tf.zeros(tf.shape(ids), tf.float32) if a.name in self.muted
                         else a.score(states[a.name], ids) for a in self.agents], axis=2)

    # -- ranking (serving, evaluation) ------------------------------------------------
    def _blend(self, users, retrieved_scores, eligible, scores, ids):
        """Blended `scores` [b, n, A] of `ids`, standardised over the `eligible` retrieved
        candidates (whose agent scores are `retrieved_scores` [b, C, A])."""
        stats = candidate_statistics(retrieved_scores, eligible)
        score, contributions, _ = self.gate(scores, stats, users.side)
        has_signal = (users.index >= 0) | (users.items.row_lengths() > 0)
        popularity = tf.gather(self.item_stats.log_popularity, tf.maximum(ids, 0))
        score = tf.where(has_signal[:, None], score, popularity)
        return score, contributions * tf.cast(has_signal, tf.float32)[:, None, None]

    def recommend_indices(self, users: Users, k, seen: tf.RaggedTensor, exclude: tf.RaggedTensor,
                          exclude_seen: bool = True):
        """Top-k of the candidates.

        Args:
            users: the batch.
            k: scalar int32.
            seen: [b, (s)] the users' known items (stored + request history); they never
                count in the score standardisation and are excluded when `exclude_seen`.
            exclude: [b, (m)] items never to recommend.
            exclude_seen: whether `seen` items are excluded too.

        Returns:
            (ids [b, k], scores [b, k], contributions [b, k, A]); EXCLUDED_SCORE and id PAD
            where fewer than k candidates remain.
        """
        states = self.states(users, only=self._needed_states())
        base, base_scores, eligible = self._standard_candidates(users, states, seen)
        n = tf.constant(self.config.retrieval_candidates)

        def wider():  # more than the standard set: k beyond it, or seen items allowed
            more = self.candidates(users, states, tf.maximum(n, k),
                                   tf.concat([seen, exclude], axis=1) if exclude_seen else exclude)
            ids = cand.unique_per_row(tf.concat([base, more], axis=1), self.num_items, k)
            blocked = ids < 0
            if exclude_seen:
                blocked |= cand.member_of(ids, seen, self.num_items)
            return ids, self.agent_scores(states, ids), blocked

        # The standard set's ineligible ids are exactly its PAD and seen ones.
        ids, scores, blocked = (
            cond_as_call(k > n, wider, lambda: (base, base_scores, ~eligible)) if exclude_seen
            else wider())
        score, contributions = self._blend(users, base_scores, eligible, scores, ids)
        blocked |= cand.member_of(ids, exclude, self.num_items)
        score = tf.where(blocked, EXCLUDED_SCORE, score)
        top = tf.math.top_k(score, k=k)
        found = top.values > EXCLUDED_SCORE
        ids = tf.where(found, tf.gather(ids, top.indices, batch_dims=1), cand.PAD)
        contributions = tf.gather(contributions, top.indices, batch_dims=1)
        return ids, top.values, contributions * tf.cast(found, tf.float32)[:, :, None]

    def _standard_candidates(self, users, states, seen):
        """The candidates every score is standardised over: the agents' top
        `retrieval_candidates` and the popular items, `seen` left out (they depend on
        neither `k` nor a request's `exclude`, so `score` and `recommend` agree).

        Returns:
            (ids [b, C], agent scores [b, C, A], eligible [b, C] bool).
        """
        n = tf.constant(self.config.retrieval_candidates)
        ids = self.candidates(users, states, n, seen)
        eligible = (ids >= 0) & ~cand.member_of(ids, seen, self.num_items)
        return ids, self.agent_scores(states, ids), eligible

    def score_indices(self, users: Users, ids, seen: tf.RaggedTensor):
        """Scores of given items [b, n] (PAD -> EXCLUDED_SCORE), on the same scale as
        `recommend_indices` with the same `seen`. Returns (scores [b, n], contributions
        [b, n, A])."""
        states = self.states(users, only=self._needed_states())
        _, base_scores, eligible = self._standard_candidates(users, states, seen)
        score, contributions = self._blend(users, base_scores, eligible,
                                           self.agent_scores(states, ids), ids)
        valid = ids >= 0
        return (tf.where(valid, score, EXCLUDED_SCORE),
                contributions * tf.cast(valid, tf.float32)[:, :, None])

    # -- objectives (rec_model/objectives.py) ---------------------------------------
    def compute_loss(self, inputs, training: bool = False) -> tf.Tensor:
        """The current stage's objective (`set_stage`); see the module docstring."""
        total, ensemble, regularization = (objectives.pairs_loss(self, inputs)
                                           if self.stage == "pairs"
                                           else objectives.gate_loss(self, inputs))
        self._stage_metrics[self.stage][0].update_state(ensemble)
        return total + regularization

    def call(self, inputs):
        users = self.users(tf.cast(inputs[F.USER_INDEX], tf.int32))
        ids, scores, _ = self.recommend_indices(users, tf.constant(10), users.items,
                                                users.items[:, :0])
        return scores

    def get_config(self):
        return {"config": self.config.to_dict(), "num_users": self.num_users,
                "num_items": self.num_items, "text_dim": self.text_dim}


def _with_request(items, weights, request_items, last: int = 0):
    """Stored (items, weights) [b, (h)] ++ the request's items at weight 1, each row cut to its
    last `last` (0 = all)."""
    ones = request_items.with_flat_values(tf.ones_like(request_items.flat_values, tf.float32))
    return ragged_rows.append_rows([items, weights], [request_items, ones], last)
