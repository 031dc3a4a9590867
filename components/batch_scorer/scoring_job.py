"""`run_batch_scoring`: plans and runs the batch-scoring Beam pipeline (`recsys batch-score`).

The driver only looks at file sizes and line breaks (C-speed scans, no per-line Python): it
splits the users file and the seen-items source into ranges and picks the number of hash
buckets; reading, joining and scoring run on the workers (`beam_score`).
"""

import logging
import math
import os
import time
from typing import List, Optional, Sequence

from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import DirectOptions, PipelineOptions, StandardOptions

from components.batch_scorer import beam_score, bucket_join, file_chunks, model_path, seen_pairs
from components.batch_scorer.config import BatchScoreConfig
from components.batch_scorer.model_handler import RecommendModelHandler
from rec_model import features as F

ALL_USERS = "all"
MIN_BUCKETS = 8  # Several buckets per worker, so the GroupByKey's split balances them.
MAX_BUCKETS = 4096
BUCKET_INPUT_BYTES = 8 << 20  # Input bytes (users file + seen items) per bucket.
# A users file up to this size is read whole by every worker (about 100 bytes of memory per
# id) so that seen pairs of users not asked for leave before the shuffle; a larger one is
# joined by the shuffle alone.
WANTED_FILTER_MAX_BYTES = 16 << 20


def errors_path_for(out_path: str) -> str:
    """`recs.jsonl` -> `recs.errors.jsonl`."""
    stem = out_path[: -len(".jsonl")] if out_path.endswith(".jsonl") else out_path
    return stem + ".errors.jsonl"


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
        f"{path}: neither a canonical data folder (interactions.csv) nor an Examples artifact "
        "(Split-*/); pass --seen-from DATA_DIR or the uri of example_gen's examples")


def seen_units(source: str, splits: Optional[Sequence[str]] = None) -> List[bucket_join.SeenUnit]:
    """The pieces in which workers read a seen-items source.

    Args:
        source: canonical data folder or Examples artifact uri.
        splits: Examples splits to read (all when None); ignored for a canonical folder.
    """
    import tensorflow as tf

    from components.example_gen import input_files

    def whole(kind, path):
        chunk = file_chunks.FileChunk(path, 0, file_chunks.WHOLE_FILE, 1)
        return bucket_join.SeenUnit(kind, chunk)

    units = []
    if seen_source_kind(source) == "canonical":
        for path in input_files.find_interaction_files(source):
            layout = seen_pairs.read_layout(path)
            chunks, quoted = file_chunks.scan(path, start=layout.data_start,
                                              first_line=layout.data_line)
            if quoted:
                units.append(whole(bucket_join.SEEN_CSV_WHOLE, path))
            else:
                units.extend(bucket_join.SeenUnit(bucket_join.SEEN_CSV_RANGE, c, layout)
                             for c in chunks)
        return units
    dirs = [d.rstrip("/") for d in tf.io.gfile.glob(os.path.join(source, "Split-*"))]
    if splits is not None:
        dirs = [d for d in dirs if os.path.basename(d)[len("Split-"):] in splits]
    if not dirs:
        raise FileNotFoundError(
            f"{source}: no Split-{splits} folder; available: {tf.io.gfile.listdir(source)}")
    for d in sorted(dirs):
        for path in sorted(tf.io.gfile.glob(os.path.join(d, "*"))):
            units.append(whole(bucket_join.SEEN_TFRECORD, path))
    return units


def _bytes(paths) -> int:
    return sum(FileSystems.match([p])[0].metadata_list[0].size_in_bytes for p in paths)


def worker_threads(options: PipelineOptions) -> Optional[int]:
    """TensorFlow threads per worker process: the cores split among local worker processes,
    or None (TensorFlow's default) when workers do not share this machine."""
    direct = options.view_as(DirectOptions)
    if options.view_as(StandardOptions).runner not in beam_score.LOCAL_RUNNERS:
        return None
    workers = direct.direct_num_workers or os.cpu_count() or 1
    if direct.direct_running_mode != "multi_processing" or workers <= 1:
        return None
    return max(1, (os.cpu_count() or 1) // workers)


def wanted_users_file(users_file: Optional[str], users_bytes: int, vocabulary: bool,
                      units: Optional[Sequence[bucket_join.SeenUnit]]) -> Optional[str]:
    """The users file (of `users_bytes` bytes) whose ids the workers keep seen pairs of, or
    None to shuffle every pair: no seen items are read, every user is wanted (no users file,
    or the model's vocabulary), or the file is above `WANTED_FILTER_MAX_BYTES`."""
    if not units or users_file is None or vocabulary:
        return None
    return users_file if users_bytes <= WANTED_FILTER_MAX_BYTES else None


def scoring_signature(signatures: Sequence[str], exclude_seen: bool) -> str:
    """`recommend`, or `recommend_include_seen` when seen items are wanted and the model has it
    (`recommend` drops each known user's training items by itself)."""
    if not exclude_seen and F.SIGNATURE_RECOMMEND_INCLUDE_SEEN in signatures:
        return F.SIGNATURE_RECOMMEND_INCLUDE_SEEN
    return F.SIGNATURE_RECOMMEND


def add_scoring(pipeline, saved_model_dir: str, users: str, out_path: str, errors_path: str,
                config: BatchScoreConfig, seen_from: Optional[str] = None, seen_splits=None):
    """Adds the scoring transforms to `pipeline`.

    Args:
        saved_model_dir: resolved SavedModel folder.
        users: a users file (one id per line), or "all": the model's user vocabulary
            (`<SavedModel>/assets.extra/user_ids.txt`) when it ships one, else every user of
            `seen_from`.
        seen_from: canonical data folder or Examples artifact; its items are excluded when
            `config.exclude_seen`.
        seen_splits: Examples splits that count as seen (None: `config.seen_split`).

    Raises:
        ValueError: `users == "all"` with no user vocabulary in the model and no `seen_from`,
            or `exclude_seen` without `seen_from`.
    """
    if config.exclude_seen and not seen_from:
        raise ValueError("excluding seen items needs --seen-from DATA_DIR (or an Examples uri); "
                         "pass it, or --no-exclude-seen")
    users_file, vocabulary = users, users == ALL_USERS
    if vocabulary:
        users_file = model_path.user_ids_file(saved_model_dir)
        if users_file is None and not seen_from:
            raise ValueError(
                f"--users all: the model ({saved_model_dir}) ships no {model_path.USER_IDS_ASSET} "
                "in assets.extra/ or assets/; pass --seen-from DATA_DIR to score every user of "
                "that data, or --users FILE")
    units = None
    if seen_from and (config.exclude_seen or users_file is None):
        splits = list(seen_splits) if seen_splits is not None else [config.seen_split]
        units = seen_units(seen_from, splits)
    chunks = file_chunks.scan(users_file)[0] if users_file is not None else None
    users_bytes = _bytes([users_file] if users_file else [])
    inputs = users_bytes + _bytes({u.chunk.path for u in units or []})
    n_buckets = min(MAX_BUCKETS, max(MIN_BUCKETS, math.ceil(inputs / BUCKET_INPUT_BYTES)))
    wanted = wanted_users_file(users_file, users_bytes, vocabulary, units)
    signature = scoring_signature(model_path.signature_names(saved_model_dir), config.exclude_seen)
    handler = RecommendModelHandler(saved_model_dir, config.k, config.include_agent_scores,
                                    signature, worker_threads(pipeline.options))
    return pipeline | "Score" >> beam_score.ScoreUsers(
        handler, config, out_path, errors_path, n_buckets, chunks, vocabulary, units, wanted)


def run_batch_scoring(model: str, users: str, out_path: str,
                      config: BatchScoreConfig = BatchScoreConfig(),
                      seen_from: Optional[str] = None, errors_path: Optional[str] = None,
                      beam_args: Optional[List[str]] = None, seen_splits=None) -> dict:
    """Scores users in bulk with Beam (DirectRunner unless `beam_args` say otherwise).

    Args:
        model: SavedModel folder, TFX Model artifact uri, or TF Serving base path (newest version).
        users: users file or "all" (see `add_scoring`).
        out_path: JSON-lines output (one file).
        config: scoring options.
        seen_from: data folder / Examples uri of the seen items (and of the users for "all").
        errors_path: bad user ids (default `<out>.errors.jsonl`).
        beam_args: Beam pipeline options, e.g. `["--direct_num_workers=2",
            "--direct_running_mode=multi_processing"]` or `["--runner=DataflowRunner", ...]`.

    Returns:
        `{"model", "users_scored", "bad_user_ids", "out", "errors", "seconds"}`.
    """
    saved_model_dir = model_path.resolve_saved_model(model)
    model_path.check_signature(saved_model_dir)
    errors_path = errors_path or errors_path_for(out_path)
    start = time.time()
    try:
        with beam_score.make_pipeline(beam_args) as pipeline:
            add_scoring(pipeline, saved_model_dir, users, out_path, errors_path, config,
                        seen_from, seen_splits)
    finally:
        bucket_join.forget_wanted_users()
    summary = {
        "model": saved_model_dir,
        "users_scored": beam_score.count_lines(out_path),
        "bad_user_ids": beam_score.count_lines(errors_path),
        "out": out_path,
        "errors": errors_path,
        "seconds": round(time.time() - start, 3),
    }
    logging.info("batch scoring: %s", summary)
    return summary
