"""pusher: copy a doubly blessed SavedModel into TF Serving's versioned model folder,
atomically."""
