"""Small canonical folders written by tests (no files checked in)."""

import os

GOOD_ROWS = 240
BAD_ROWS = [
    "u1,,1700000000,3",  # empty item id
    "u2,i3,notatime,3",  # unparsable timestamp
    "u3,i4,1700000000,abc",  # unparsable rating
    "u4,i5",  # too few columns
]


def write_small_folder(path: str, n_users: int = 12, n_items: int = 20,
                       bad_rows=tuple(BAD_ROWS)) -> str:
    """Writes interactions.csv (GOOD_ROWS good rows + `bad_rows`) and items.csv into `path`.

    User `u{k}` interacts with items in a deterministic pattern at increasing timestamps.
    """
    os.makedirs(path, exist_ok=True)
    lines = ["user_id,item_id,timestamp,rating"]
    for n in range(GOOD_ROWS):
        user = n % n_users
        item = (user * 3 + n // n_users) % n_items
        lines.append(f"u{user},i{item},{1_700_000_000 + n * 60},{1 + n % 5}")
    lines.extend(bad_rows)
    with open(os.path.join(path, "interactions.csv"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(path, "items.csv"), "w", encoding="utf-8") as f:
        f.write("item_id,title,genres\n")
        for i in range(n_items):
            f.write(f"i{i},Item number {i},Genre{i % 4}\n")
    return path
