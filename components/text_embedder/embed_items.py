"""Plain (no Beam, no TFX) run: items.csv -> item-embeddings folder. Used by `recsys embed`."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from components.text_embedder import item_texts as it
from components.text_embedder.config import EmbedderConfig
from rec_model.item_embeddings import save_item_embeddings

MAX_QUARANTINE_EXAMPLES = 5


def build_metadata(config: EmbedderConfig, preset: str, texts: it.ItemTexts,
                   token_counts: np.ndarray, dim: int, items_path: str) -> dict[str, Any]:
    """The `metadata.json` of an embedding run (JSON-serialisable).

    Args:
        token_counts: int [items] word pieces + [CLS]/[SEP] per text before truncation.
    """
    counts = dict(texts.counts)
    counts[it.TRUNCATED] = int(np.sum(np.asarray(token_counts) > config.sequence_length))
    return {
        "backbone": preset,
        "sequence_length": config.sequence_length,
        "batch_size": config.batch_size,
        "pooling": "masked_mean_l2",
        "items_path": items_path,
        "dim": int(dim),
        "item_count": len(texts.item_ids),
        "counts": counts,
        "quarantined_examples": [
            {"file": q.file, "line": q.line, "reason": q.reason}
            for q in texts.quarantined[:MAX_QUARANTINE_EXAMPLES]
        ],
    }


def log_counts(metadata: dict[str, Any]) -> None:
    counts = metadata["counts"]
    logging.info("text_embedder: %d items, dim %d; %s", metadata["item_count"], metadata["dim"],
                 ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    for example in metadata["quarantined_examples"]:
        logging.warning("text_embedder: no embedding for %s line %d: %s",
                        example["file"], example["line"], example["reason"])


def embed_items(items_path: str, out_dir: str, config: EmbedderConfig = EmbedderConfig(),
                embedder=None) -> dict[str, Any]:
    """Embeds every item of `items_path` and writes `out_dir` (see rec_model.item_embeddings).

    Args:
        items_path: canonical items.csv.
        out_dir: output folder (created).
        config: backbone, sequence length, batch size.
        embedder: an already loaded `TextEmbedder` to reuse (its backbone and sequence length
            must match `config`); loaded from `config` when None.

    Returns:
        The metadata written to `out_dir/metadata.json`.

    Raises:
        ValueError: unreadable items file (see `item_texts.load_item_texts`) or no valid item.
    """
    texts = it.load_item_texts(items_path)
    if not texts.item_ids:
        raise ValueError(f"{items_path}: no valid item rows "
                         f"({texts.counts[it.QUARANTINED]} quarantined); "
                         "fix the file (see the quarantine reasons) and retry.")
    if embedder is None:
        from components.text_embedder.embedder import (  # pylint: disable=import-outside-toplevel
            TextEmbedder)

        embedder = TextEmbedder(config.backbone, config.sequence_length)
    elif embedder.sequence_length != config.sequence_length:
        raise ValueError(f"embedder.sequence_length={embedder.sequence_length} but config says "
                         f"{config.sequence_length}; pass a matching embedder or none.")
    vectors, token_counts = embedder.embed_with_lengths(texts.texts, config.batch_size)
    metadata = build_metadata(config, embedder.preset, texts, token_counts, embedder.dim,
                              items_path)
    save_item_embeddings(out_dir, texts.item_ids, vectors, metadata)
    log_counts(metadata)
    return metadata

