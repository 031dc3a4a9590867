"""TensorFlow Session threading for served models (TF Serving's `--tensorflow_*_parallelism`)."""

import dataclasses


@dataclasses.dataclass(frozen=True)
class SessionOptions:
    """Thread pools of each loaded version's Session.

    Args:
        intra_op_parallelism: threads one op may use (a large MatMul); 0 lets TensorFlow pick
            (one per core).
        inter_op_parallelism: threads running independent ops; 0 lets TensorFlow pick, and a
            negative value runs every op in the calling request thread, which suits small
            models under many concurrent requests (no hand-off between threads).
    """

    intra_op_parallelism: int = 0
    inter_op_parallelism: int = 0

    def __post_init__(self):
        if self.intra_op_parallelism < 0:
            raise ValueError(f"intra_op_parallelism must be >= 0 (0 = TensorFlow's choice), got "
                             f"{self.intra_op_parallelism}")

    def config_proto(self):
        """The `tf.compat.v1.ConfigProto` for `tf.compat.v1.Session`."""
        from tensorflow.core.protobuf import config_pb2

        return config_pb2.ConfigProto(intra_op_parallelism_threads=self.intra_op_parallelism,
                                      inter_op_parallelism_threads=self.inter_op_parallelism,
                                      allow_soft_placement=True)
