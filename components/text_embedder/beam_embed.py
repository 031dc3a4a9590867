"""Beam transform: (index, item_id, text) -> embeddings written to an item-embeddings folder.

One `TextEmbedder` per worker (loaded in `DoFn.setup`), texts batched with `BatchElements`;
texts are packed to a fixed length, so batching never changes a vector.
"""

from __future__ import annotations

from typing import Any, Iterable

import apache_beam as beam
import numpy as np

from components.text_embedder.config import EmbedderConfig

# (file-order index, item_id, text)
IndexedText = tuple[int, str, str]
# (file-order index, item_id, float32 [dim] vector, token count before truncation)
IndexedVector = tuple[int, str, np.ndarray, int]


class _EmbedBatchFn(beam.DoFn):
    """Embeds a batch of `IndexedText` with a model loaded once per worker."""

    def __init__(self, preset: str, sequence_length: int, batch_size: int):
        super().__init__()
        self._preset = preset
        self._sequence_length = sequence_length
        self._batch_size = batch_size
        self._embedder = None
        self._batches = beam.metrics.Metrics.counter("text_embedder", "batches")
        self._items = beam.metrics.Metrics.counter("text_embedder", "items_embedded")

    def setup(self):
        from components.text_embedder.embedder import TextEmbedder  # pylint: disable=import-outside-toplevel

        # The executor validated `preset` already (and decided whether a download is allowed).
        self._embedder = TextEmbedder(self._preset, self._sequence_length, allow_download=True)

    def process(self, batch: list[IndexedText]) -> Iterable[IndexedVector]:
        vectors, counts = self._embedder.embed_with_lengths([text for _, _, text in batch], self._batch_size)
        self._batches.inc()
        self._items.inc(len(batch))
        for (index, item_id, _), vector, count in zip(batch, vectors, counts):
            yield index, item_id, vector, int(count)


def _write(rows: list[IndexedVector], out_dir: str, metadata: dict[str, Any], sequence_length: int) -> str:
    from rec_model.item_embeddings import save_item_embeddings  # pylint: disable=import-outside-toplevel

    rows = sorted(rows, key=lambda row: row[0])
    if [row[0] for row in rows] != list(range(len(rows))):
        raise RuntimeError("text_embedder: lost or duplicated items in the Beam job; re-run it.")
    vectors = np.stack([row[2] for row in rows]).astype(np.float32)
    metadata = dict(metadata)
    metadata["counts"] = dict(metadata["counts"], truncated=sum(row[3] > sequence_length for row in rows))
    metadata["dim"] = int(vectors.shape[1])
    save_item_embeddings(out_dir, [row[1] for row in rows], vectors, metadata)
    return out_dir


class EmbedAndWrite(beam.PTransform):
    """PCollection[IndexedText] -> PCollection[str] (the written folder, one element).

    Args:
        preset: a validated backbone (`backbones.validate_backbone` output).
        config: sequence length and batch size (its `backbone` is ignored: `preset` wins).
        out_dir: where `save_item_embeddings` writes; read on a single worker at the end.
        metadata: the run's metadata without `dim` and the `truncated` count (filled in here).
    """

    def __init__(self, preset: str, config: EmbedderConfig, out_dir: str, metadata: dict[str, Any]):
        super().__init__()
        self._preset = preset
        self._config = config
        self._out_dir = out_dir
        self._metadata = metadata

    def expand(self, texts):
        size = self._config.batch_size
        return (
            texts
            | "Batch" >> beam.BatchElements(min_batch_size=min(8, size), max_batch_size=size)
            | "Embed" >> beam.ParDo(_EmbedBatchFn(self._preset, self._config.sequence_length, size))
            | "Collect" >> beam.combiners.ToList()
            | "Write" >> beam.Map(_write, self._out_dir, self._metadata, self._config.sequence_length)
        )
