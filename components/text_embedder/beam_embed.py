"""Beam transform: (index, item_id, text) -> embeddings written to an item-embeddings folder.

One `TextEmbedder` per worker (loaded in `DoFn.setup`). A Beam element holds several forward
passes' worth of texts, which the embedder sorts by length before cutting them into passes, so
each pass pads to texts of similar length (after the shuffle that spreads items over workers,
one-pass elements mix lengths and pad to the longest). Texts are packed and masked, so
batching never changes a vector. Items are read from the file by a worker (`ReadItemTexts`),
not embedded in the pipeline graph, and vectors travel as one [element, dim] array per
element; memory is the output matrix (100k items x 384-d float32 = 154 MB) plus one element,
on the single worker that writes the folder.
"""

from __future__ import annotations

from typing import Any, Iterable

import apache_beam as beam
import numpy as np

from components.text_embedder.config import EmbedderConfig

# (file-order index, item_id, text)
IndexedText = tuple[int, str, str]
# (file-order indices [b], item_ids [b], float32 [b, dim] vectors, token counts [b])
VectorBatch = tuple[np.ndarray, list[str], np.ndarray, np.ndarray]
# Forward passes' worth of texts per element (512 texts at the default batch size): measured
# in `bench/bench_embed_elements.py`.
BATCHES_PER_ELEMENT = 8


class ReadItemTexts(beam.DoFn):
    """items.csv path -> `IndexedText` per embeddable item (see `item_texts.load_item_texts`)."""

    def process(self, items_path: str) -> Iterable[IndexedText]:
        from components.text_embedder import item_texts  # pylint: disable=import-outside-toplevel

        texts = item_texts.load_item_texts(items_path)
        yield from ((i, item_id, text)
                    for i, (item_id, text) in enumerate(zip(texts.item_ids, texts.texts)))


class _EmbedBatchFn(beam.DoFn):
    """Embeds an element of `IndexedText` (several forward passes) with a model loaded once
    per worker."""

    def __init__(self, preset: str, sequence_length: int, batch_size: int):
        super().__init__()
        self._preset = preset
        self._sequence_length = sequence_length
        self._batch_size = batch_size
        self._embedder = None
        self._batches = beam.metrics.Metrics.counter("text_embedder", "batches")
        self._items = beam.metrics.Metrics.counter("text_embedder", "items_embedded")

    def setup(self):
        from components.text_embedder.embedder import (  # pylint: disable=import-outside-toplevel
            TextEmbedder)

        # The executor validated `preset` already (and decided whether a download is allowed).
        self._embedder = TextEmbedder(self._preset, self._sequence_length, allow_download=True)

    def process(self, batch: list[IndexedText]) -> Iterable[VectorBatch]:
        vectors, counts = self._embedder.embed_with_lengths([text for _, _, text in batch],
                                                            self._batch_size)
        self._batches.inc()
        self._items.inc(len(batch))
        yield (np.asarray([index for index, _, _ in batch], dtype=np.int64),
               [item_id for _, item_id, _ in batch],
               np.asarray(vectors, dtype=np.float32), np.asarray(counts, dtype=np.int64))


def _write(batches: list[VectorBatch], out_dir: str, metadata: dict[str, Any],
           sequence_length: int) -> str:
    from rec_model.item_embeddings import (  # pylint: disable=import-outside-toplevel
        save_item_embeddings)

    indices = np.concatenate([b[0] for b in batches])
    order = np.argsort(indices, kind="stable")
    if not np.array_equal(indices[order], np.arange(len(indices))):
        raise RuntimeError("text_embedder: lost or duplicated items in the Beam job; re-run it.")
    item_ids = [item_id for b in batches for item_id in b[1]]
    vectors = np.concatenate([b[2] for b in batches])[order]
    counts = np.concatenate([b[3] for b in batches])
    metadata = dict(metadata)
    metadata["counts"] = dict(metadata["counts"], truncated=int(np.sum(counts > sequence_length)))
    metadata["dim"] = int(vectors.shape[1])
    save_item_embeddings(out_dir, [item_ids[i] for i in order], vectors, metadata)
    return out_dir


class EmbedAndWrite(beam.PTransform):
    """PCollection[IndexedText] -> PCollection[str] (the written folder, one element).

    Args:
        preset: a validated backbone (`backbones.validate_backbone` output).
        config: sequence length and batch size (its `backbone` is ignored: `preset` wins).
        out_dir: where `save_item_embeddings` writes; read on a single worker at the end.
        metadata: the run's metadata without `dim` and the `truncated` count (filled in here).
        batches_per_element: forward passes' worth of texts per Beam element.
    """

    def __init__(self, preset: str, config: EmbedderConfig, out_dir: str,
                 metadata: dict[str, Any], batches_per_element: int = BATCHES_PER_ELEMENT):
        super().__init__()
        self._preset = preset
        self._config = config
        self._out_dir = out_dir
        self._metadata = metadata
        if not isinstance(batches_per_element, int) or batches_per_element < 1:
            raise ValueError("batches_per_element must be a positive int, got "
                             f"{batches_per_element!r}")
        self._element = config.batch_size * batches_per_element

    def expand(self, texts):
        return (
            texts
            | "Batch" >> beam.BatchElements(min_batch_size=self._element,
                                            max_batch_size=self._element)
            | "Embed" >> beam.ParDo(_EmbedBatchFn(self._preset, self._config.sequence_length,
                                                  self._config.batch_size))
            | "Collect" >> beam.combiners.ToList()
            | "Write" >> beam.Map(_write, self._out_dir, self._metadata,
                                  self._config.sequence_length)
        )


class EmbedItemsFile(beam.PTransform):
    """Pipeline root -> PCollection[str] (the written folder): reads `items_path` on one worker,
    spreads its items over the embedding workers and embeds them (`EmbedAndWrite`).

    Args:
        items_path: a canonical items.csv.
        preset, config, out_dir, metadata, batches_per_element: as `EmbedAndWrite`.
    """

    def __init__(self, items_path: str, preset: str, config: EmbedderConfig, out_dir: str,
                 metadata: dict[str, Any], batches_per_element: int = BATCHES_PER_ELEMENT):
        super().__init__()
        self._items_path = items_path
        self._embed = EmbedAndWrite(preset, config, out_dir, metadata, batches_per_element)

    def expand(self, root):
        return (root
                | "ItemsFile" >> beam.Create([self._items_path])
                | "ReadItems" >> beam.ParDo(ReadItemTexts())
                # A file is read by one worker; spread its items over the embedding workers.
                | "Redistribute" >> beam.Reshuffle()
                | "EmbedAndWrite" >> self._embed)
