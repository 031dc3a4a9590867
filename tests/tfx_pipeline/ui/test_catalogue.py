"""Tests of tfx_pipeline/ui/catalogue.py."""

from tfx_pipeline.ui.catalogue import Catalogue


def _catalogue(tmp_path):
    items = tmp_path / "items.csv"
    items.write_text(
        "item_id,title,genres\n"
        'i1,Toy Story,Animation|Comedy\ni2,"Heat, the film",Crime\ni3,Cold one,\n'
    )
    assets = tmp_path / "graph" / "transform_fn" / "assets"
    assets.mkdir(parents=True)
    (assets / "item_id_counts").write_text("9 i1\n2 i2\n")
    (assets / "user_id_vocab").write_text("u1\n")
    return Catalogue(str(items), str(tmp_path / "graph"))


def test_titles_counts_and_cold_items(tmp_path):
    catalogue = _catalogue(tmp_path)
    assert catalogue.size == 3 and catalogue.title("i2") == "Heat, the film"
    assert catalogue.describe("i1") == {
        "item_id": "i1",
        "title": "Toy Story",
        "genres": "Animation|Comedy",
        "train_count": 9,
        "cold": False,
        "in_catalogue": True,
    }
    assert catalogue.describe("i3")["cold"] is True
    assert catalogue.describe("zz")["in_catalogue"] is False
    assert catalogue.summary()["cold_items"] == 1 and catalogue.summary()["example_users"] == [
        "u1"
    ]


def test_search_by_id_then_title(tmp_path):
    catalogue = _catalogue(tmp_path)
    assert [i["item_id"] for i in catalogue.search("I1")] == ["i1"]
    assert [i["item_id"] for i in catalogue.search("the")] == ["i2"]
    assert catalogue.search("   ") == []


def test_without_files_ids_are_shown(tmp_path):
    catalogue = Catalogue(str(tmp_path / "missing.csv"), "")
    assert catalogue.size == 0 and "titles unavailable" in catalogue.problem
    assert catalogue.describe("i1") == {
        "item_id": "i1",
        "title": "",
        "genres": "",
        "train_count": None,
        "cold": None,
        "in_catalogue": None,
    }
