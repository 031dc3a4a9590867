"""evaluator: full-ranking metrics of a candidate vs the live model and popularity ->
ModelBlessing."""
