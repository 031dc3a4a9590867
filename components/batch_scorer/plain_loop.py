"""The plain in-process loop that Beam batch scoring is measured and tested against.

No Beam: load the SavedModel once, read every seen (user, item) pair of a canonical data folder
into a dict, then call `recommend` on consecutive batches of users and write one
`json.dumps(to_row(...))` line per user. This is the baseline of the scale issue ("batch
scoring at least as fast as a plain loop"); `bench/bench_batch_scoring.py` times it and the
tests compare its output with the Beam path's, user by user.
"""

import json
import time
from typing import Dict, List, Optional, Set

from components.batch_scorer import json_lines
from components.batch_scorer import user_ids as uid
from components.batch_scorer.config import BatchScoreConfig
from components.batch_scorer.loaded_model import LoadedRecommend, recommend_batch
from rec_model.data import canonical

BATCH_SIZE = 256  # What the baseline used.


def read_seen(data_dir: str) -> Dict[str, Set[str]]:
    """user id -> items of the good rows of the folder's interactions files."""
    from components.example_gen import input_files

    seen: Dict[str, Set[str]] = {}
    for path in input_files.find_interaction_files(data_dir):
        for record in canonical.iter_interactions(path):
            if isinstance(record, canonical.Interaction):
                seen.setdefault(record.user_id, set()).add(record.item_id)
    return seen


def read_users(path: str, max_bytes: int) -> List[str]:
    """Distinct good ids of a users file, in first-seen order (bad ids are skipped)."""
    users: Dict[str, None] = {}
    for _, raw in uid.iter_user_lines(path):
        user, _ = uid.check_user_id(raw, max_bytes)
        if user is not None:
            users.setdefault(user, None)
    return list(users)


def score_users(saved_model_dir: str, out_path: str, config: BatchScoreConfig,
                users_file: Optional[str] = None, seen_from: Optional[str] = None,
                batch_size: int = BATCH_SIZE) -> dict:
    """Scores the users of `users_file` (or every user of `seen_from`) one batch after another.

    Args:
        saved_model_dir: SavedModel folder with `recommend`.
        out_path: JSON-lines output.
        config: k, exclude_seen, include_agent_scores, max_user_id_bytes are honoured.
        users_file: one user id per line; None: every user of `seen_from`, sorted.
        seen_from: canonical data folder; its items are excluded when `config.exclude_seen`.
        batch_size: users per `recommend` call.

    Returns:
        `{"users_scored", "seconds"}` (seconds include reading and model loading).
    """
    start = time.time()
    seen = read_seen(seen_from) if seen_from else {}
    users = read_users(users_file, config.max_user_id_bytes) if users_file else sorted(seen)
    model = LoadedRecommend(saved_model_dir)
    with open(out_path, "w", encoding="utf-8") as f:
        for s in range(0, len(users), batch_size):
            chunk = users[s:s + batch_size]
            excludes = [sorted(seen.get(u, ())) if config.exclude_seen else [] for u in chunk]
            outputs = recommend_batch(model, chunk, config.k, excludes)
            for i, user in enumerate(chunk):
                row = json_lines.to_row(user, outputs, i, config.include_agent_scores)
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return {"users_scored": len(users), "seconds": round(time.time() - start, 3)}
