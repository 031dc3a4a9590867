"""Titles and train counts of the catalogue, for labelling the model server's item ids.

Titles come from a canonical `items.csv` (by default the one the latest run embedded);
train counts from the TransformGraph's `item_id_counts` vocabulary. An item of items.csv
with no train interactions is "cold": the model knows it from its text only.
"""

from typing import Dict, List, Optional

from rec_model import features as F
from tfx_pipeline.ui import artifacts


class Catalogue:
    """Item titles, genres and train counts.

    Args:
        items_csv: a canonical items.csv ("" = titles unknown; ids are shown instead).
        transform_graph_uri: a TransformGraph artifact ("" = train counts unknown).
        users: example user ids to offer in the explorer (default: the transform's vocabulary).
    """

    def __init__(
        self, items_csv: str = "", transform_graph_uri: str = "", users: Optional[List[str]] = None
    ):
        self.items_csv, self.transform_graph_uri = items_csv, transform_graph_uri
        self.items: Dict[str, Dict[str, str]] = {}
        self.problem = ""
        if items_csv:
            from rec_model.data.canonical import read_item_rows

            try:
                _, rows, _ = read_item_rows(items_csv)
                self.items = {
                    row[F.ITEM_ID]: {
                        "title": (row.get(F.TITLE) or "").strip(),
                        "genres": (row.get(F.GENRES) or "").strip(),
                    }
                    for _, row in rows
                }
            except (OSError, ValueError) as err:  # A moved or broken file: ids instead of titles.
                self.problem = f"titles unavailable: {err}"
        self.counts = artifacts.train_counts(transform_graph_uri)
        self.users = users if users is not None else artifacts.known_users(transform_graph_uri)

    @property
    def size(self) -> int:
        """Items known (items.csv rows, else items with train counts)."""
        return len(self.items) or len(self.counts)

    def title(self, item_id: str) -> str:
        return self.items.get(item_id, {}).get("title", "")

    def describe(self, item_id: str) -> dict:
        """{"item_id", "title", "genres", "train_count", "cold"}; `cold` is None when the train
        counts are unknown."""
        row = self.items.get(item_id, {})
        count = self.counts.get(item_id, 0) if self.counts else None
        return {
            "item_id": item_id,
            "title": row.get("title", ""),
            "genres": row.get("genres", ""),
            "train_count": count,
            "cold": None if count is None else count == 0,
            "in_catalogue": item_id in self.items if self.items else None,
        }

    def search(self, query: str, limit: int = 20) -> List[dict]:
        """Items whose id equals `query` or whose title contains it (case-insensitive)."""
        query = query.strip().lower()
        if not query:
            return []
        exact = [i for i in self.items if i.lower() == query]
        matches = exact + [
            i for i, row in self.items.items() if query in row["title"].lower() and i not in exact
        ]
        return [self.describe(i) for i in matches[:limit]]

    def summary(self) -> dict:
        cold = sum(1 for i in self.items if self.counts and self.counts.get(i, 0) == 0)
        return {
            "items_csv": self.items_csv,
            "transform_graph": self.transform_graph_uri,
            "items": self.size,
            "cold_items": cold if self.counts else None,
            "example_users": self.users[:20],
            "example_items": [self.describe(i) for i in list(self.items)[:5]],
            "problem": self.problem,
        }
