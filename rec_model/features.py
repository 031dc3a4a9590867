"""The single source of feature, column and file names used across the package.

Every layer (data, transform, model, serving) refers to these constants instead of
string literals, so renaming a feature is a one-line change.
"""

# Canonical folder layout.
INTERACTIONS_FILE = "interactions.csv"
ITEMS_FILE = "items.csv"
# Interactions the continuous-training trigger turned from feedback on served lists.
FEEDBACK_SPAN_FILE = "interactions-span-{span}.csv"
FEEDBACK_SPAN_GLOB = "interactions-span-*.csv"

# Raw columns of interactions.csv.
USER_ID = "user_id"
ITEM_ID = "item_id"
TIMESTAMP = "timestamp"
RATING = "rating"  # explicit rating or any positive interaction strength; 0 = absent
# tf.Example int64 written by example_gen: 1 = the row came from a feedback span (an
# interaction on a list the live model served), 0 = from the data itself.
FROM_FEEDBACK = "from_feedback"
INTERACTION_REQUIRED_COLUMNS = (USER_ID, ITEM_ID)  # timestamp and rating are optional
# Every column that is read, in the order canonical files are written.
INTERACTION_COLUMNS = (USER_ID, ITEM_ID, TIMESTAMP, RATING)

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
ITEM_COUNTS_VOCAB = "item_id_counts"  # "<train count> <item id>" per line, most popular first.
OOV_BUCKETS = 1

# Serving contract: SavedModel signature and tensor names (see serving/README.md).
SIGNATURE_RECOMMEND = "recommend"  # user_id [b], k [], history [b, n], exclude [b, n].
SIGNATURE_SCORE = "score"  # user_id [b], item_ids [b, n].
SIGNATURE_DEFAULT = "serving_default"  # examples [b] serialized tf.Example.
SIGNATURE_RECOMMEND_INCLUDE_SEEN = "recommend_include_seen"  # as recommend, seen items allowed.
EXAMPLES = "examples"
K = "k"
ITEM_IDS = "item_ids"  # string [b, k] (recommend) or [b, n] (score input).
SCORES = "scores"  # float32 [b, k]
AGENT_SCORES = "agent_scores"  # float32 [b, k, n_agents]
AGENT_NAMES = "agent_names"  # string [n_agents]
DEFAULT_SERVING_K = 10  # k used by serving_default, which has no k input.

# Model-internal training inputs.
LOG_SAMPLING_PROBABILITY = "log_sampling_probability"  # [b] log share of the positive item.
AGENT_CANDIDATE_SCORES = "agent_candidate_scores"  # [n, C, agents] scores of candidates.
CANDIDATE_MASK = "candidate_mask"  # [n, C] bool, valid candidates.
CANDIDATE_LABELS = "candidate_labels"  # [n, C] 1 for held-out items among the candidates.
USER_SIDE = "user_side"  # [n, s] user side features.
ITEM_TEXT_EMBEDDING = "item_text_embedding"  # float [items, dim]: BERT embedding of ITEM_TEXT.
