"""Worker entry point: `python -m components.trainer.worker --job JOB_JSON`.

Local multi-worker runs (`TrainerConfig.workers > 1`, `recsys train --workers N`) start one
such process per worker with a TF_CONFIG on free localhost ports (`distributed.py`).

On a cluster the same entry point runs in every replica (cluster_train.py submits them),
with the TF_CONFIG the platform sets: Kubeflow's TFJob `{"cluster": {"chief": [...],
"worker": [...]}, "task": {"type": "chief"|"worker", "index": i}}`, Vertex AI the same
names (or CLUSTER_SPEC's "workerpool0"/"workerpool1"; replica_env.py maps them). The job
JSON, its inputs folder, the backup folder and the model/log folders must then be on a file
system every replica reads (e.g. gs://); the "chief" task (or worker 0 when the cluster has
no chief) exports, the others write to temporary folders. Without TF_CONFIG (or with a
one-task cluster) it trains with the default strategy.
"""

import argparse
import json
import logging
import os
import sys


def make_strategy():
    """MultiWorkerMirroredStrategy with RING all-reduce when TF_CONFIG lists > 1 task, else
    None."""
    import tensorflow as tf

    tf_config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    tasks = sum(len(v) for k, v in tf_config.get("cluster", {}).items()
                if k in ("chief", "worker"))
    if tasks <= 1:
        return None
    options = tf.distribute.experimental.CommunicationOptions(
        implementation=tf.distribute.experimental.CommunicationImplementation.RING)
    return tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--job", required=True,
                        help="job JSON written by the trainer (TrainingJob.to_json)")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(message)s")
    from components.trainer.replica_env import platform_tf_config, with_local_inputs

    tf_config = platform_tf_config(os.environ)
    if tf_config:
        os.environ["TF_CONFIG"] = tf_config
        logging.info("replica %s", json.loads(tf_config)["task"])
    # The strategy must exist before any other TensorFlow op runs in this process.
    strategy = make_strategy()
    import tensorflow as tf

    from components.trainer.training_run import TrainingJob, run_training

    with tf.io.gfile.GFile(args.job) as f:
        job = with_local_inputs(TrainingJob.from_json(f.read()))
    card = run_training(job, strategy)
    logging.info("done: %s", json.dumps(card["metrics"]["eval"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
