"""The live model, explained: answers of the serving contract with titles and per-agent parts.

Only the contract of serving/README.md is used (it outlives any one model):
`recommend(user_id, k, history, exclude)` -> item_ids, scores, agent_scores [k, n_agents]
(contributions that sum to the score), agent_names; `score(user_id, item_ids)` -> scores,
agent_scores. Agent names are read from every answer, never assumed.

- Switching agents off: a pool of the blend's best items is rescored and re-blended from the
  remaining agents' contributions (sum of those contributions), showing rank changes. A
  user-only query is rescored through `score`; `score` takes no history, so a query with a
  history keeps the contributions `recommend` gave for that history.
- An item's nearest items per agent: `recommend` for an unknown user ("") whose history is
  that item, with a generous k, ordered by each agent's contribution column. It works for
  cold items too: agents that know items from their text still see them.
"""

import math
from typing import Callable, List

from serving.errors import Code, ServingError

NO_USER = ""  # Unknown to every model: scored from the request history alone.
MAX_K = 200
MAX_HISTORY = 50


def _finite(value: float) -> bool:
    return isinstance(value, float) and math.isfinite(value)


class Explorer:
    """Asks the model server and labels its answers.

    Args:
        client: a `serving.client.RecommendClient`-like object (recommend, score, status).
        catalogue: returns the current `Catalogue` (titles, train counts).
        pool: items asked for when re-ranking or listing neighbours (capped by the catalogue).
    """

    def __init__(self, client, catalogue: Callable, pool: int = 1000):
        self.client, self.catalogue, self.pool = client, catalogue, pool

    # -- helpers -----------------------------------------------------------------------
    def _pool_size(self, at_least: int) -> int:
        size = self.catalogue().size
        return max(at_least, min(self.pool, size) if size else self.pool)

    def _recommend(self, user: str, k: int, history: List[str], shrink: bool = False) -> dict:
        """One user's answer; with `shrink`, a k above the catalogue size is halved until the
        model accepts it (the model checks k against its catalogue, which the app may not know)."""
        while True:
            try:
                return self.client.recommend([user], k=k, history=[history])[0]
            except ServingError as err:
                if not (shrink and err.code == Code.INVALID_ARGUMENT and k > 1):
                    raise
                k //= 2

    def _row(
        self, rank: int, item: str, score: float, parts: List[float], names: List[str]
    ) -> dict:
        row = self.catalogue().describe(item)
        row.update(
            rank=rank,
            score=score,
            contributions=dict(zip(names, parts)),
            contribution_sum=sum(parts),
        )
        return row

    @staticmethod
    def _check(k: int, history: List[str]) -> None:
        if not 1 <= k <= MAX_K:
            raise ValueError(f"k must be in 1..{MAX_K}, got {k}")
        if len(history) > MAX_HISTORY:
            raise ValueError(f"a history holds at most {MAX_HISTORY} items, got {len(history)}")

    # -- pages -------------------------------------------------------------------------
    def status(self) -> dict:
        """{"available", "versions": [{"version", "state"}], "message"}."""
        try:
            versions = self.client.status()
        except ServingError as err:
            return {"available": False, "versions": [], "message": f"model server: {err}"}
        ready = [v for v in versions if v.get("state") == "AVAILABLE"]
        return {
            "available": bool(ready),
            "versions": versions,
            "serving_version": max((int(v["version"]) for v in ready), default=None),
            "message": "" if ready else "no model version is AVAILABLE yet",
        }

    def recommend(self, user: str, history: List[str], k: int) -> dict:
        """Top-k with titles and contributions: {"user_id", "history", "k", "agent_names",
        "items": [{"rank", "item_id", "title", "score", "contributions", "contribution_sum",
        "train_count", "cold", ...}], "excluded": items the model ranked at -inf}."""
        self._check(k, history)
        answer = self._recommend(user, k, history)
        names = answer["agent_names"]
        items, excluded = [], []
        for item, score, parts in zip(
            answer["item_ids"], answer["scores"], answer["agent_scores"]
        ):
            if not item:
                continue
            if not _finite(score):  # Seen or excluded items fill k when the catalogue runs out.
                excluded.append(item)
                continue
            items.append(self._row(len(items) + 1, item, score, parts, names))
        return {
            "user_id": user,
            "history": [self.catalogue().describe(i) for i in history],
            "k": k,
            "agent_names": names,
            "items": items,
            "excluded": excluded,
        }

    def switch_off(self, user: str, history: List[str], k: int, off: List[str]) -> dict:
        """The top-k re-blended without the agents in `off` (module docstring).

        Returns:
            {"agent_names", "off", "method": "score" | "recommend", "pool", "items": new top-k
            with "previous_rank" (rank in the full blend), "entered" (was outside the top-k) and
            "change", "dropped": items that left the top-k with their "new_rank"}.
        """
        self._check(k, history)
        answer = self._recommend(user, self._pool_size(k), history, shrink=True)
        names = answer["agent_names"]
        unknown = sorted(set(off) - set(names))
        if unknown:
            raise ValueError(f"unknown agent(s) {unknown}; this model's agents are {names}")
        pool = [
            (i, s, p)
            for i, s, p in zip(answer["item_ids"], answer["scores"], answer["agent_scores"])
            if i and _finite(s)
        ]
        method = "recommend"
        if not [h for h in history if h] and pool:
            rescored = self.client.score([user], [[i for i, _, _ in pool]])[0]
            pool = [
                (i, s, p)
                for (i, _, _), s, p in zip(pool, rescored["scores"], rescored["agent_scores"])
            ]
            method = "score"
        keep = [n not in off for n in names]
        before = sorted(range(len(pool)), key=lambda j: -sum(pool[j][2]))
        after = sorted(
            range(len(pool)), key=lambda j: -sum(p for p, on in zip(pool[j][2], keep) if on)
        )
        old_rank = {j: r + 1 for r, j in enumerate(before)}
        new_rank = {j: r + 1 for r, j in enumerate(after)}
        items = []
        for j in after[:k]:
            item, _, parts = pool[j]
            row = self._row(
                new_rank[j], item, sum(p for p, on in zip(parts, keep) if on), parts, names
            )
            row.update(
                full_score=sum(parts),
                previous_rank=old_rank[j],
                entered=old_rank[j] > k,
                change=old_rank[j] - new_rank[j],
            )
            items.append(row)
        dropped = [
            dict(
                self.catalogue().describe(pool[j][0]),
                previous_rank=old_rank[j],
                new_rank=new_rank[j],
            )
            for j in before[:k]
            if new_rank[j] > k
        ]
        return {
            "user_id": user,
            "k": k,
            "agent_names": names,
            "off": sorted(off),
            "method": method,
            "pool": len(pool),
            "items": items,
            "dropped": dropped,
        }

    def neighbours(self, item: str, n: int = 10) -> dict:
        """The `n` items nearest to `item` overall and by each agent's contribution.

        Returns:
            {"item", "agent_names", "pool", "blend": [...], "by_agent": {agent: [...]},
            "flat": [agents that give their `n` best items the same contribution (e.g. a
            collaborative agent for an unknown user): their lists are empty, as any order
            of those items would be arbitrary]}.
        """
        if not item:
            raise ValueError("give an item id")
        answer = self._recommend(NO_USER, self._pool_size(n), [item], shrink=True)
        names = answer["agent_names"]
        pool = [
            (i, s, p)
            for i, s, p in zip(answer["item_ids"], answer["scores"], answer["agent_scores"])
            if i and i != item and _finite(s)
        ]
        blend = [self._row(r + 1, i, s, p, names) for r, (i, s, p) in enumerate(pool[:n])]
        by_agent, flat = {}, []
        for a, name in enumerate(names):
            ranked = sorted(pool, key=lambda row: -row[2][a])[:n]
            column = [p[a] for _, _, p in ranked]
            if len(column) > 1 and column[0] - column[-1] <= 1e-6 * max(1.0, abs(column[0])):
                by_agent[name] = []  # Ties all the way down: any order would be made up.
                flat.append(name)
                continue
            by_agent[name] = [
                self._row(r + 1, i, s, p, names) for r, (i, s, p) in enumerate(ranked)
            ]
        return {
            "item": self.catalogue().describe(item),
            "agent_names": names,
            "pool": len(pool),
            "blend": blend,
            "by_agent": by_agent,
            "flat": flat,
        }

    def agent_shares(self, users: List[str], k: int = 10) -> dict:
        """Each agent's share of the contributions behind the top-k of `users`.

        Share = sum of |contribution| of the agent / sum over agents (contributions can be
        negative); `mean` is the signed mean contribution per recommended item.
        """
        users = [u for u in users if u][:50] or [NO_USER]
        total, signed, names, rows = None, None, [], 0
        for start in range(0, len(users), 25):
            for answer in self.client.recommend(users[start : start + 25], k=k):
                names = answer["agent_names"]
                total = total or [0.0] * len(names)
                signed = signed or [0.0] * len(names)
                for score, parts in zip(answer["scores"], answer["agent_scores"]):
                    if _finite(score):
                        rows += 1
                        total = [t + abs(p) for t, p in zip(total, parts)]
                        signed = [s + p for s, p in zip(signed, parts)]
        whole = sum(total or []) or 1.0
        return {
            "agent_names": names,
            "users": len(users),
            "items": rows,
            "k": k,
            "share": {n: t / whole for n, t in zip(names, total or [])},
            "mean": {n: s / max(rows, 1) for n, s in zip(names, signed or [])},
        }
