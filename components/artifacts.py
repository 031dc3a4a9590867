"""Artifact types of this package beyond TFX's standard ones.

Type names follow KFP v2 schema titles (`<namespace>.<Name>`) so the pipeline compiles
for Kubeflow. Standard types (`Examples`, `TransformGraph`, `Model`, `ModelBlessing`,
`InfraBlessing`,
`PushedModel`) come from `tfx.types.standard_artifacts`; the types here carry what TFX has
no standard type for. KFP v2 accepts no typed properties on custom types, so counts
and sizes are custom properties (`set_int_custom_property`).
"""

from tfx.types import artifact
from tfx.types import standard_artifacts  # noqa: F401  (re-exported for convenience)


class ItemEmbeddings(artifact.Artifact):
    """Item text embeddings: `embeddings.npy` [items, dim] float32 (L2-normalised),
    `item_ids.txt` (one id per line, same order) and `metadata.json`
    (backbone, sequence_length, dim, item_count, counts of truncated/replaced texts)."""

    TYPE_NAME = "recsys.ItemEmbeddings"


class BertPreset(artifact.Artifact):
    """A keras-hub preset folder of a (domain-adapted) BERT backbone + tokenizer,
    loadable with `keras_hub.models.BertBackbone.from_preset(uri)`."""

    TYPE_NAME = "recsys.BertPreset"


class QuarantinedRecords(artifact.Artifact):
    """Malformed input records: JSON lines `{"file", "line", "reason", "raw"}`."""

    TYPE_NAME = "recsys.QuarantinedRecords"
