from types import SimpleNamespace

import numpy as np
import pytest
import tensorflow as tf

from rec_model import auto_settings, gate_fit, recency, trainer
from rec_model.config import ModelConfig
from rec_model.interactions import Interactions
from rec_model.lazy_adam import LazyAdam
from rec_model.trainer import (LAST_PASS_STAGE, _optimizer, last_pass, mute_silent_agents,
                               refit, train_multi_agent)
from tests.rec_model.synthetic import (NUM_ITEMS, drifting_tastes, fitted_model,
                                       held_out_validation, make_data, tiny_config)


def test_losses_are_finite_and_both_stages_are_logged(trained):
    result = trained[0]
    stages = [row["stage"] for row in result.epochs]
    kept = [a for a in result.model.agents
            if a.gradient_trained and a.name not in result.model.muted]
    assert kept  # the tiny data keeps a factor agent, so the last pass runs
    assert stages == ["pairs", "gate", LAST_PASS_STAGE]  # epochs=1, gate_epochs=1
    for row in result.epochs:
        values = [v for k, v in row.items() if k not in ("stage", "epoch")]
        assert values and np.all(np.isfinite(values))
    pairs = result.epochs[0]
    assert {"loss", "loss_cf", "loss_hybrid", "alpha_cf", "loss_pairs_ensemble"} <= set(pairs)
    assert "loss_history" not in pairs and "loss_history" in result.epochs[1]
    assert set(result.seconds) == {"fit", "pairs", "gate", "refit", LAST_PASS_STAGE}
    assert result.examples_per_second > 0


def test_alpha_sums_to_one_over_every_agent(trained):
    alpha = trained[0].final_alpha
    assert list(alpha) == list(ModelConfig().agents)
    assert sum(alpha.values()) == pytest.approx(1.0, abs=1e-5)
    assert all(a > 0 for a in alpha.values())


def test_chosen_settings_are_recorded(trained):
    settings = trained[0].settings
    assert settings["history"]["neighbours"] == 4 and settings["spectral"]["rank"] == 4
    history = settings["history"]
    tried = [k for k in history if k.startswith("validation_ndcg@20_l2=")]
    assert len(tried) >= 3  # history_l2 = 0: chosen on the validation slice
    assert history["l2"] > 0
    assert any(k.startswith("validation_ndcg@20_cold_scale=") for k in history)
    assert settings["cf"] == {} and settings["content"] == {}
    # No ratings in the data: nothing to weigh, the weights are binary.
    assert settings["rating_weights"] == {"rating_power": 0.0}
    assert trained[0].model.rating_power == 0.0


def test_the_rating_power_is_chosen_on_the_slice_and_used_by_the_stored_histories():
    data, text = make_data(ratings=True)
    result = train_multi_agent(tiny_config(), data, text)
    report, model = result.settings["rating_weights"], result.model
    assert {"validation_ndcg@20_power=0", "validation_ndcg@20_power=0.5"} <= set(report)
    assert model.rating_power == report["rating_power"]
    _, weights, _ = data.histories(0, model.rating_power)
    np.testing.assert_allclose(np.sort(model.histories.item_weights.numpy()), np.sort(weights),
                               rtol=1e-6)
    fixed = train_multi_agent(tiny_config(rating_power=1.0), data, text)
    assert fixed.settings["rating_weights"] == {"rating_power": 1.0}
    _, weights, _ = data.histories(0, 1.0)
    np.testing.assert_allclose(np.sort(fixed.model.histories.item_weights.numpy()),
                               np.sort(weights), rtol=1e-6)


def test_the_closed_forms_fit_on_the_models_rating_power():
    from rec_model.multi_agent_model import MultiAgentModel

    data, text = make_data(ratings=True)
    model = MultiAgentModel(tiny_config(), data.num_users, data.num_items, text.shape[1])
    for power in (0.0, 1.0):
        model.rating_power = power
        ctx = trainer.fit_context(model, data, text)
        np.testing.assert_allclose(ctx.matrix.toarray(), data.matrix(power).toarray())


def test_gate_report_compares_agents_blend_and_gate(trained):
    gate = trained[0].gate
    names = ModelConfig().agents
    assert {f"agent:{n}" for n in names} | {f"coefficient:{n}" for n in names} <= set(gate)
    assert gate["static"] >= max(gate[f"agent:{n}"] for n in names)
    assert {"held_out_static", "held_out_gate", "per_user_gate_kept"} <= set(gate)
    kept = auto_settings.earns_its_cost(gate["held_out_gate"], gate["held_out_static"])
    assert gate["per_user_gate_kept"] == float(kept)
    # A gate not kept is the static blend: a zero kernel, the same weights for every user.
    assert np.any(trained[0].model.gate.mix.kernel.numpy() != 0) == kept
    assert sum(gate[f"coefficient:{n}"] for n in names) > 0


@pytest.mark.parametrize("gain,kept", [(0.001, False), (0.01, True)])
def test_a_per_user_gate_is_kept_only_past_the_margin(monkeypatch, gain, kept):
    model, validation = held_out_validation(*make_data())  # its own model: the gate changes
    arrays = gate_fit.candidate_arrays(model, validation)
    learned, static = object(), object()  # the held-out scores of the gate and of the blend
    real_metric = gate_fit.metric
    monkeypatch.setattr(trainer, "_gate_scores", lambda *_: learned)
    monkeypatch.setattr(trainer, "standardised_blend", lambda *_: static)
    fixed = {id(learned): 0.3 * (1 + gain), id(static): 0.3}
    monkeypatch.setattr(gate_fit, "metric", lambda scores, arrays: fixed.get(id(scores))
                        or real_metric(scores, arrays))
    report = trainer._fit_gate(model, arrays, lambda stage: [], 0, [])
    assert report["per_user_gate_kept"] == float(kept)
    assert np.any(model.gate.mix.kernel.numpy() != 0) == kept


def test_the_final_model_stores_every_interaction(trained):
    result, data, _ = trained
    model = result.model
    values, weights, splits = data.histories(0, model.rating_power)
    np.testing.assert_array_equal(model.histories.row_splits.numpy(), splits)
    np.testing.assert_array_equal(model.histories.values.numpy(), values)


def test_refit_replaces_histories_statistics_and_cold_items():
    data, text = make_data()
    model = fitted_model(data=data, text=text)
    smaller = data.subset(data.item_index != 0)  # item 0 becomes cold
    refit(model, smaller, text)
    values, _, splits = smaller.histories(0, model.rating_power)
    np.testing.assert_array_equal(model.histories.values.numpy(), values)
    np.testing.assert_array_equal(model.histories.row_splits.numpy(), splits)
    np.testing.assert_allclose(model.item_stats.log_popularity.numpy(),
                               np.log1p(smaller.item_counts()))
    content = model.agents[model.agent_names.index("content")]
    assert 0 in content.cold_ids.numpy().tolist()
    assert 0 not in model.popular.numpy().tolist()


def _top_items(model, users, k=5) -> np.ndarray:
    index = tf.constant(users, tf.int32)
    seen, _ = model.histories.rows(index)
    return model.recommend_indices(model.users(index), tf.constant(k), seen, seen)[0].numpy()


def test_refit_leaves_agents_muted_with_their_retrieval_as_they_were(monkeypatch):
    data, text = make_data()
    smaller = data.subset(data.item_index != 0)
    expected = fitted_model(data=smaller, text=text)  # every agent fitted on `smaller`
    model = fitted_model(data=data, text=text)
    silent = ["cf", "content", "hybrid"]
    for m in (expected, model):
        gate_fit.set_static_gate(m.gate, [0.0, 0.0, 1.0, 1.0, 0.0])
        m.mute(silent, retrieval=True)
    fitted = []
    for agent in model.agents:
        monkeypatch.setattr(agent, "fit", lambda ctx, f=agent.fit, n=agent.name:
                            fitted.append(n) or f(ctx))
    settings = refit(model, smaller, text)
    assert fitted == list(settings) == ["history", "spectral"]
    np.testing.assert_array_equal(_top_items(model, range(10)), _top_items(expected, range(10)))
    model.mute(silent, retrieval=False)  # still retrieving: every agent's state is read
    fitted.clear()
    refit(model, smaller, text)
    assert fitted == model.agent_names
    model.mute(["cf", "content", "history", "spectral"], retrieval=True)
    fitted.clear()
    refit(model, smaller, text)
    # Hybrid reads the user states of the factor agents before it: its peers are refitted.
    assert fitted == ["cf", "content", "hybrid"]


def _factor_weights(model):
    return [v.numpy().copy() for a in model.agents if a.gradient_trained
            for v in a.trainable_weights]


def test_the_last_pass_trains_the_kept_factor_agents_on_all_data_and_keeps_alpha():
    data, text = make_data()
    model = fitted_model(data=data, text=text)
    model.set_stage("pairs")
    alpha, before, logs = model.alphas(), _factor_weights(model), []
    stages = []
    refit(model, data, text, train=lambda m, d: last_pass(
        m, d, tf.keras.optimizers.Adam(0.01), 1, lambda s: stages.append(s) or [], logs))
    assert stages == [LAST_PASS_STAGE] and [r["stage"] for r in logs] == [LAST_PASS_STAGE]
    assert np.isfinite(logs[0]["loss"])
    assert model.alphas() == alpha and model.weighting.trainable
    after = _factor_weights(model)
    assert before and any(not np.array_equal(b, a) for b, a in zip(before, after))
    # The serving tables are rebuilt from the trained weights.
    assert all(a.frozen for a in model.agents if a.gradient_trained)


def test_the_last_pass_is_skipped_when_the_gate_muted_every_factor_agent():
    data, text = make_data()
    model = fitted_model(data=data, text=text)
    model.mute([a.name for a in model.agents if a.gradient_trained])
    before, logs = _factor_weights(model), []
    last_pass(model, data, tf.keras.optimizers.Adam(0.01), 1, lambda s: [], logs)
    assert logs == []
    assert all(np.array_equal(b, a) for b, a in zip(before, _factor_weights(model)))
    last_pass(fitted_model(data=data, text=text), data, None, 1, lambda s: [], logs)
    assert logs == []  # no pairs stage ran, so there is no optimizer state to continue


def test_bad_text_and_vocabulary_mismatches_are_rejected():
    data, text = make_data()
    with pytest.raises(ValueError, match=r"text embeddings must be \[24, dim\]"):
        train_multi_agent(tiny_config(), data, text[:5])
    small = Interactions(data.user_index[:6], data.item_index[:6], 1, NUM_ITEMS)
    with pytest.raises(ValueError, match="vocabulary sizes differ"):
        train_multi_agent(tiny_config(), small, text, initial_model=fitted_model())


def test_training_without_a_validation_slice_skips_the_gate():
    data, text = make_data()
    result = train_multi_agent(tiny_config(agents=("cf", "history"), gate_share=0.0), data, text)
    assert result.gate == {} and [r["stage"] for r in result.epochs] == ["pairs"]
    assert result.settings["history"]["l2"] > 0  # the grid's middle value
    assert np.isfinite(result.epochs[0]["loss"])


def test_a_history_only_model_trains():
    data, text = make_data()
    result = train_multi_agent(tiny_config(agents=("history",)), data, text)
    assert result.model.agent_names == ["history"]


def test_silent_agents_are_muted_and_their_retrieval_only_when_the_slice_agrees(fitted):
    model, validation = held_out_validation(*fitted[1:])
    arrays = gate_fit.candidate_arrays(model, validation)
    gate_fit.set_static_gate(model.gate, [1.0, 0.0, 1.0, 0.0, 0.0])  # cf, content, history, ...
    report = mute_silent_agents(model, arrays, validation)
    silent = {model.agent_names[i] for i in (1, 3, 4)}
    assert model.muted == silent and {k for k in report if k.startswith("muted:")} == {
        f"muted:{name}" for name in silent}
    keeps_score = (report["validation_with_muted_retrieval"]
                   >= report["validation_with_all_retrieval"])
    assert model.muted_retrieval == keeps_score == bool(report["muted_retrieval"])
    gate_fit.set_static_gate(model.gate, [1.0] * 5)
    model.mute(())
    assert mute_silent_agents(model, arrays, validation) == {} and not model.muted


def test_the_pairs_optimizer_follows_the_vocabulary_sizes():
    def chosen(users, items, **config):
        return _optimizer(SimpleNamespace(config=ModelConfig(**config), num_users=users,
                                          num_items=items))

    assert isinstance(chosen(10 ** 6, 10 ** 5), LazyAdam)
    small = chosen(943, 1682)
    assert type(small) is tf.keras.optimizers.Adam
    assert isinstance(chosen(943, 1682, optimizer="lazy_adam"), LazyAdam)


def test_every_training_pipeline_runs_without_the_autotuner(monkeypatch):
    # The autotuner's thread makes deleting a long-lived iterator wait out its sleep.
    tuned, fit = [], tf.keras.Model.fit

    def recording_fit(self, x=None, *args, validation_data=None, **kwargs):
        tuned.extend(d.options().autotune.enabled for d in (x, validation_data) if d is not None)
        return fit(self, x, *args, validation_data=validation_data, **kwargs)

    monkeypatch.setattr(tf.keras.Model, "fit", recording_fit)
    data, text = make_data()
    train_multi_agent(tiny_config(epochs=2), data, text)
    # Pairs, their validation and the gate; unset (None) would mean the autotuner's default.
    assert len(tuned) >= 3 and all(enabled is False for enabled in tuned)


def test_a_model_judged_on_later_interactions_weighs_the_chosen_latest_ones_more():
    data = drifting_tastes()
    text = np.random.default_rng(0).normal(size=(data.num_items, 4)).astype(np.float32)
    config = tiny_config(agents=("history",), neighbours=0, gate_share=0.1)
    timed = train_multi_agent(config, data, text, split_in_time=True)
    report = timed.settings["recency"]
    chosen = (report["half_life"], report["boost"])
    assert chosen != recency.NONE and timed.model.recency == chosen
    _, weights, splits = data.histories(0, timed.model.rating_power)
    np.testing.assert_allclose(timed.model.histories.item_weights.numpy(),
                               recency.weighted(weights, splits, *chosen), rtol=1e-6)
    plain = train_multi_agent(config, data, text)
    assert plain.settings["recency"] == {"half_life": 0.0, "boost": 0.0}
    np.testing.assert_allclose(plain.model.histories.item_weights.numpy(), weights)
