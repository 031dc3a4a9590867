"""MovieLens-derived robustness shapes keep real pairs and change only their trait."""

import numpy as np
import pytest

from bench.robustness import movielens_shapes, run

GENRES = ("unknown", "Action", "Comedy", "Drama")


def _fake_movielens(folder, users: int = 30, items: int = 40, seed: int = 0):
    """A raw MovieLens-100K folder in miniature: u.data, u.item, u.genre."""
    rng = np.random.default_rng(seed)
    lines = set()
    for user in range(1, users + 1):
        for item in rng.choice(np.arange(1, items + 1), 25 if user <= 3 else 8, replace=False):
            lines.add(f"{user}\t{item}\t{rng.integers(1, 6)}\t{880000000 + user * 1000 + item}")
    (folder / "u.data").write_text("\n".join(sorted(lines)) + "\n")
    (folder / "u.genre").write_text("".join(f"{g}|{n}\n" for n, g in enumerate(GENRES)) + "\n")
    (folder / "u.item").write_text("".join(
        f"{i}|Movie {i} (1995)|01-Jan-1995||http://x|0|{i % 2}|{1 - i % 2}|1\n"
        for i in range(1, items + 1)), encoding="latin-1")
    return folder


def test_movielens_shapes_keep_the_real_pairs_and_drop_one_trait(tmp_path):
    built = {name: make() for name, make in
             movielens_shapes.shapes(str(_fake_movielens(tmp_path))).items()}
    full = built["ml100k"]
    assert full.user.size == len((tmp_path / "u.data").read_text().split("\n")) - 1
    assert full.texts[1] == "Movie 2 (1995). Comedy Drama" and full.rating is not None
    assert built["ml100k_implicit"].rating is None and built["ml100k_implicit"].timestamp is None
    np.testing.assert_array_equal(built["ml100k_implicit"].item, full.item)
    positive = built["ml100k_positive_only"]
    assert positive.user.size == int((full.rating >= 4).sum()) and positive.rating is None
    music = built["ml100k_music_like"]
    per_item = np.bincount(music.item, minlength=music.num_items)
    assert np.bincount(music.user[music.item < full.num_items]).max() <= 45
    assert 0.5 < (per_item == 1).mean() and music.rating is None
    assert all(". " not in text for text in music.texts)
    strengths = built["ml100k_tasteless_strengths"]
    np.testing.assert_array_equal(strengths.item, full.item)
    assert strengths.rating.min() > 0 and strengths.rating.max() > 20 * np.median(strengths.rating)


def test_bench_names_the_missing_movielens_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="u.data missing"):
        run.all_shapes(str(tmp_path))["ml100k_implicit"]()


def test_bench_refuses_an_unknown_shape(capsys):
    with pytest.raises(SystemExit):
        run.main(["--shapes", "no_such_shape"])
    assert "unknown shapes ['no_such_shape']" in capsys.readouterr().err
