"""Beam pipeline of batch scoring: users (+ seen items) -> RunInference(`recommend`) -> JSON lines.

Output: one line per distinct good user id,
`{"user_id", "item_ids": [k], "scores": [k], "agent_scores": {agent: [k]}}` (agent scores when
the model has them); bad user ids go to the errors file as `{"file", "line", "reason", "raw"}`.
Users unknown to the model are still scored (the model's fallback: popularity / history).
"""

import json
import os
from typing import List, Optional

import apache_beam as beam
from apache_beam.ml.inference.base import RunInference

from components.batch_scorer import user_ids as uid
from components.batch_scorer.config import BatchScoreConfig
from components.batch_scorer.model_handler import RecommendModelHandler
from rec_model import features as F

ERRORS_TAG = "errors"


def seen_source_kind(path: str) -> str:
    """"canonical" for a data folder (interactions*.csv), "examples" for an Examples artifact.

    Raises:
        FileNotFoundError: neither (says what is expected).
    """
    import tensorflow as tf

    from components.example_gen import input_files

    if any(tf.io.gfile.glob(os.path.join(path, p)) for p in input_files.INTERACTION_GLOBS):
        return "canonical"
    if tf.io.gfile.glob(os.path.join(path, "Split-*")):
        return "examples"
    raise FileNotFoundError(
        f"{path}: neither a canonical data folder (interactions.csv) nor an Examples artifact (Split-*/); "
        "pass --seen-from DATA_DIR or the uri of example_gen's examples")


class _ReadCanonicalPairs(beam.DoFn):
    """(user, item) of every good row of one interactions file (malformed rows are
    example_gen's business: it quarantines them; here they are skipped)."""

    def process(self, path: str):
        from rec_model.data import canonical

        for record in canonical.iter_interactions(path):
            if isinstance(record, canonical.Interaction):
                yield record.user_id, record.item_id


def _example_pair(serialized: bytes):
    import tensorflow as tf

    feats = tf.train.Example.FromString(serialized).features.feature
    user = feats[F.USER_ID].bytes_list.value
    item = feats[F.ITEM_ID].bytes_list.value
    return (user[0].decode("utf-8"), item[0].decode("utf-8")) if user and item else None


@beam.ptransform_fn
def ReadInteractionPairs(pipeline, source: str, splits: Optional[List[str]] = None):  # pylint: disable=invalid-name
    """(user id, item id) pairs from a canonical folder or an Examples artifact.

    Args:
        source: canonical data folder or Examples artifact uri.
        splits: Examples splits to read (all when None); ignored for a canonical folder.
    """
    import tensorflow as tf

    from components.example_gen import input_files

    if seen_source_kind(source) == "canonical":
        return (pipeline | "Files" >> beam.Create(input_files.find_interaction_files(source))
                | "ReadCsv" >> beam.ParDo(_ReadCanonicalPairs()) | "Spread" >> beam.Reshuffle())
    dirs = [d.rstrip("/") for d in tf.io.gfile.glob(os.path.join(source, "Split-*"))]
    if splits is not None:
        dirs = [d for d in dirs if os.path.basename(d)[len("Split-"):] in splits]
    if not dirs:
        raise FileNotFoundError(f"{source}: no Split-{splits} folder; available: {tf.io.gfile.listdir(source)}")
    patterns = [os.path.join(d, "*") for d in sorted(dirs)]
    return (pipeline | "Patterns" >> beam.Create(patterns) | "ReadTFRecords" >> beam.io.ReadAllFromTFRecord(
        compression_type=beam.io.filesystem.CompressionTypes.AUTO)
            | "Parse" >> beam.Map(_example_pair) | "DropEmpty" >> beam.Filter(lambda p: p is not None))


class _ValidateUsers(beam.DoFn):
    """Raw user ids -> good ids, or error records on the ERRORS_TAG output."""

    def __init__(self, max_bytes: int):
        self._max_bytes = max_bytes

    def process(self, element):
        file, line, raw = element
        user, reason = uid.check_user_id(raw, self._max_bytes)
        if user is None:
            yield beam.pvalue.TaggedOutput(ERRORS_TAG, uid.error_record(file, line, reason, raw))
        else:
            yield user


def _read_users_file(path: str):
    for line, raw in uid.iter_user_lines(path):
        yield path, line, raw


@beam.ptransform_fn
def ScoreUsers(pipeline, raw_users, saved_model_dir: str, config: BatchScoreConfig,  # pylint: disable=invalid-name
               out_path: str, errors_path: str, seen_pairs=None):
    """Validates, joins seen items, scores and writes.

    Args:
        raw_users: PCollection of (source file, line, raw id bytes or str).
        saved_model_dir: SavedModel with `recommend`.
        config: scoring options.
        out_path / errors_path: the single output files written.
        seen_pairs: PCollection of (user id, item id) to exclude, or None.
    """
    checked = raw_users | "Validate" >> beam.ParDo(_ValidateUsers(config.max_user_id_bytes)).with_outputs(
        ERRORS_TAG, main="users")
    users = checked.users
    if seen_pairs is not None:
        keyed = users | "KeyUser" >> beam.Map(lambda u: (u, None))
        requests = (
            {"user": keyed, "seen": seen_pairs}
            | "JoinSeen" >> beam.CoGroupByKey()
            | "Requests" >> beam.FlatMap(
                lambda kv: [(kv[0], sorted(set(kv[1]["seen"])))] if list(kv[1]["user"]) else []))
    else:
        requests = users | "Distinct" >> beam.Distinct() | "NoExclude" >> beam.Map(lambda u: (u, []))
    handler = RecommendModelHandler(saved_model_dir, config.k, config.include_agent_scores, config.max_batch_size)
    _ = (requests
         | "Recommend" >> RunInference(handler)
         | "ToJson" >> beam.Map(lambda result: json.dumps(result.inference, ensure_ascii=False))
         | "WriteRecs" >> beam.io.WriteToText(out_path, shard_name_template="", num_shards=1))
    _ = checked[ERRORS_TAG] | "WriteErrors" >> beam.io.WriteToText(errors_path, shard_name_template="", num_shards=1)
    return pipeline


def count_lines(path: str) -> int:
    """Lines of a (possibly remote) text file; 0 when it does not exist."""
    from apache_beam.io.filesystems import FileSystems

    if not FileSystems.exists(path):
        return 0
    with FileSystems.open(path) as f:
        return sum(1 for line in f if line.strip())
