"""`recsys train`: train the multi-agent model outside a pipeline (1 or N local workers).

    recsys train --data DIR --embeddings DIR --out DIR [--workers N] [--epochs E]
                 [--warm-start-from MODEL_DIR] [--eval-fraction F] [--model-config FILE.json]

Reads DIR/interactions.csv (malformed rows counted, not used) and the item embeddings folder
(`recsys embed`; its items are the catalogue, cold items included). Writes the same layout as
the trainer component's Model artifact:

    OUT/Format-Serving/   serving SavedModel (copy it to <model_base_path>/<version>/ to serve)
    OUT/Format-Eval/      the same model fitted without the held-out interactions
    OUT/model_card.json   agents, alpha, metrics, data span, training time, counts
    OUT/warm_start/       weights + vocabularies (pass OUT to --warm-start-from next time)
    OUT/logs/             TensorBoard scalars per stage and epoch, worker logs

--workers N > 1 runs N local worker processes under MultiWorkerMirroredStrategy (RING).
--eval-fraction F holds out each user's last F of interactions for the card's metrics (the
trained weights never see them; the exported serving model's stored histories and fitted
state include them); the default 0 uses everything.

Exit codes: 0 success; 2 bad input.
"""

import argparse
import json
import os
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="canonical folder with interactions.csv")
    parser.add_argument("--embeddings", required=True,
                        help="item embeddings folder (recsys embed --out)")
    parser.add_argument("--out", required=True, help="output model folder (created)")
    parser.add_argument("--workers", type=int, default=1,
                        help="local worker processes (default 1: in process)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="pairs-stage epochs (default: ModelConfig's, 0 = auto)")
    parser.add_argument("--warm-start-from", default=None,
                        help="a previous --out folder (or Model artifact uri)")
    parser.add_argument("--eval-fraction", type=float, default=0.0,
                        help="share of each user's latest interactions held out for the model "
                             "card")
    parser.add_argument("--model-config", default=None,
                        help="JSON file of ModelConfig fields (others default)")
    parser.add_argument("--serving-k", type=int, default=10,
                        help="k of the serving_default signature")


def _run(args: argparse.Namespace) -> int:
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import logging

    from components.trainer.canonical_inputs import inputs_from_canonical
    from components.trainer.config import TrainerConfig
    from components.trainer.train import train_and_export
    from rec_model.config import ModelConfig
    from tfx_pipeline import log_filters

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    fields = {}
    if args.model_config:
        with open(args.model_config, encoding="utf-8") as f:
            fields = json.load(f)
    if args.epochs is not None:
        fields["epochs"] = args.epochs
    model_config = ModelConfig.from_dict(fields)
    trainer_config = TrainerConfig(workers=args.workers, serving_k=args.serving_k,
                                   warm_start=bool(args.warm_start_from))
    inputs = inputs_from_canonical(args.data, args.embeddings, args.eval_fraction)
    out = os.path.abspath(args.out)
    with log_filters.quiet_known_noise():
        card = train_and_export(inputs, out, os.path.join(out, "logs"), model_config,
                                trainer_config, base_model_dir=args.warm_start_from)
    print(json.dumps({"model_dir": out, "eval": card["metrics"]["eval"], "alpha": card["alpha"],
                      "seconds": round(card["training"]["seconds_total"], 1),
                      "workers": args.workers}, indent=2))
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except (ValueError, FileNotFoundError) as err:
        print(f"recsys train: {err}", file=sys.stderr)
        return 2
