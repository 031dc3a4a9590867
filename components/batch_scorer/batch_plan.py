"""Grouping users into `recommend` calls of bounded size.

`exclude` is a dense `[batch, m]` string tensor padded to the longest list in the call, and
seen-item counts are heavy-tailed (on the synthetic S data: median 12, max 710), so one heavy
user in a call of 256 used to pad everyone to hundreds of columns. Users are therefore sorted
by exclude length and cut into calls of at most `max_batch_size` users and at most
`max_cells` padded exclude cells (a single user longer than that gets a call of their own).
"""

from typing import List, NamedTuple, Sequence


class ScoringBlock(NamedTuple):
    """The users of one `recommend` call.

    Attributes:
        key: sortable name, unique within a job (`"<bucket>-<block>"`); output order follows it.
        user_ids: [batch] user ids.
        excludes: [batch] lists of item ids not to recommend.
    """

    key: str
    user_ids: List[str]
    excludes: List[List[str]]


def plan_calls(lengths: Sequence[int], max_batch_size: int, max_cells: int) -> List[List[int]]:
    """Positions of users per call, shortest exclude lists first.

    Args:
        lengths: exclude length of each user.
        max_batch_size: most users per call (>= 1).
        max_cells: most `users * max(1, longest exclude)` per call (>= 1).

    Returns:
        Lists of positions into `lengths`; each position exactly once; within a call, ties
        keep their input order.
    """
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    calls: List[List[int]] = []
    current: List[int] = []
    for position in order:
        width = max(1, lengths[position])  # Sorted: the newcomer is the widest so far.
        if current and (len(current) >= max_batch_size or (len(current) + 1) * width > max_cells):
            calls.append(current)
            current = []
        current.append(position)
    if current:
        calls.append(current)
    return calls


def blocks(prefix: str, user_ids: Sequence[str], excludes: Sequence[List[str]],
           max_batch_size: int, max_cells: int) -> List[ScoringBlock]:
    """`plan_calls` as `ScoringBlock`s keyed `"<prefix>-<n>"` (n zero-padded, so keys sort)."""
    calls = plan_calls([len(e) for e in excludes], max_batch_size, max_cells)
    return [ScoringBlock(f"{prefix}-{n:06d}", [user_ids[p] for p in call],
                         [excludes[p] for p in call])
            for n, call in enumerate(calls)]
