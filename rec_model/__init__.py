"""Pure Keras 2 / TFRS models, feature names and data formats. Never imports tfx."""
