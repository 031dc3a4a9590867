"""`run_batch_scoring`: builds and runs the batch-scoring Beam pipeline (used by `recsys batch-score`)."""

import logging
import time
from typing import List, Optional

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from components.batch_scorer import beam_score, model_path
from components.batch_scorer.config import BatchScoreConfig

ALL_USERS = "all"


def errors_path_for(out_path: str) -> str:
    """`recs.jsonl` -> `recs.errors.jsonl`."""
    stem = out_path[: -len(".jsonl")] if out_path.endswith(".jsonl") else out_path
    return stem + ".errors.jsonl"


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
    seen = None
    if seen_from:
        splits = list(seen_splits) if seen_splits is not None else [config.seen_split]
        seen = pipeline | "ReadSeen" >> beam_score.ReadInteractionPairs(seen_from, splits)
    if users == ALL_USERS:
        known = model_path.model_user_ids(saved_model_dir)
        if known is not None:
            source = f"{saved_model_dir}/{model_path.USER_IDS_LOCATIONS[0]}/{model_path.USER_IDS_ASSET}"
            raw = pipeline | "ModelUsers" >> beam.Create([(source, i + 1, u) for i, u in enumerate(known)])
        elif seen is not None:
            raw = (seen | "UserOf" >> beam.Map(lambda pair: pair[0]) | "DistinctUsers" >> beam.Distinct()
                   | "AsRaw" >> beam.Map(lambda u, src=seen_from: (src, 0, u)))
        else:
            raise ValueError(
                f"--users all: the model ({saved_model_dir}) ships no {model_path.USER_IDS_ASSET} in assets.extra/ "
                "or assets/; pass --seen-from DATA_DIR to score every user of that data, or --users FILE")
    else:
        raw = (pipeline | "UsersFile" >> beam.Create([users])
               | "ReadUsers" >> beam.FlatMap(beam_score._read_users_file)  # pylint: disable=protected-access
               | "SpreadUsers" >> beam.Reshuffle())
    seen_for_exclude = seen if config.exclude_seen else None
    return pipeline | "Score" >> beam_score.ScoreUsers(
        raw, saved_model_dir, config, out_path, errors_path, seen_for_exclude)


def run_batch_scoring(model: str, users: str, out_path: str, config: BatchScoreConfig = BatchScoreConfig(),
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
    with beam.Pipeline(options=PipelineOptions(list(beam_args or []))) as pipeline:
        add_scoring(pipeline, saved_model_dir, users, out_path, errors_path, config, seen_from, seen_splits)
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
