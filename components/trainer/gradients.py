"""Checks that embedding gradients stay sparse (tf.IndexedSlices) through the all-reduce.

Every agent reads user and item rows with `tf.gather` (the pairs stage scores only the
batch's positives), so embedding-table gradients are `tf.IndexedSlices`: only the batch's
rows. Under MultiWorkerMirroredStrategy the optimizer aggregates gradients with
`CollectiveAllReduce`, which all-gathers the indices and values of IndexedSlices instead of
densifying them (`cross_device_ops.CollectiveAllReduce`, sparse path), so each step moves
[batch rows, dim] per table, not [users or items, dim].
"""

from typing import Dict, List, Tuple

import tensorflow as tf


def gradient_kinds(model, batch) -> List[Tuple[str, str]]:
    """[(variable name, "IndexedSlices" | "Tensor")] of one loss gradient, without a strategy
    (names repeat across agents: cf and hybrid both have `user_embeddings`).

    Args:
        model: a MultiAgentModel.
        batch: a pairs-stage batch (USER_INDEX [b], ITEM_INDEX [b], LOG_SAMPLING_PROBABILITY [b]).
    """
    with tf.GradientTape() as tape:
        loss = model.compute_loss(batch, training=True)
    grads = tape.gradient(loss, model.trainable_variables)
    return [(v.name, "IndexedSlices" if isinstance(g, tf.IndexedSlices) else "Tensor")
            for v, g in zip(model.trainable_variables, grads) if g is not None]


def sparse_allreduce_report(model, strategy: tf.distribute.Strategy, batch) -> Dict[str, object]:
    """Computes one step's gradients on every replica and all-reduces them (SUM), as the
    optimizer does; every worker must call it (it runs collectives).

    Args:
        model: a MultiAgentModel built under `strategy`.
        strategy: the training strategy.
        batch: per-worker model inputs (the same structure the dataset yields).

    Returns:
        {"sparse_before": [names with IndexedSlices gradients],
         "sparse_after_allreduce": [names still IndexedSlices after the all-reduce],
         "dense": [names with dense gradients], "replicas": n}.
    """
    variables = model.trainable_variables

    def step(inputs):
        with tf.GradientTape() as tape:
            loss = model.compute_loss(inputs, training=True)
        return tape.gradient(loss, variables)

    per_replica = strategy.run(tf.function(step), args=(batch,))
    pairs = [(g, v) for g, v in zip(per_replica, variables) if g is not None]
    if not pairs:  # no gradient-trained agent
        return {"sparse_before": [], "sparse_after_allreduce": [], "dense": [],
                "replicas": strategy.num_replicas_in_sync}
    reduced = strategy.extended.batch_reduce_to(tf.distribute.ReduceOp.SUM, pairs)
    local = lambda g: strategy.experimental_local_results(g)[0]  # noqa: E731
    before = [v.name for g, v in pairs if isinstance(local(g), tf.IndexedSlices)]
    after = [v.name for (g, v), r in zip(pairs, reduced) if isinstance(local(r), tf.IndexedSlices)]
    dense = [v.name for g, v in pairs if not isinstance(local(g), tf.IndexedSlices)]
    return {"sparse_before": before, "sparse_after_allreduce": after, "dense": dense,
            "replicas": strategy.num_replicas_in_sync}
