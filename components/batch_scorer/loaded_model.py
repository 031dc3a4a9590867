"""Loading a SavedModel once per process and calling its `recommend` signature on a batch.

Used by the RunInference handler (`model_handler`) in every Beam worker and by the plain loop
(`plain_loop`). A Beam worker process also skips the interpreter's slow teardown once
TensorFlow is loaded (`skip_teardown_in_beam_worker`).
"""

import atexit
import os
import sys
from typing import Dict, Optional, Sequence

import numpy as np

from rec_model import features as F
from serving import quiet_tensorflow

_BEAM_WORKER_MAIN = "apache_beam.runners.worker.sdk_worker_main"
_fast_exit_registered = False


def _exit_now():
    # An uncaught exception (a failed harness) has set sys.last_value: keep its exit status.
    code = 1 if getattr(sys, "last_value", None) is not None else 0
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # pylint: disable=protected-access


def skip_teardown_in_beam_worker() -> bool:
    """In a Beam SDK worker process (`python -m ...sdk_worker_main`), end the process at exit
    without the interpreter's teardown; returns whether it was arranged.

    Why: the runner waits for its worker processes to exit, and with TensorFlow loaded the
    teardown took 6-10 s per worker on this project's 2-core machines, about as long as
    scoring 20,000 users. By then the harness has reported every bundle and every output
    file is closed. Any other process (a driver, tests, the in-process runner) is left alone.
    """
    global _fast_exit_registered  # pylint: disable=global-statement
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if getattr(spec, "name", None) != _BEAM_WORKER_MAIN:
        return False
    if not _fast_exit_registered:
        atexit.register(_exit_now)  # Last registered runs first: before TensorFlow's own hooks.
        _fast_exit_registered = True
    return True


class LoadedRecommend:
    """Keeps the loaded SavedModel alive next to its scoring function.

    Args:
        path: SavedModel folder.
        signature: `recommend`, or `recommend_include_seen` to let seen items through.
        threads: TensorFlow intra- and inter-op threads, or None for TensorFlow's default
            (all cores). Several worker processes on one machine each get a share of the cores:
            the defaults would run cores x workers threads and thrash.
    """

    def __init__(self, path: str, signature: str = F.SIGNATURE_RECOMMEND,
                 threads: Optional[int] = None):
        os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
        quiet_tensorflow.install()  # A Beam worker process imports TensorFlow here first.
        import tensorflow as tf

        if threads:
            try:
                tf.config.threading.set_intra_op_parallelism_threads(threads)
                tf.config.threading.set_inter_op_parallelism_threads(threads)
            except RuntimeError:
                pass  # TensorFlow already ran ops in this process: it keeps its pools.
        self.tf = tf
        self.loaded = tf.saved_model.load(path)
        self.fn = self.loaded.signatures[signature]
        skip_teardown_in_beam_worker()


def pad(rows: Sequence[Sequence[str]]) -> np.ndarray:
    """Id lists -> [batch, max(1, longest)] object array of bytes padded with b""."""
    width = max([1] + [len(r) for r in rows])
    out = np.full((len(rows), width), b"", dtype=object)
    for i, row in enumerate(rows):
        out[i, : len(row)] = [v.encode("utf-8") for v in row]
    return out


def recommend_batch(model: LoadedRecommend, user_ids: Sequence[str], k: int,
                    excludes: Sequence[Sequence[str]]) -> Dict[str, np.ndarray]:
    """One `recommend` call.

    Returns:
        item_ids [batch, k] bytes, scores [batch, k] float32, and when the model has them
        agent_scores [batch, k, n_agents] float32 and agent_names [n_agents] bytes.
    """
    tf = model.tf
    outputs = model.fn(
        **{F.USER_ID: tf.constant([u.encode("utf-8") for u in user_ids], tf.string),
           F.K: tf.constant(k, tf.int32),
           F.HISTORY: tf.constant(np.full((len(user_ids), 1), b"", dtype=object), tf.string),
           F.EXCLUDE: tf.constant(pad(excludes), tf.string)})
    return {name: value.numpy() for name, value in outputs.items()}
