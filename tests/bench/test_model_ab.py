"""bench.scale.model_ab: two exports on the same batches, answers compared, then timed."""

import os

from bench.scale import model_ab
from serving.testing import export_standin, item_ids, user_ids


def _standin(base, seed):
    path = export_standin(str(base), 1, n_users=20, n_items=50, dim=8, seed=seed)
    os.makedirs(path / "assets", exist_ok=True)
    (path / "assets" / "user_ids.txt").write_text("\n".join(user_ids(20)) + "\n")
    return str(path)


def _data(folder):
    os.makedirs(folder)
    users, items = user_ids(20), item_ids(50)
    rows = [f"{users[u]},{items[(u * 7 + j) % 50]},{1000 + j}" for u in range(20)
            for j in range(3)]
    with open(os.path.join(folder, "interactions.csv"), "w", encoding="utf-8") as f:
        f.write("user_id,item_id,timestamp\n" + "\n".join(rows) + "\n")
    return folder


def test_the_same_model_twice_agrees_and_another_does_not(tmp_path):
    data = _data(str(tmp_path / "data"))
    a, again = _standin(tmp_path / "a", 0), _standin(tmp_path / "again", 0)
    other = _standin(tmp_path / "other", 1)
    result = model_ab.run(a, again, data, n_users=12, batch=5, rounds=2)
    assert result["same_answers"] is True
    assert result["users"] == 12 and len(result["per_round"]["b"]) == 2
    assert result["b_over_a"]["wall"] > 0
    assert model_ab.run(a, other, data, n_users=12, batch=5, rounds=1)["same_answers"] is False


def test_requests_exclude_each_users_seen_items():
    batch = model_ab.request(["u1", "u2"], {"u1": ["i2", "i1", "i2"]}, k=3)
    assert batch["exclude"].tolist() == [[b"i1", b"i2"], [b"", b""]]
    assert batch["history"].shape == (2, 1) and int(batch["k"]) == 3
