"""Data formats: the canonical interactions/items folder, converters and generators."""
