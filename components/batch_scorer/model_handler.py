"""A Beam RunInference `ModelHandler` calling a SavedModel's `recommend` signature.

Beam's stock `TFModelHandlerTensor` loads models with `tf.keras.models.load_model` and calls
them with one stacked tensor; the serving contract needs a named signature with four inputs
(`user_id` [batch] string, `k` [] int32, `history` / `exclude` [batch, n] string). This handler
loads the SavedModel with `tf.saved_model.load` once per worker process (RunInference keeps it
in a `Shared` handle for all of the process's bundles and threads) and scores one
`ScoringBlock` per call: blocks are already sized by `batch_plan`, so RunInference's own
batching is one block per batch, and the result is the block's JSON lines as one string.
"""

import resource
from typing import Any, Dict, Iterable, Optional, Sequence

from apache_beam.ml.inference import base as _inference_base
from apache_beam.ml.inference.base import ModelHandler, PredictionResult

from components.batch_scorer import json_lines
from components.batch_scorer.batch_plan import ScoringBlock
from components.batch_scorer.loaded_model import LoadedRecommend, recommend_batch
from rec_model import features as F
from serving import allocator

# Beam 2.7x imports `resource` and its torch-based ModelManager in one try block, so without
# torch `resource` is None and RunInference logs "Resource module is not available ..." at
# every bundle (and reports no memory). The module is there on every POSIX system.
if getattr(_inference_base, "resource", resource) is None:
    _inference_base.resource = resource


class RecommendModelHandler(ModelHandler[ScoringBlock, PredictionResult, LoadedRecommend]):
    """RunInference handler: `ScoringBlock` -> PredictionResult(example=block key,
    inference=the block's JSON lines).

    Args:
        saved_model_dir: a SavedModel with the `recommend` signature.
        k: recommendations per user.
        include_agent_scores: add per-agent scores to each line.
        signature: the signature to call (see `LoadedRecommend`).
        threads: TensorFlow threads per worker process (see `LoadedRecommend`).
    """

    def __init__(self, saved_model_dir: str, k: int, include_agent_scores: bool = True,
                 signature: str = F.SIGNATURE_RECOMMEND, threads: Optional[int] = None):
        super().__init__()
        self._path = saved_model_dir
        self._k = int(k)
        self._include_agent_scores = include_agent_scores
        self._signature = signature
        self._threads = threads

    def load_model(self) -> LoadedRecommend:
        allocator.keep_freed_memory()  # Runs in each worker process, whatever the runner.
        return LoadedRecommend(self._path, self._signature, self._threads)

    def batch_elements_kwargs(self):
        return {"min_batch_size": 1, "max_batch_size": 1}  # A block is already one call.

    def run_inference(self, batch: Sequence[ScoringBlock], model: LoadedRecommend,
                      inference_args: Optional[Dict[str, Any]] = None
                      ) -> Iterable[PredictionResult]:
        results = []
        for block in batch:
            try:
                outputs = recommend_batch(model, block.user_ids, self._k, block.excludes)
            except Exception as e:  # pylint: disable=broad-except
                raise RuntimeError(
                    f"`{self._signature}` of {self._path} failed on a batch of "
                    f"{len(block.user_ids)} users with k={self._k}: {e}. "
                    "Is k larger than the catalogue? Lower --k.") from e
            text = json_lines.format_lines(block.user_ids, outputs, self._include_agent_scores)
            results.append(PredictionResult(block.key, text, self._path))
        return results

    def get_num_bytes(self, batch: Sequence[ScoringBlock]) -> int:
        """Characters of the user ids (a cheap size for Beam's metrics; excludes not counted)."""
        return sum(len(u) for b in batch for u in b.user_ids)

    def get_metrics_namespace(self) -> str:
        return "RecsysBatchScoring"
