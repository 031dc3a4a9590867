import numpy as np
import pytest

from components.evaluator import model_eval, model_io
from components.evaluator.config import EvaluatorConfig
from components.evaluator.eval_data import EvalSet
from rec_model import features as F
from rec_model.sampled_metrics import sample_users
from tests.components.evaluator import standin_data

CONFIG = EvaluatorConfig(ks=(3, 10), metric="ndcg@3", batch_size=7)


def _load(artifact):
    return model_io.ServingSignatures(model_io.serving_model_dir(artifact.uri))


@pytest.fixture(scope="module")
def data():
    return EvalSet.from_rows(*standin_data.standin_rows())


def test_good_model_finds_the_eval_items_and_per_agent_uses_score(tmp_path, data):
    out = model_eval.model_metrics(_load(standin_data.export_model(tmp_path, **standin_data.GOOD)),
                                   data, CONFIG)
    assert out["users"] == standin_data.N_USERS and out["k"] == 10
    assert out["ndcg@3"] > 0.8
    assert out["per_agent_method"] == "score_signature"
    assert set(out["per_agent"]) == {"collaborative", "popularity"}
    # The collaborative agent alone is the ground truth here; popularity is not.
    assert out["per_agent"]["collaborative"]["ndcg@3"] == pytest.approx(1.0)
    assert out["per_agent"]["popularity"]["ndcg@3"] < 0.5


def test_bad_model_scores_low(tmp_path, data):
    out = model_eval.model_metrics(_load(standin_data.export_model(tmp_path, **standin_data.BAD)),
                                   data, CONFIG)
    assert out["ndcg@3"] < 0.1


def test_without_score_signature_agents_rerank_the_top_k(tmp_path, data):
    model = _load(standin_data.export_recommend_only(tmp_path, **standin_data.GOOD))
    out = model_eval.model_metrics(model, data, CONFIG)
    assert out["per_agent_method"] == "rerank_top_k"
    assert out["per_agent"]["collaborative"]["ndcg@3"] > 0.8


def test_k_is_lowered_when_the_model_rejects_it(tmp_path):
    # 60 extra train-only items make the catalogue (110) larger than the model's (50).
    rows = standin_data.standin_rows(extra_items=[f"x{n}" for n in range(60)])
    data = EvalSet.from_rows(*rows)
    cfg = EvaluatorConfig(ks=(10, 100), per_agent=False)
    out = model_eval.model_metrics(_load(standin_data.export_model(tmp_path, **standin_data.GOOD)),
                                   data, cfg)
    assert out["k"] == 50 and out["per_agent"] == {}


class _MutedPopularity:
    """The model with its popularity agent muted: that column of `score` is 0 everywhere."""

    def __init__(self, model):
        self.model = model

    def __getattr__(self, name):
        return getattr(self.model, name)

    def score(self, users, items):
        out = dict(self.model.score(users, items))
        out[F.AGENT_SCORES] = out[F.AGENT_SCORES] * np.array([1.0, 0.0])
        return out


def test_a_muted_agent_is_listed_instead_of_judged(tmp_path, data):
    model = _MutedPopularity(_load(standin_data.export_model(tmp_path, **standin_data.GOOD)))
    out = model_eval.model_metrics(model, data, CONFIG)
    assert out["muted_agents"] == ["popularity"] and set(out["per_agent"]) == {"collaborative"}


class _SilentForFirstUser:
    """The model whose popularity column is 0 for the first user of every `score` call."""

    def __init__(self, model):
        self.model = model

    def __getattr__(self, name):
        return getattr(self.model, name)

    def score(self, users, items):
        out = dict(self.model.score(users, items))
        out[F.AGENT_SCORES] = out[F.AGENT_SCORES].copy()
        out[F.AGENT_SCORES][0, :, 1] = 0.0
        return out


def test_an_all_zero_column_ranks_unseen_items_by_index(tmp_path, data):
    model = _SilentForFirstUser(_load(standin_data.export_model(tmp_path, **standin_data.GOOD)))
    users = list(data.users)
    ranked, scored = model_eval._per_agent_by_score(model, data, users, 10, 2)
    assert scored.tolist() == [True, True]
    step = max(1, model_eval._SCORE_CELLS // len(data.catalogue))
    for n, user in enumerate(users):
        seen = set(data.history[user])
        if n % step == 0:  # the silent user: ties rank by catalogue position
            expected = [i for i in data.catalogue if i not in seen][:10]
        else:
            column = model.model.score([user], [data.catalogue])[F.AGENT_SCORES][0, :, 1]
            column = np.where([i in seen for i in data.catalogue], -np.inf, column)
            expected = [data.catalogue[t] for t in model_eval._top_k(column, 10)]
        assert ranked[1][n] == expected


def test_the_per_agent_breakdown_keeps_within_its_cell_budget(tmp_path, data):
    model = _load(standin_data.export_model(tmp_path, **standin_data.GOOD))
    budget = 7 * len(data.catalogue) + 3  # room for 7 users
    cfg = EvaluatorConfig(ks=(3, 10), metric="ndcg@3", per_agent_max_cells=budget, seed=5)
    out = model_eval.model_metrics(model, data, cfg)
    assert out["users"] == standin_data.N_USERS and out["per_agent_users"] == 7
    assert all(m["users"] == 7 for m in out["per_agent"].values())
    assert (model_eval.per_agent_users(list(data.users), len(data.catalogue), cfg)
            == sample_users(list(data.users), 7, seed=5))
    roomy = EvaluatorConfig(ks=(3, 10), metric="ndcg@3")
    assert model_eval.model_metrics(model, data, roomy)["per_agent_users"] == out["users"]
    with pytest.raises(ValueError, match="per_agent_max_cells"):
        EvaluatorConfig(per_agent_max_cells=0)


class _RecordingModel:
    """A loaded model whose `recommend` calls keep the `history` rows they were sent."""

    def __init__(self, model):
        self._model, self.histories = model, []

    def __getattr__(self, name):
        return getattr(self._model, name)

    def recommend(self, user_ids, k, history, exclude):
        self.histories.append([tuple(row) for row in history])
        return self._model.recommend(user_ids, k, history, exclude)


def test_no_history_is_sent_by_default_and_history_length_sends_the_latest(tmp_path, data):
    model = _RecordingModel(_load(standin_data.export_model(tmp_path, **standin_data.GOOD)))
    model_eval.model_metrics(model, data, CONFIG)
    # The first call is _choose_k's probe of k; every ranking call sends empty rows: a model
    # that stores its users' histories would count re-sent items twice.
    assert [row for call in model.histories[1:] for row in call if row] == []
    model.histories.clear()
    two = EvaluatorConfig(ks=(3, 10), metric="ndcg@3", batch_size=7, history_length=2)
    model_eval.model_metrics(model, data, two)
    sent = [row for call in model.histories[1:] for row in call]
    assert len(sent) == len(data.users)
    assert sent == [data.history[u][-2:] for u in data.users]
