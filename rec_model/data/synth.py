"""Synthetic canonical folder with planted, recoverable user preferences.

Each item has one topic; its title (2-4 words + serial), genres (the topic name) and
description come mostly from that topic's vocabulary (`synth_vocab`). Each user has
a hidden preference vector: a Dirichlet mix over 1-3 topics. An interaction picks a
topic from the user's preferences (with probability `NOISE` a uniform random topic
instead), then an item of that topic with Zipf popularity; (user, item) repeats are
re-drawn a few times so pairs are nearly unique. Timestamps strictly increase per
user; ratings 1-5 are higher on preferred topics.

Files written to `out_dir` besides `interactions.csv` and `items.csv` (the hidden
truth, for closed-loop simulation and for tests; models must not read them):

- `user_preferences.npy`: float32 `[n_users, n_topics]`, rows sum to 1; row `k` is
  user id `"u{k}"` (`load_user_preferences`).
- `item_topics.npy`: int32 `[n_items]`; entry `j` is item id `"i{j}"` (`topic_of_items`).
- `synth_meta.json`: arguments, topic names and words, id scheme (`load_synth_meta`).

Work is done in chunks of about `chunk_rows` interactions, so 1M users / 100k items /
20M interactions run in a few hundred MB. Same arguments -> byte-identical files.
"""

import csv
import json
import os

import numpy as np

from rec_model import features as F
from rec_model.data.synth_vocab import item_texts, topic_vocabulary

USER_PREFERENCES_FILE = "user_preferences.npy"
ITEM_TOPICS_FILE = "item_topics.npy"
META_FILE = "synth_meta.json"
CHUNK_ROWS = 1_000_000
NOISE = 0.1  # Share of interactions whose topic is uniformly random.
ZIPF_EXPONENT = 1.0  # Popularity of the r-th item of a topic ~ 1 / r**ZIPF_EXPONENT.
MAX_PREFERRED_TOPICS = 3
START_TIME = 1_600_000_000  # 2020-09-13 UTC; users start within a year of it.
MEAN_GAP_SECONDS = 6 * 3600
DEDUP_ROUNDS = 8
_USER_BLOCK = 100_000


def user_id(index: int) -> str:
    return f"u{index}"


def item_id(index: int) -> str:
    return f"i{index}"


def _check(n_users, n_items, n_interactions, n_topics):
    if n_users < 1 or n_interactions < 0 or n_topics < 1:
        raise ValueError("need users >= 1, interactions >= 0 and topics >= 1; got "
                         f"users={n_users}, interactions={n_interactions}, topics={n_topics}")
    if n_items < n_topics:
        raise ValueError(f"items ({n_items}) must be at least topics ({n_topics}) so every topic "
                         "has an item; raise --items or lower --topics")


def _write_items(out_dir, item_topics, names, vocab, rng) -> None:
    with open(os.path.join(out_dir, F.ITEMS_FILE), "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([F.ITEM_ID, F.TITLE, F.GENRES, F.DESCRIPTION])
        for j, (title, genres, description) in enumerate(
                item_texts(item_topics, names, vocab, rng)):
            writer.writerow([item_id(j), title, genres, description])


def _popularity(item_topics, n_topics, rng):
    """Per topic: its items in popularity order and their cumulative Zipf probabilities."""
    members, cdfs = [], []
    for t in range(n_topics):
        items = rng.permutation(np.flatnonzero(item_topics == t))
        weights = 1.0 / np.arange(1, len(items) + 1) ** ZIPF_EXPONENT
        cdf = np.cumsum(weights)
        members.append(items)
        cdfs.append(cdf / cdf[-1])
    return members, cdfs


def _write_preferences(path, n_users, n_topics, seed):
    """Dirichlet mixes over 1-3 topics per user, written block by block to a .npy file."""
    prefs = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n_users, n_topics))
    k_max = min(MAX_PREFERRED_TOPICS, n_topics)
    for block, start in enumerate(range(0, n_users, _USER_BLOCK)):
        rng = np.random.default_rng([seed, 2, block])
        size = min(_USER_BLOCK, n_users - start)
        k = rng.integers(1, k_max + 1, size=size)
        chosen = np.argsort(rng.random((size, n_topics)), axis=1)[:, :k_max]
        weights = rng.gamma(1.0, size=(size, k_max)) * (np.arange(k_max) < k[:, None])
        weights /= weights.sum(axis=1, keepdims=True)
        out = np.zeros((size, n_topics), dtype=np.float32)
        np.put_along_axis(out, chosen, weights.astype(np.float32), axis=1)
        prefs[start:start + size] = out
    prefs.flush()
    return np.load(path, mmap_mode="r", allow_pickle=False)


def _draw_items(topic, members, cdfs, rng):
    items = np.empty(len(topic), dtype=np.int64)
    for t, (pool, cdf) in enumerate(zip(members, cdfs)):
        idx = np.flatnonzero(topic == t)
        if len(idx):
            pos = np.searchsorted(cdf, rng.random(len(idx)), side="right")
            items[idx] = pool[np.minimum(pos, len(pool) - 1)]
    return items


def _chunk(prefs, users, counts, members, cdfs, item_topics, n_items, rng):
    """Interactions of consecutive users: arrays `(user, item, timestamp, rating, preferred)`."""
    n_topics = prefs.shape[1]
    local = np.repeat(np.arange(len(users)), counts)
    p = np.asarray(prefs[users[0]:users[-1] + 1], dtype=np.float64)
    top = np.argsort(-p, axis=1, kind="stable")[:, :MAX_PREFERRED_TOPICS]
    cum = np.cumsum(np.take_along_axis(p, top, axis=1), axis=1)
    cum /= cum[:, -1:]
    cum[:, -1] = 2.0
    pos = (rng.random(len(local))[:, None] >= cum[local]).sum(axis=1)
    topic = top[local, pos]
    noisy = rng.random(len(local)) < NOISE
    topic[noisy] = rng.integers(0, n_topics, size=int(noisy.sum()))
    item = _draw_items(topic, members, cdfs, rng)
    user = users[local]
    for _ in range(DEDUP_ROUNDS):
        key = user * n_items + item
        order = np.argsort(key, kind="stable")
        dup = np.zeros(len(key), dtype=bool)
        dup[order[1:][key[order][1:] == key[order][:-1]]] = True
        if not dup.any():
            break
        item[dup] = _draw_items(topic[dup], members, cdfs, rng)
    start = START_TIME + rng.integers(0, 365 * 86400, size=len(users))
    steps = 1 + rng.exponential(MEAN_GAP_SECONDS, size=len(local)).astype(np.int64)
    elapsed = np.cumsum(steps)
    row_first = (np.cumsum(counts) - counts)[local]  # Each row's user's first row.
    timestamp = start[local] + elapsed - elapsed[row_first] + steps[row_first]
    preferred = p[local, item_topics[item]] > 0
    rating = np.clip(np.rint(np.where(preferred, 4.0, 2.4) + rng.normal(0, 0.9, len(local))), 1, 5)
    return user, item, timestamp, rating.astype(np.int64), preferred


def generate_synthetic(out_dir: str, n_users: int, n_items: int, n_interactions: int,
                       n_topics: int = 20, seed: int = 0, chunk_rows: int = CHUNK_ROWS) -> dict:
    """Writes a synthetic canonical folder plus its hidden truth (see the module docstring).

    Args:
        out_dir: Output folder (created).
        n_users: Users; each gets at least one interaction when `n_interactions >= n_users`.
        n_items: Items (at least `n_topics`).
        n_interactions: Interaction rows.
        n_topics: Topics.
        seed: Seed; the files are a pure function of all arguments.
        chunk_rows: Interactions generated and written per chunk (memory bound).

    Returns:
        `{"users", "items", "interactions", "topics", "preferred_share", "chance_share",
        "duplicate_pairs"}`; `preferred_share` is the share of interactions on a topic the
        user prefers, `chance_share` what uniform topic choice would give.
    """
    _check(n_users, n_items, n_interactions, n_topics)
    os.makedirs(out_dir, exist_ok=True)
    names, vocab = topic_vocabulary(n_topics, seed)
    rng = np.random.default_rng([seed, 1])
    item_topics = rng.permutation(np.arange(n_items) % n_topics).astype(np.int32)
    np.save(os.path.join(out_dir, ITEM_TOPICS_FILE), item_topics)
    _write_items(out_dir, item_topics, names, vocab, rng)
    members, cdfs = _popularity(item_topics, n_topics, rng)
    prefs = _write_preferences(os.path.join(out_dir, USER_PREFERENCES_FILE), n_users, n_topics,
                               seed)

    rng = np.random.default_rng([seed, 3])
    activity = rng.lognormal(0.0, 1.0, size=n_users)
    base = 1 if n_interactions >= n_users else 0
    counts = base + rng.multinomial(n_interactions - base * n_users, activity / activity.sum())
    bounds = np.searchsorted(np.cumsum(counts), np.arange(chunk_rows, n_interactions, chunk_rows),
                             side="left")
    bounds = np.unique(np.concatenate([[0], bounds + 1, [n_users]]).clip(0, n_users))
    preferred_total = duplicates = 0
    path = os.path.join(out_dir, F.INTERACTIONS_FILE)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(f"{F.USER_ID},{F.ITEM_ID},{F.TIMESTAMP},{F.RATING}\n")
        for c, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
            users = np.arange(lo, hi)
            if counts[lo:hi].sum() == 0:
                continue
            user, item, ts, rating, preferred = _chunk(
                prefs, users, counts[lo:hi], members, cdfs, item_topics, n_items,
                np.random.default_rng([seed, 4, c]))
            preferred_total += int(preferred.sum())
            key = np.unique(user * n_items + item)
            duplicates += len(user) - len(key)
            fh.write("".join(map("u{},i{},{},{}\n".format, user.tolist(), item.tolist(),
                                 ts.tolist(), rating.tolist())))
    n_preferred = (np.asarray(prefs) > 0).sum(axis=1)
    chance = float((n_preferred * counts).sum() / max(1, n_interactions) / n_topics)
    result = {"users": n_users, "items": n_items, "interactions": int(n_interactions),
              "topics": n_topics,
              "preferred_share": preferred_total / max(1, n_interactions), "chance_share": chance,
              "duplicate_pairs": duplicates}
    meta = {"args": {"n_users": n_users, "n_items": n_items, "n_interactions": n_interactions,
                     "n_topics": n_topics, "seed": seed, "chunk_rows": chunk_rows},
            "topic_names": names, "topic_words": [list(w) for w in vocab],
            "id_scheme": {"user": "u{row of user_preferences.npy}",
                          "item": "i{entry of item_topics.npy}"},
            "noise": NOISE, "zipf_exponent": ZIPF_EXPONENT, "stats": result}
    with open(os.path.join(out_dir, META_FILE), "w", encoding="utf-8") as fh:
        json.dump(meta, fh, indent=1, sort_keys=True)
        fh.write("\n")
    return result


def load_user_preferences(out_dir: str, mmap: bool = True) -> np.ndarray:
    """Hidden preferences, float32 `[n_users, n_topics]`; row k is user `"u{k}"`."""
    return np.load(os.path.join(out_dir, USER_PREFERENCES_FILE), mmap_mode="r" if mmap else None,
                   allow_pickle=False)


def topic_of_items(out_dir: str) -> np.ndarray:
    """Topic of each item, int32 `[n_items]`; entry j is item `"i{j}"`."""
    return np.load(os.path.join(out_dir, ITEM_TOPICS_FILE), allow_pickle=False)


def load_synth_meta(out_dir: str) -> dict:
    """The `synth_meta.json` written by `generate_synthetic`."""
    with open(os.path.join(out_dir, META_FILE), encoding="utf-8") as fh:
        return json.load(fh)


def parse_index(entity_id: str) -> int:
    """Row index from a synthetic id: `"u12"` -> 12, `"i7"` -> 7."""
    return int(entity_id[1:])
