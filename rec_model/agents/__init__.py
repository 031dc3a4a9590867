"""The recommendation agents. Each exposes `query(...) -> [batch, d]` and
`item_table(...) -> [items, d]`, so its scores are one matmul: query @ table^T."""
