"""Folders inside a trainer `Model` artifact (TFX's `Format-<kind>` naming).

- `Format-Serving/`: the SavedModel that is pushed and served; its fitted state and stored
  histories include every interaction the trainer saw (train and eval splits).
- `Format-Eval/`: the same trained model with fitted state and histories of the train split
  only, which the evaluator judges on the eval split (it never saw those interactions).
"""

SERVING_SUBDIR = "Format-Serving"
EVAL_SUBDIR = "Format-Eval"
