"""The tf.Transform preprocessing function and the raw schema it reads.

The same graph runs at training time (materialised transformed examples) and inside the
serving signature (`TFTransformOutput.transform_features_layer()`), so features are computed
one way only.
"""

import tensorflow as tf
import tensorflow_transform as tft

from rec_model import features

SECONDS_PER_DAY = 86400
SECONDS_PER_HOUR = 3600
# 1970-01-01 was a Thursday; with Monday = 0, day 0 of the epoch is 3.
EPOCH_WEEKDAY = 3

RAW_FEATURE_SPEC = {
    features.USER_ID: tf.io.FixedLenFeature([], tf.string),
    features.ITEM_ID: tf.io.FixedLenFeature([], tf.string),
    features.TIMESTAMP: tf.io.FixedLenFeature([], tf.int64),
    features.RATING: tf.io.FixedLenFeature([], tf.float32),
}


def raw_schema():
    """The raw tf.Example schema (a `tensorflow_metadata` Schema proto)."""
    from tensorflow_transform.tf_metadata import schema_utils

    return schema_utils.schema_from_feature_spec(RAW_FEATURE_SPEC)


def _frequency_table(vocab_path) -> tf.lookup.StaticHashTable:
    """count lookup over a `store_frequency` vocabulary file ("<count> <token>" lines)."""
    initializer = tf.lookup.TextFileInitializer(
        vocab_path,
        key_dtype=tf.string,
        key_index=1,
        value_dtype=tf.int64,
        value_index=0,
        delimiter=" ",
    )
    return tf.lookup.StaticHashTable(initializer, default_value=0)


def _frequency_lookup(keys: tf.Tensor, vocab_path: tf.Tensor):
    """`lookup_fn` for `tft.apply_vocabulary`: (train counts [batch] int64, 0 when unseen;
    vocabulary size). The table is lifted out of the function like tft's own tables."""
    from tensorflow_transform import tf_utils

    # tft stores tokens with spaces as "__SPACE__" in frequency vocabularies.
    formatted = tf.strings.regex_replace(keys, " ", "__SPACE__")
    return tf_utils.construct_and_lookup_table(_frequency_table, vocab_path, formatted)


def preprocessing_fn(inputs):
    """Vocabularies with OOV buckets, item popularity and timestamp features.

    Args:
        inputs: dict of raw tensors, each [batch]: user_id, item_id (string),
            timestamp (int64, unix seconds), rating (float32, 0 = none).

    Returns:
        dict of [batch] tensors: the raw ids and rating passed through, user_index and
        item_index (int64; unseen ids map to the OOV bucket at index vocab_size),
        item_popularity (int64 train count), timestamp_scaled (z-score), day_of_week,
        hour_of_day (int64).
    """
    user_id = inputs[features.USER_ID]
    item_id = inputs[features.ITEM_ID]
    timestamp = inputs[features.TIMESTAMP]
    # "<count> <item>" lines, most popular first: the trainer reads catalogue popularity from it.
    item_counts_file = tft.vocabulary(
        item_id, vocab_filename=features.ITEM_COUNTS_VOCAB, store_frequency=True,
        name="item_counts"
    )
    return {
        features.USER_ID: user_id,
        features.ITEM_ID: item_id,
        features.RATING: inputs[features.RATING],
        features.USER_INDEX: tft.compute_and_apply_vocabulary(
            user_id, num_oov_buckets=features.OOV_BUCKETS, vocab_filename=features.USER_VOCAB
        ),
        features.ITEM_INDEX: tft.compute_and_apply_vocabulary(
            item_id, num_oov_buckets=features.OOV_BUCKETS, vocab_filename=features.ITEM_VOCAB
        ),
        features.ITEM_POPULARITY: tft.apply_vocabulary(
            item_id, item_counts_file, lookup_fn=_frequency_lookup, name="item_popularity"
        ),
        # float64: unix seconds (~1.7e9) lose minutes of precision in float32.
        features.TIMESTAMP_SCALED: tf.cast(
            tft.scale_to_z_score(tf.cast(timestamp, tf.float64)), tf.float32
        ),
        features.DAY_OF_WEEK: tf.math.floormod(timestamp // SECONDS_PER_DAY + EPOCH_WEEKDAY, 7),
        features.HOUR_OF_DAY: tf.math.floormod(timestamp // SECONDS_PER_HOUR, 24),
    }
