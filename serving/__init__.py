"""Model server (TF Serving's gRPC + REST APIs), client, launcher and production config.

Never imports tfx. See serving/README.md for the SavedModel contract and the APIs.
"""
