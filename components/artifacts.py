"""Artifact types of this package beyond TFX's standard ones.

Standard types (`Examples`, `TransformGraph`, `Model`, `ModelBlessing`, `InfraBlessing`,
`PushedModel`) come from `tfx.types.standard_artifacts`; the types here carry what TFX has
no standard type for.
"""

from tfx.types import artifact
from tfx.types import standard_artifacts  # noqa: F401  (re-exported for convenience)


class ItemEmbeddings(artifact.Artifact):
    """Item text embeddings: `embeddings.npy` [items, dim] float32 (L2-normalised),
    `item_ids.txt` (one id per line, same order) and `metadata.json`
    (backbone, sequence_length, dim, item_count, counts of truncated/replaced texts)."""

    TYPE_NAME = "RecsysItemEmbeddings"
    PROPERTIES = {
        "item_count": artifact.Property(type=artifact.PropertyType.INT),
        "dim": artifact.Property(type=artifact.PropertyType.INT),
    }


class BertPreset(artifact.Artifact):
    """A keras-hub preset folder of a (domain-adapted) BERT backbone + tokenizer,
    loadable with `keras_hub.models.BertBackbone.from_preset(uri)`."""

    TYPE_NAME = "RecsysBertPreset"


class QuarantinedRecords(artifact.Artifact):
    """Malformed input records: JSON lines `{"file", "line", "reason", "raw"}`."""

    TYPE_NAME = "RecsysQuarantinedRecords"
    PROPERTIES = {"count": artifact.Property(type=artifact.PropertyType.INT)}
