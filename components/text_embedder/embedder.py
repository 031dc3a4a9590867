"""Sentence embeddings of item texts with a keras-hub BERT backbone (Keras 3).

Masked mean pooling over the backbone's `sequence_output`, then L2 normalisation: the
sentence-transformers recipe of all-MiniLM-L6-v2, the offline default. Texts are packed to
`sequence_length` ([CLS] tokens [SEP] [PAD]...); batches are formed from texts of similar
length and cut to their longest text, so short catalogues do not pay for padding. Padding is
masked, so an item's embedding does not depend on its batch (beyond ~1e-6 of float noise).

This module is Keras 3 only: hand its numpy output to Keras 2 / TFRS models, never its layers.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from components.text_embedder.backbones import validate_backbone

_MIN_SEQUENCE_LENGTH = 3  # [CLS] + one token + [SEP]


class TextEmbedder:
    """Holds one loaded backbone + tokenizer and embeds batches of texts.

    Example:
        embedder = TextEmbedder()                 # bundled all-MiniLM-L6-v2, 384-d
        vectors = embedder.embed(["Toy Story (1995) Animation|Children's|Comedy"])
        vectors.shape                             # (1, 384), float32, unit rows

    Args:
        backbone: None (bundled all-MiniLM-L6-v2), a local keras-hub preset folder (e.g. the
            domain pre-trainer's output) or a keras-hub BERT preset name.
        sequence_length: packed length in tokens incl. [CLS]/[SEP]; longer texts are
            truncated (see `embed_with_lengths`).
        allow_download: passed to `validate_backbone` (None = no download).

    Attributes:
        preset: what `from_preset` loaded (folder path or preset name).
        dim: embedding width (backbone hidden size).
    """

    def __init__(self, backbone: str | None = None, sequence_length: int = 64,
                 allow_download: bool | None = None):
        if not isinstance(sequence_length, int) or sequence_length < _MIN_SEQUENCE_LENGTH:
            raise ValueError(f"sequence_length must be an int >= {_MIN_SEQUENCE_LENGTH}, "
                             f"got {sequence_length!r}.")
        import keras_hub  # pylint: disable=import-outside-toplevel
        import tensorflow as tf  # pylint: disable=import-outside-toplevel

        self.preset = validate_backbone(backbone, allow_download)
        self.backbone = keras_hub.models.BertBackbone.from_preset(self.preset)
        self.tokenizer = keras_hub.models.BertTokenizer.from_preset(self.preset)
        max_len = int(self.backbone.max_sequence_length)
        if sequence_length > max_len:
            raise ValueError(
                f"sequence_length={sequence_length} exceeds the backbone's maximum {max_len}; "
                f"pass a value <= {max_len}.")
        self.sequence_length = sequence_length
        self.dim = int(self.backbone.hidden_dim)
        self._tf = tf
        self._packer = keras_hub.layers.StartEndPacker(
            sequence_length=sequence_length,
            start_value=self.tokenizer.start_token_id,
            end_value=self.tokenizer.end_token_id,
            pad_value=self.tokenizer.pad_token_id,
            return_padding_mask=True,
        )
        spec = tf.TensorSpec([None, None], tf.int32)
        self._forward = tf.function(self._pooled, input_signature=[spec, spec])
        self._encode_fn = tf.function(self._encode,
                                      input_signature=[tf.TensorSpec([None], tf.string)])

    def _pooled(self, token_ids, padding_mask):
        """[batch, seq] int32 ids and 0/1 mask -> [batch, dim] unit-norm float32."""
        tf = self._tf
        outputs = self.backbone(
            {"token_ids": token_ids, "segment_ids": tf.zeros_like(token_ids),
             "padding_mask": padding_mask},
            training=False,
        )
        sequence = tf.cast(outputs["sequence_output"], tf.float32)  # [batch, seq, dim]
        mask = tf.cast(padding_mask, tf.float32)[:, :, None]  # [batch, seq, 1]
        summed = tf.reduce_sum(sequence * mask, axis=1)  # [batch, dim]
        mean = summed / tf.maximum(tf.reduce_sum(mask, axis=1), 1e-9)
        return tf.math.l2_normalize(mean, axis=-1)

    def _encode(self, texts):
        """[n] tf.string -> (token_ids, padding_mask) int32 [n, seq], token_counts int64 [n]."""
        tf = self._tf
        pieces = self.tokenizer(texts)  # ragged [n, None]
        counts = tf.cast(pieces.row_lengths(), tf.int64) + 2
        # Truncate before packing so [SEP] always closes the sequence.
        pieces = pieces[:, : self.sequence_length - 2]
        token_ids, padding_mask = self._packer(pieces)
        return tf.cast(token_ids, tf.int32), tf.cast(padding_mask, tf.int32), counts

    def tokenize(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Tokenizes and packs texts to the fixed sequence length.

        Returns:
            token_ids int32 [n, sequence_length], padding_mask int32 [n, sequence_length],
            token_counts int64 [n] (word pieces + [CLS]/[SEP] before truncation).
        """
        tf = self._tf
        token_ids, padding_mask, counts = self._encode_fn(
            tf.constant([str(t) for t in texts], dtype=tf.string, shape=[len(texts)]))
        return token_ids.numpy(), padding_mask.numpy(), counts.numpy()

    def embed_with_lengths(self, texts: Sequence[str],
                           batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
        """Embeds texts and reports their token counts (to count truncations).

        Args:
            texts: [n] strings (empty strings give the embedding of "[CLS] [SEP]").
            batch_size: texts per forward pass; does not change the result beyond ~1e-6.

        Returns:
            embeddings float32 [n, dim] with unit L2 rows, token_counts int64 [n]
            (a text was truncated iff its count > sequence_length).
        """
        if isinstance(texts, str):
            raise TypeError("texts must be a sequence of strings, not one string; "
                            "wrap it in a list.")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}.")
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), np.float32), np.zeros((0,), np.int64)
        token_ids, padding_mask, counts = self.tokenize(texts)
        lengths = np.minimum(counts, self.sequence_length)
        order = np.argsort(lengths, kind="stable")  # similar lengths share a batch
        out = np.zeros((len(texts), self.dim), np.float32)
        for start in range(0, len(texts), batch_size):
            rows = order[start:start + batch_size]
            width = int(lengths[rows].max())
            out[rows] = self._forward(token_ids[rows, :width], padding_mask[rows, :width]).numpy()
        return out, counts

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Embeds texts: [n] strings -> float32 [n, dim], L2-normalised rows."""
        return self.embed_with_lengths(texts, batch_size)[0]


def embed_texts(texts: Sequence[str], backbone: str | None = None, sequence_length: int = 64,
                batch_size: int = 64) -> np.ndarray:
    """One-shot helper: loads the backbone, embeds `texts` and returns float32 [n, dim].

    Keep a `TextEmbedder` instead when embedding several times (loading takes seconds).
    """
    return TextEmbedder(backbone, sequence_length).embed(texts, batch_size)
