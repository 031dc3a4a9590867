"""Reference models of the protocol: popularity, EASE and the TFRS basic retrieval tutorial."""

import time
from typing import Dict, Sequence, Tuple

import numpy as np

from rec_model.ranking_metrics import evaluate_scores


def dense(rows: np.ndarray, num_users: int, num_items: int) -> np.ndarray:
    """[n, >=2] (user, item) rows -> [users, items] float32 0/1."""
    x = np.zeros((num_users, num_items), np.float32)
    x[rows[:, 0], rows[:, 1]] = 1.0
    return x


def popularity_scores(train: np.ndarray, num_users: int, num_items: int) -> np.ndarray:
    counts = np.bincount(train[:, 1], minlength=num_items).astype(np.float32)
    return np.broadcast_to(counts, (num_users, num_items))


def ease_scores(train: np.ndarray, num_users: int, num_items: int, l2: float) -> np.ndarray:
    """EASE (Steck, WWW 2019), the dense closed form: a reference at MovieLens scale only."""
    x = dense(train, num_users, num_items).astype(np.float64)
    p = np.linalg.inv(x.T @ x + l2 * np.eye(num_items))
    b = -p / np.diag(p)
    np.fill_diagonal(b, 0.0)
    return (x @ b).astype(np.float32)


def tune_ease(val_train: np.ndarray, val_test_by_user: Dict[int, Sequence[int]], num_users: int,
              num_items: int, grid: Sequence[float] = (50, 100, 200, 300, 500, 800, 1200)
              ) -> Tuple[float, Dict[float, float]]:
    """Picks lambda by NDCG@10 on a validation split carved from train (never the test)."""
    exclude = {}
    for u, i in val_train[:, :2]:
        exclude.setdefault(int(u), []).append(int(i))
    results = {}
    for l2 in grid:
        results[float(l2)] = evaluate_scores(ease_scores(val_train, num_users, num_items, l2),
                                             val_test_by_user, exclude, ks=(10,))["ndcg@10"]
    return max(results, key=results.get), results


def tfrs_basic(train: np.ndarray, num_users: int, num_items: int,
               seed: int = 42) -> Tuple[np.ndarray, float, float]:
    """The TFRS basic retrieval tutorial model: 32-d id embeddings, Retrieval task,
    Adagrad(0.1), batch 8192, 3 epochs. Training skips the FactorizedTopK metric
    (it is an evaluation aid and would dominate the timing).

    Returns:
        (scores [users, items], seconds, training examples per second).
    """
    import tensorflow as tf
    import tensorflow_recommenders as tfrs

    tf.keras.utils.set_random_seed(seed)

    class TutorialModel(tfrs.Model):
        def __init__(self):
            super().__init__()
            self.user_model = tf.keras.Sequential([
                tf.keras.layers.StringLookup(vocabulary=[str(u) for u in range(num_users)],
                                             mask_token=None),
                tf.keras.layers.Embedding(num_users + 1, 32)])
            self.item_model = tf.keras.Sequential([
                tf.keras.layers.StringLookup(vocabulary=[str(i) for i in range(num_items)],
                                             mask_token=None),
                tf.keras.layers.Embedding(num_items + 1, 32)])
            self.task = tfrs.tasks.Retrieval()

        def compute_loss(self, features, training=False):
            return self.task(self.user_model(features["user_id"]),
                             self.item_model(features["item_id"]),
                             compute_metrics=not training)

    model = TutorialModel()
    model.compile(optimizer=tf.keras.optimizers.Adagrad(learning_rate=0.1))
    ds = tf.data.Dataset.from_tensor_slices({"user_id": train[:, 0].astype(str),
                                             "item_id": train[:, 1].astype(str)})
    ds = ds.shuffle(len(train), seed=seed, reshuffle_each_iteration=False).batch(8192).cache()
    start = time.perf_counter()
    model.fit(ds, epochs=3, verbose=0)
    seconds = time.perf_counter() - start
    users = model.user_model(tf.constant([str(u) for u in range(num_users)])).numpy()
    items = model.item_model(tf.constant([str(i) for i in range(num_items)])).numpy()
    return users @ items.T, seconds, 3 * len(train) / seconds
