"""Beam pipeline of batch scoring: file ranges -> hash buckets -> RunInference -> part files.

    users ranges --users_to_buckets--+        (bad ids -> error part files)
                                     +--GroupByKey(bucket)--bucket_to_blocks--+
    seen pieces  --seen_to_buckets---+                                        |
        Finish: concatenate parts -> out, errors <--WritePart<--RunInference--+

Output: one line per distinct good user id, `{"user_id", "item_ids": [k], "scores": [k],
"agent_scores": {agent: [k]}}` (agent scores when the model has them), ordered by bucket and
then by exclude length; bad user ids go to the errors file as `{"file", "line", "reason",
"raw"}`. Users unknown to the model are still scored (the model's fallback).

Why this shape (it replaced a per-user CoGroupByKey + RunInference over single users that ran
at 0.24x a plain loop): every element is a file range, a bucket or a block of users, so Beam's
per-element cost is paid a few thousand times instead of millions; the only shuffle carries
columns packed as bytes; workers write their own output; ranges and buckets spread over
workers.
"""

from typing import List, Optional, Sequence

import apache_beam as beam
from apache_beam.ml.inference.base import RunInference
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from components.batch_scorer import bucket_join, file_chunks, part_files
from components.batch_scorer.config import BatchScoreConfig
from components.batch_scorer.model_handler import RecommendModelHandler

LOCAL_RUNNERS = (None, "DirectRunner", "direct", "FnApiRunner")


def make_pipeline(beam_args: Optional[Sequence[str]] = None) -> beam.Pipeline:
    """A pipeline for `beam_args`; local runs go to Beam's FnApiRunner.

    Why: since Beam 2.6x the DirectRunner hands every pipeline it can to the Prism runner,
    which ignores `--direct_num_workers` / `--direct_running_mode` and runs the Python work in
    the launching process's threads, so two "workers" shared one interpreter lock. The
    FnApiRunner honours both flags (`multi_processing`: one process per worker).
    """
    options = PipelineOptions(list(beam_args or []))
    if options.view_as(StandardOptions).runner in LOCAL_RUNNERS:
        from apache_beam.runners.portability.fn_api_runner import fn_runner

        return beam.Pipeline(runner=fn_runner.FnApiRunner(), options=options)
    return beam.Pipeline(options=options)


class _WritePart(beam.DoFn):
    def __init__(self, parts_dir: str):
        self._parts_dir = parts_dir

    def process(self, result):
        yield part_files.write_part(self._parts_dir, result.example, result.inference)


def _finish(parts: List[str], out_path: str, parts_dir: str, errors_path: str,
            errors_dir: str) -> int:
    part_files.concatenate(part_files.list_parts(errors_dir), errors_path, errors_dir)
    part_files.concatenate(parts, out_path, parts_dir)
    return len(parts)


@beam.ptransform_fn
def ScoreUsers(  # pylint: disable=invalid-name
        pipeline, handler: RecommendModelHandler, config: BatchScoreConfig, out_path: str,
        errors_path: str, n_buckets: int,
        user_chunks: Optional[List[file_chunks.FileChunk]] = None, vocabulary: bool = False,
        seen_units: Optional[List[bucket_join.SeenUnit]] = None,
        wanted_users_file: Optional[str] = None):
    """Scores users and writes `out_path` and `errors_path` (one file each, both always).

    Args:
        handler: calls the model on one block.
        config: scoring options.
        n_buckets: hash buckets of the join (the parallelism and memory unit of scoring).
        user_chunks: ranges of the users file, or None to score every user of `seen_units`.
        vocabulary: the users file is the model's vocabulary (`bucket_join.users_to_buckets`).
        seen_units: pieces of the seen-items source, or None when nothing is read from it.
        wanted_users_file: a users file every worker reads whole to keep only its users' seen
            pairs before the shuffle, or None to shuffle every pair.
    """
    parts_dir = part_files.parts_dir_for(out_path)
    errors_dir = part_files.parts_dir_for(errors_path)
    keyed = []
    if user_chunks is not None:
        keyed.append(pipeline | "UserRanges" >> beam.Create(user_chunks)
                     | "UsersToBuckets" >> bucket_join.users_to_buckets(
                         n_buckets, config.max_user_id_bytes, errors_dir, vocabulary))
    if seen_units is not None:
        keyed.append(pipeline | "SeenPieces" >> beam.Create(seen_units)
                     | "SeenToBuckets" >> bucket_join.seen_to_buckets(
                         n_buckets, wanted_users_file, config.max_user_id_bytes))
    to_blocks = bucket_join.bucket_to_blocks(
        users_from_seen=user_chunks is None,
        exclude_seen=config.exclude_seen and seen_units is not None,
        max_batch_size=config.max_batch_size, max_cells=config.max_exclude_cells)
    return (keyed | "Merge" >> beam.Flatten()
            | "ByBucket" >> beam.GroupByKey()
            | "Blocks" >> to_blocks
            | "Recommend" >> RunInference(handler)
            | "WriteParts" >> beam.ParDo(_WritePart(parts_dir))
            | "AllParts" >> beam.combiners.ToList()
            | "Finish" >> beam.Map(_finish, out_path, parts_dir, errors_path, errors_dir))


def count_lines(path: str) -> int:
    """Lines of a (possibly remote) text file; 0 when it does not exist."""
    from apache_beam.io.filesystems import FileSystems

    if not FileSystems.exists(path):
        return 0
    count = 0
    with FileSystems.open(path) as f:
        while True:
            block = f.read(8 << 20)
            if not block:
                return count
            count += block.count(b"\n")
