"""Examples artifacts whose eval items are what `serving.testing`'s stand-in ranks first.

A stand-in exported with the same seed is then a "good" model (NDCG@10 near 1), one with
negated collaborative weight a "bad" one, and popularity (random train items) sits between.
"""

import os

import numpy as np
import tensorflow as tf
from tfx.types import standard_artifacts

from rec_model import features as F
from serving import testing

N_USERS, N_ITEMS, SEED = 20, 50, 0
GOOD = dict(n_users=N_USERS, n_items=N_ITEMS, seed=SEED)
BAD = dict(n_users=N_USERS, n_items=N_ITEMS, seed=SEED, agent_weights=(-1.0, 0.0))


def _example(user, item, ts):
    feature = {
        F.USER_ID: tf.train.Feature(bytes_list=tf.train.BytesList(value=[user.encode()])),
        F.ITEM_ID: tf.train.Feature(bytes_list=tf.train.BytesList(value=[item.encode()])),
        F.TIMESTAMP: tf.train.Feature(int64_list=tf.train.Int64List(value=[ts])),
        F.RATING: tf.train.Feature(float_list=tf.train.FloatList(value=[4.0])),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def write_examples(uri, train, eval_):
    """Writes rows (user, item, timestamp) as example_gen does; returns an Examples artifact."""
    for split, rows in ((F.TRAIN_SPLIT, train), (F.EVAL_SPLIT, eval_)):
        folder = os.path.join(uri, f"Split-{split}")
        os.makedirs(folder, exist_ok=True)
        options = tf.io.TFRecordOptions(compression_type="GZIP")
        with tf.io.TFRecordWriter(os.path.join(folder, "data-00000-of-00001.gz"),
                                  options) as writer:
            for row in rows:
                writer.write(_example(*row))
    examples = standard_artifacts.Examples()
    examples.uri = str(uri)
    return examples


def standin_rows(n_train=5, n_eval=3, extra_items=()):
    """Train rows: random items outside each user's collaborative top 10; eval rows: the top
    `n_eval`."""
    module, _ = testing.build_standin_module(**GOOD)
    collab = module.user_emb.numpy() @ module.item_emb.numpy().T  # [users, items]
    rng = np.random.default_rng(1)
    train, eval_ = [], []
    for u in range(N_USERS):
        order = np.argsort(-collab[u])
        for n, i in enumerate(rng.choice(order[10:], size=n_train, replace=False)):
            train.append((f"u{u}", f"i{i}", 1000 + n))
        for n, i in enumerate(order[:n_eval]):
            eval_.append((f"u{u}", f"i{i}", 2000 + n))
    for n, item in enumerate(extra_items):
        train.append(("u0", item, 1500 + n))
    return train, eval_


def model_artifact(uri):
    model = standard_artifacts.Model()
    model.uri = str(uri)
    return model


def export_model(uri, serving_subdir=True, **kwargs):
    """Exports the stand-in as a Model artifact (SavedModel at `<uri>/Format-Serving/` by
    default)."""
    base = os.path.join(str(uri), "tmp-export")
    version_dir = testing.export_standin(base, version=1, **kwargs)
    target = os.path.join(str(uri), "Format-Serving") if serving_subdir else str(uri) + "-direct"
    os.rename(version_dir, target)
    os.rmdir(base)
    return model_artifact(uri if serving_subdir else target)


def export_recommend_only(uri, **kwargs):
    """A stand-in with only the `recommend` signature (no `score`)."""
    module, signatures = testing.build_standin_module(**kwargs)
    path = os.path.join(str(uri), "Format-Serving")
    tf.saved_model.save(module, path,
                        signatures={F.SIGNATURE_RECOMMEND: signatures[F.SIGNATURE_RECOMMEND]})
    return model_artifact(uri)
