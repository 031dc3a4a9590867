"""trainer: the multi-agent model trained (optionally on several workers) and exported."""
