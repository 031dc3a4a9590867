"""The single source of feature, column and file names used across the package.

Every layer (data, transform, model, serving) refers to these constants instead of
string literals, so renaming a feature is a one-line change.
"""

# Canonical folder layout.
INTERACTIONS_FILE = "interactions.csv"
ITEMS_FILE = "items.csv"

# Raw columns of interactions.csv.
USER_ID = "user_id"
ITEM_ID = "item_id"
TIMESTAMP = "timestamp"
RATING = "rating"
INTERACTION_REQUIRED_COLUMNS = (USER_ID, ITEM_ID, TIMESTAMP)
INTERACTION_OPTIONAL_COLUMNS = (RATING,)

# Raw columns of items.csv; every other column is extra item text.
TITLE = "title"
GENRES = "genres"
DESCRIPTION = "description"
ITEM_REQUIRED_COLUMNS = (ITEM_ID, TITLE)
ITEM_TEXT = "text"  # title + genres + description + other text columns, concatenated.

# tf.Example features written by example_gen (raw) and by transform (transformed).
HISTORY = "history"  # Request-time recent item ids, string [batch, n], padded with "".
EXCLUDE = "exclude"
USER_INDEX = "user_index"  # int64 vocabulary index (OOV buckets at the end).
ITEM_INDEX = "item_index"
ITEM_POPULARITY = "item_popularity"  # train-split interaction count of the item.
TIMESTAMP_SCALED = "timestamp_scaled"  # z-scored over the train split.
DAY_OF_WEEK = "day_of_week"  # 0 = Monday ... 6 = Sunday (UTC).
HOUR_OF_DAY = "hour_of_day"

# Split names of the Examples artifact.
TRAIN_SPLIT = "train"
EVAL_SPLIT = "eval"

# tf.Transform vocabulary file names (inside the TransformGraph).
USER_VOCAB = "user_id_vocab"
ITEM_VOCAB = "item_id_vocab"
OOV_BUCKETS = 1
