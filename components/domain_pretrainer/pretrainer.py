"""Continued masked-LM pre-training of a BERT backbone on item texts (keras-hub, Keras 3).

The backbone gets a fresh MLM head (`BertMaskedLM`, output projection tied to the token
embeddings) and is trained on 90% of the item texts with dynamic masking; the held-out 10%
are masked once (seeded) and scored before and after training, so the two losses are over
the very same masked tokens. The adapted backbone and its tokenizer are saved as a keras-hub
preset folder, which `TextEmbedder(backbone=<folder>)` loads in place of the stock one.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from typing import Any, Sequence

import numpy as np

from components.domain_pretrainer.config import PretrainerConfig
from components.text_embedder.backbones import validate_backbone
from rec_model.data.tf_data import without_autotuner

METRICS_FILE = "pretrain_metrics.json"


def split_texts(texts: Sequence[str], validation_fraction: float,
                seed: int) -> tuple[list[str], list[str]]:
    """Seeded hold-out split: (train [n - k], validation [k]) with k = max(1, round(n * fraction)).

    Raises:
        ValueError: fewer than 2 texts.
    """
    texts = [t for t in texts]
    if len(texts) < 2:
        raise ValueError(f"need at least 2 item texts to hold some out, got {len(texts)}; "
                         "pre-train on a larger catalogue or skip pre-training.")
    k = min(len(texts) - 1, max(1, round(len(texts) * validation_fraction)))
    order = np.random.default_rng(seed).permutation(len(texts))
    return [texts[i] for i in order[k:]], [texts[i] for i in order[:k]]


def _datasets(tf, preprocessor, train, validation, batch_size, seed):
    """tf.data: train re-masked every epoch; validation masked once and cached. Both without
    the autotuner (`without_autotuner`: Keras deletes their iterators every epoch)."""
    train_ds = (tf.data.Dataset.from_tensor_slices(train)
                .shuffle(len(train), seed=seed, reshuffle_each_iteration=True)
                .batch(batch_size)
                .map(preprocessor, num_parallel_calls=tf.data.AUTOTUNE)
                .prefetch(tf.data.AUTOTUNE))
    val_ds = tf.data.Dataset.from_tensor_slices(validation).batch(batch_size).map(preprocessor)
    # Materialise the masked validation set so every evaluation scores the same tokens.
    xs, ys, weights = zip(*list(val_ds))
    x = {key: tf.concat([batch[key] for batch in xs], 0) for key in xs[0]}
    fixed = tf.data.Dataset.from_tensor_slices((x, tf.concat(ys, 0), tf.concat(weights, 0)))
    return without_autotuner(train_ds), without_autotuner(fixed.batch(batch_size))


def _clocks() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _epoch_timer(keras, sink: list):
    """A callback appending (wall, process-CPU) seconds of each epoch to `sink`."""
    return keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: sink.append(_clocks()),
        on_epoch_end=lambda epoch, logs: sink.append(
            tuple(now - then for now, then in zip(_clocks(), sink.pop()))))


def pretrain(texts: Sequence[str], out_dir: str,
             config: PretrainerConfig = PretrainerConfig()) -> dict[str, Any]:
    """Adapts a backbone to `texts` with masked-LM training and saves it as a preset folder.

    Args:
        texts: [n >= 2] item texts (e.g. `text_embedder.item_texts.load_item_texts(..).texts`).
        out_dir: output folder; gets config.json, model.weights.h5, tokenizer.json, assets/ and
            `pretrain_metrics.json`.
        config: see `PretrainerConfig`.

    Returns:
        The metrics also written to `out_dir/pretrain_metrics.json`: `loss_before`,
        `loss_after` (held-out MLM loss), `accuracy_before/after`, per-epoch `history`,
        `seconds_per_epoch`, `epoch_seconds` / `epoch_cpu_seconds` (wall / process CPU, incl.
        validation), counts and the source backbone.

    Raises:
        ValueError / FileNotFoundError: bad config, too few texts, or an unusable backbone.
    """
    import keras  # pylint: disable=import-outside-toplevel
    import keras_hub  # pylint: disable=import-outside-toplevel
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    train, validation = split_texts(texts, config.validation_fraction, config.seed)
    preset = validate_backbone(config.backbone)
    keras.utils.set_random_seed(config.seed)

    backbone = keras_hub.models.BertBackbone.from_preset(preset)
    tokenizer = keras_hub.models.BertTokenizer.from_preset(preset)
    preprocessor = keras_hub.models.BertMaskedLMPreprocessor(
        tokenizer,
        sequence_length=config.sequence_length,
        mask_selection_rate=config.mask_selection_rate,
        mask_selection_length=max(
            2, math.ceil(config.sequence_length * config.mask_selection_rate * 1.5)),
    )
    masked_lm = keras_hub.models.BertMaskedLM(backbone=backbone, preprocessor=None)
    backbone.get_layer("pooled_dense").trainable = False  # [CLS] pooler: no gradient from MLM.
    masked_lm.compile(
        optimizer=keras.optimizers.AdamW(config.learning_rate, weight_decay=0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        weighted_metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    train_ds, val_ds = _datasets(tf, preprocessor, train, validation, config.batch_size,
                                 config.seed)

    before = masked_lm.evaluate(val_ds, verbose=0, return_dict=True)
    epoch_seconds: list[tuple[float, float]] = []
    timer = _epoch_timer(keras, epoch_seconds)
    start = time.perf_counter()
    # shuffle=False: `train_ds` reshuffles itself each epoch; Keras ignores (and warns about)
    # its own shuffle flag for a tf.data.Dataset.
    history = masked_lm.fit(train_ds, validation_data=val_ds, epochs=config.epochs,
                            verbose=config.verbose, callbacks=[timer], shuffle=False)
    seconds = time.perf_counter() - start
    after = masked_lm.evaluate(val_ds, verbose=0, return_dict=True)

    os.makedirs(out_dir, exist_ok=True)
    backbone.save_to_preset(out_dir)
    tokenizer.save_to_preset(out_dir)
    metrics = {
        "source_backbone": preset,
        "loss_before": float(before["loss"]),
        "loss_after": float(after["loss"]),
        "accuracy_before": float(before["accuracy"]),
        "accuracy_after": float(after["accuracy"]),
        "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
        "epochs": config.epochs,
        "train_texts": len(train),
        "validation_texts": len(validation),
        "seconds": seconds,
        "seconds_per_epoch": seconds / config.epochs,
        "epoch_seconds": [wall for wall, _ in epoch_seconds],  # The first includes tracing.
        "epoch_cpu_seconds": [cpu for _, cpu in epoch_seconds],
        "config": json.loads(config.to_json()),
    }
    with open(os.path.join(out_dir, METRICS_FILE), "w", encoding="utf-8") as f:
        json.dump(metrics, f, indent=2, sort_keys=True)
    logging.info("domain_pretrainer: held-out MLM loss %.3f -> %.3f over %d epochs "
                 "(%.1f s/epoch), saved %s", metrics["loss_before"], metrics["loss_after"],
                 config.epochs, metrics["seconds_per_epoch"], out_dir)
    return metrics


def read_metrics(preset_dir: str) -> dict[str, Any]:
    """Reads `pretrain_metrics.json` of a pre-trained preset folder."""
    with open(os.path.join(preset_dir, METRICS_FILE), encoding="utf-8") as f:
        return json.load(f)
