"""Closed-form (fitted, not gradient-trained) statistics of the agents, sparse throughout.

`gram`: the item co-occurrence (Gram) matrix pruned per item; `neighbourhood`: the EDLAE
item-item model solved on each item's neighbourhood; `spectral`: the GF-CF low-pass filter
as low-rank factors from a randomised SVD; `cold_items`: text-neighbour imputation for
items without interactions; `cold_scale`: how much of it the item-item model takes, chosen on a
simulated cold start. Memory grows with interactions + items x neighbours.
"""
