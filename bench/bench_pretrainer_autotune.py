"""Times one domain pre-training (`components.domain_pretrainer.pretrainer.pretrain`, default
config) on a catalogue's item texts and prints one JSON line.

    python bench/bench_pretrainer_autotune.py --items out/demo/data/items.csv

`fit_s` minus the sum of `epoch_s` is time spent between and after the epochs: deleting the
last training iterator, where tf.data's autotuner can make the deletion wait
(`rec_model/data/tf_data.py`). Run it from two checkouts in turn to compare code versions
(`bench/results/pretrainer_autotune.md`).
"""

import argparse
import json
import tempfile
import time


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--items", required=True, help="items.csv of a canonical data folder")
    args = parser.parse_args(argv)
    from serving import quiet_tensorflow

    quiet_tensorflow.install()
    from components.domain_pretrainer import pretrainer
    from components.domain_pretrainer.config import PretrainerConfig
    from components.text_embedder.item_texts import load_item_texts

    texts = load_item_texts(args.items).texts
    start = time.time()
    with tempfile.TemporaryDirectory() as out:
        metrics = pretrainer.pretrain(texts, out, PretrainerConfig(verbose=0))
    print(json.dumps({"wall": round(time.time() - start, 1), "fit_s": round(metrics["seconds"], 1),
                      "epoch_s": [round(x, 1) for x in metrics["epoch_seconds"]],
                      "epoch_cpu": [round(x, 1) for x in metrics["epoch_cpu_seconds"]],
                      "loss_after": round(metrics["loss_after"], 4)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
