import json
import os

import pytest
from tfx.types import standard_artifacts

from components.evaluator import executor
from components.evaluator.config import EvaluatorConfig
from tests.components.evaluator import standin_data

CONFIG = EvaluatorConfig(ks=(5, 10), metric="ndcg@10")


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    return standin_data.write_examples(tmp_path_factory.mktemp("examples"),
                                       *standin_data.standin_rows())


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    model = standin_data.export_model(tmp_path_factory.mktemp("good"), **standin_data.GOOD)
    model.id = 11
    return model


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    model = standin_data.export_model(tmp_path_factory.mktemp("bad"), **standin_data.BAD)
    model.id = 12
    return model


def run(tmp_path, examples, model, baseline=None, config=CONFIG):
    blessing = standard_artifacts.ModelBlessing()
    blessing.uri = str(tmp_path / "blessing")
    evaluation = standard_artifacts.ModelEvaluation()
    evaluation.uri = str(tmp_path / "evaluation")
    inputs = {"examples": [examples], "model": [model]}
    if baseline is not None:
        inputs["baseline_model"] = [baseline]
    executor.Executor().Do(inputs, {"blessing": [blessing], "evaluation": [evaluation]},
                           {"config_json": config.to_json()})
    with open(os.path.join(evaluation.uri, "metrics.json")) as f:
        report = json.load(f)
    return blessing, report


def _blessed(blessing):
    flag = blessing.get_int_custom_property("blessed")
    files = set(os.listdir(blessing.uri)) & {"BLESSED", "NOT_BLESSED"}
    assert files == {"BLESSED" if flag else "NOT_BLESSED"}
    return flag == 1


def test_first_model_is_blessed_when_it_beats_popularity(tmp_path, examples, good):
    blessing, report = run(tmp_path, examples, good)
    assert _blessed(blessing)
    assert report["candidate"]["ndcg@10"] > report["popularity"]["ndcg@10"]
    assert report["baseline"] is None and report["blessed"] is True
    assert set(report["candidate"]["per_agent"]) == {"collaborative", "popularity"}
    assert blessing.get_int_custom_property("current_model_id") == 11
    assert "popularity" in blessing.get_string_custom_property("blessing_message")
    assert blessing.get_float_custom_property("candidate_ndcg_at_10") == pytest.approx(
        report["candidate"]["ndcg@10"])
    assert os.path.exists(os.path.join(blessing.uri, "metrics.json"))
    # The sample and the intervals are in the artifact and the message.
    assert report["users_evaluated"] == report["candidate"]["users"] == report["users_total"]
    assert report["sample"]["seed"] == 42 and "per_user" not in report["candidate"]
    low, high = report["candidate"]["ci"]["ndcg@10"]
    assert low <= report["candidate"]["ndcg@10"] <= high
    assert blessing.get_float_custom_property("candidate_ndcg_at_10_ci_low") == pytest.approx(low)
    assert blessing.get_int_custom_property("users_evaluated") == report["users_evaluated"]
    message = blessing.get_string_custom_property("blessing_message")
    assert f"[{low:.4f}, {high:.4f}]" in message and "difference" in message
    assert f"{report['users_evaluated']} of {report['users_total']} users" in message


def test_a_bounded_sample_of_users_is_evaluated(tmp_path, examples, good):
    config = EvaluatorConfig(ks=(5, 10), metric="ndcg@10", max_users=7, seed=1)
    _, report = run(tmp_path, examples, good, config=config)
    assert report["users_evaluated"] == report["candidate"]["users"] == 7
    assert report["users_total"] > 7
    assert report["popularity"]["users"] == 7


def test_bad_model_is_refused(tmp_path, examples, bad):
    blessing, report = run(tmp_path, examples, bad)
    assert not _blessed(blessing)
    assert report["candidate"]["ndcg@10"] < report["popularity"]["ndcg@10"]


def test_candidate_is_gated_against_the_baseline(tmp_path, examples, good, bad):
    blessing, report = run(tmp_path / "a", examples, bad, baseline=good)
    assert not _blessed(blessing)
    assert blessing.get_int_custom_property("baseline_model_id") == 11
    assert "baseline" in report["reason"]
    blessing, _ = run(tmp_path / "b", examples, good, baseline=bad)
    assert _blessed(blessing)


def test_tolerance_lets_an_equal_model_through(tmp_path, examples, good):
    same = standard_artifacts.Model()
    # same SavedModel, other layout
    same.uri, same.id = os.path.join(good.uri, "Format-Serving"), 13
    blessing, report = run(tmp_path, examples, good, baseline=same,
                           config=EvaluatorConfig(ks=(10,), tolerance=0.0))
    assert _blessed(blessing)
    assert report["candidate"]["ndcg@10"] == pytest.approx(report["baseline"]["ndcg@10"])


def test_broken_candidate_is_not_blessed_and_does_not_raise(tmp_path, examples, good):
    broken = standard_artifacts.Model()
    broken.uri = str(tmp_path / "broken")
    os.makedirs(os.path.join(broken.uri, "Format-Serving"))
    with open(os.path.join(broken.uri, "Format-Serving", "saved_model.pb"), "wb") as f:
        f.write(b"\x08\x01garbage")
    blessing, report = run(tmp_path, examples, broken, baseline=good)
    assert not _blessed(blessing)
    assert "error" in report["candidate"] and "could not be evaluated" in report["reason"]


def test_unloadable_baseline_falls_back_to_popularity(tmp_path, examples, good):
    gone = standard_artifacts.Model()
    gone.uri = str(tmp_path / "deleted")
    blessing, report = run(tmp_path, examples, good, baseline=gone)
    assert (_blessed(blessing) and "error" in report["baseline"]
            and "popularity" in report["reason"])
