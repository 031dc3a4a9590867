"""`recsys embed`: embed items.csv with a BERT backbone, optionally MLM-adapted first.

    recsys embed --items DIR/items.csv --out OUT [--backbone NAME_OR_DIR] [--pretrain-epochs N]
                 [--sequence-length L] [--batch-size B]

Writes OUT/embeddings.npy, OUT/item_ids.txt, OUT/metadata.json; with --pretrain-epochs N > 0
the backbone is first adapted on the item texts into OUT/adapted_backbone/ (a keras-hub preset
with pretrain_metrics.json) and that is what embeds. Runs in-process (no Beam, no TFX).

Exit codes: 0 success; 2 bad input or an unusable backbone.
"""

import argparse
import os
import sys

ADAPTED_DIR = "adapted_backbone"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--items", required=True,
                        help="canonical items.csv (item_id,title[,genres,...])")
    parser.add_argument("--out", required=True, help="output folder (created)")
    parser.add_argument("--backbone", default=None,
                        help="local keras-hub preset folder or keras-hub BERT preset name "
                             "(default: the bundled all-MiniLM-L6-v2, offline)")
    parser.add_argument("--pretrain-epochs", type=int, default=0,
                        help="masked-LM epochs on the item texts before embedding "
                             "(default 0: none)")
    parser.add_argument("--pretrain-learning-rate", type=float, default=1e-4)
    parser.add_argument("--sequence-length", type=int, default=64,
                        help="tokens per text incl. [CLS]/[SEP]")
    parser.add_argument("--batch-size", type=int, default=64, help="texts per forward pass")


def _run(args: argparse.Namespace) -> int:
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import logging

    from components.text_embedder.backbones import validate_backbone
    from components.text_embedder.config import EmbedderConfig
    from components.text_embedder.embed_items import embed_items

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.pretrain_epochs < 0:
        raise ValueError(f"--pretrain-epochs must be >= 0, got {args.pretrain_epochs}")
    if not os.path.isfile(args.items):
        raise FileNotFoundError(f"--items {args.items} is not a file; pass the items.csv of a "
                                "canonical folder (`recsys data prepare` writes one).")
    config = EmbedderConfig(args.backbone, args.sequence_length, args.batch_size)
    validate_backbone(config.backbone)  # Fail before any work.
    backbone = args.backbone
    if args.pretrain_epochs:
        from components.domain_pretrainer.config import PretrainerConfig
        from components.domain_pretrainer.pretrainer import pretrain
        from components.text_embedder.item_texts import load_item_texts

        adapted = os.path.join(args.out, ADAPTED_DIR)
        metrics = pretrain(load_item_texts(args.items).texts, adapted, PretrainerConfig(
            backbone=args.backbone, epochs=args.pretrain_epochs,
            sequence_length=args.sequence_length,
            batch_size=min(args.batch_size, 64), learning_rate=args.pretrain_learning_rate))
        print(f"pre-trained {adapted}: held-out MLM loss {metrics['loss_before']:.3f} -> "
              f"{metrics['loss_after']:.3f} ({metrics['seconds_per_epoch']:.1f} s/epoch)")
        backbone = adapted
    metadata = embed_items(args.items, args.out,
                           EmbedderConfig(backbone, args.sequence_length, args.batch_size))
    counts = ", ".join(f"{k} {v}" for k, v in sorted(metadata["counts"].items()))
    print(f"wrote {args.out}: {metadata['item_count']} items x {metadata['dim']} ({counts})")
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except (ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
