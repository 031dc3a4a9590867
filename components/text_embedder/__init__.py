"""TextEmbedder component: item texts -> L2-normalised BERT sentence embeddings.

`embedder.TextEmbedder` / `embedder.embed_texts` are plain Keras 3 code usable without TFX;
`component.TextEmbedder` wraps them as a Beam-based TFX component.
"""
