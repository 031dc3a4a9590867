"""The multi-agent model's two training objectives (see `multi_agent_model`'s docstring).

Both return (total, ensemble, regularization): total = sum_i alpha_i L_i + L_ensemble over the
stage's agents (alpha from the model's `AgentWeighting`), and record each agent's loss and
alpha in the stage's Keras metrics.
"""

import numpy as np
import tensorflow as tf

from rec_model import features as F
from rec_model.agent_gate import candidate_statistics


def _record(model, losses, active) -> None:
    alphas = model.weighting.alphas()
    metrics = iter(model._stage_metrics[model.stage][1:])
    for i in active:
        next(metrics).update_state(losses[i])
        next(metrics).update_state(alphas[i])


def pairs_loss(model, inputs):
    """In-batch softmax with logQ correction over (user, item) pairs for every factor agent,
    plus the ensemble's (their mean logit). `inputs`: USER_INDEX, ITEM_INDEX [b] and
    LOG_SAMPLING_PROBABILITY [b]."""
    active = model.pair_agents()
    if not active:  # no factor agent: this stage has nothing to train
        zero = tf.constant(0.0)
        return zero, zero, zero
    positives = tf.cast(inputs[F.ITEM_INDEX], tf.int32)
    users = model.users(tf.cast(inputs[F.USER_INDEX], tf.int32), drop_items=positives)
    states = model.states(users, only=set(active))
    # A learned temperature per agent puts fitted agents' raw scores (which can be large)
    # on the scale of the trained ones before they enter the ensemble's mean logit.
    scale = tf.exp(model.calibration) / model.config.temperature
    negatives = positives[:model.negatives]
    log_q = tf.cast(inputs[F.LOG_SAMPLING_PROBABILITY], tf.float32)
    log_q_negatives = log_q[:model.negatives]
    positive, negative = [], []
    for i in active:
        state = states[model.agents[i].name]
        positive.append(model.agents[i].score(state, positives[:, None])[:, 0] * scale[i])
        negative.append(model.agents[i].in_batch_logits(state, negatives) * scale[i])
    per_agent = [model.pair_task(p, n, positives, negatives, log_q, log_q_negatives)
                 for p, n in zip(positive, negative)]
    ensemble = model.pair_task(tf.add_n(positive) / len(active),
                               tf.add_n(negative) / len(active),
                               positives, negatives, log_q, log_q_negatives)
    losses = tf.scatter_nd([[i] for i in active], tf.stack(per_agent), [len(model.agents)])
    mask = np.zeros(len(model.agents), bool)
    mask[active] = True
    _record(model, losses, active)
    regularization = tf.add_n([model.agents[i].regularization(users, positives)
                               for i in active])
    return model.weighting(losses, tf.constant(mask)) + ensemble, ensemble, regularization


def gate_loss(model, inputs):
    """Softmax over each validation user's candidate set, for the gate's blend and for every
    agent's calibrated scores. `inputs`: AGENT_CANDIDATE_SCORES [b, C, A], CANDIDATE_MASK and
    CANDIDATE_LABELS [b, C], USER_SIDE [b, s]."""
    scores, mask = inputs[F.AGENT_CANDIDATE_SCORES], inputs[F.CANDIDATE_MASK]
    labels = tf.cast(inputs[F.CANDIDATE_LABELS], tf.float32)
    stats = candidate_statistics(scores, mask)
    ensemble_scores, _, z = model.gate(scores, stats, inputs[F.USER_SIDE])
    temperature = tf.exp(model.calibration)
    losses = tf.stack([model.candidate_task(z[:, :, i] * temperature[i], labels, mask)
                       for i in range(len(model.agents))])
    ensemble = model.candidate_task(ensemble_scores, labels, mask)
    _record(model, losses, range(len(model.agents)))
    return model.weighting(losses) + ensemble, ensemble, tf.constant(0.0)
