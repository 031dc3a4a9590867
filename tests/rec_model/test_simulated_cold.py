import numpy as np
import pytest
import scipy.sparse as sp
import tensorflow as tf

from rec_model import features as F
from rec_model import gate_fit, simulated_cold
from rec_model.agents.base import FactorAgent
from rec_model.closed_forms.cold_items import impute_rows
from tests.rec_model.synthetic import held_out_validation


def _simulated(fitted):
    model, data, text = fitted
    return model, text, simulated_cold.simulate(model, text, data.item_counts())


def test_nothing_is_simulated_when_every_item_has_interactions(fitted):
    model, data, text = fitted
    assert simulated_cold.simulate(model, text, np.full(data.num_items, 3)) is None
    assert simulated_cold.draws(model, text, np.full(data.num_items, 3)) == []


def test_no_draws_when_the_cold_items_look_like_chance_misses_of_a_sample(fitted):
    model, data, text = fitted
    counts = np.full(data.num_items, 5)
    counts[:6], counts[6:10], counts[10] = 1, 2, 0  # 1 unseen where chance leaves 4.5
    assert simulated_cold.draws(model, text, counts) == []
    counts[10:15] = 0  # 5 unseen: more than chance
    assert len(simulated_cold.draws(model, text, counts)) == simulated_cold.DRAWS


def test_simulated_items_are_warm_and_borrow_from_other_warm_items(fitted):
    model, text, simulated = _simulated(fitted)
    counts = fitted[1].item_counts()
    chosen = np.flatnonzero(simulated.row_of >= 0)
    assert chosen.size >= 1 and np.all(counts[chosen] > 0)
    np.testing.assert_allclose(simulated.weights.sum(axis=1), 1.0, rtol=1e-5)
    used = simulated.neighbours[simulated.weights > 0]
    assert np.all(counts[used] > 0) and not np.isin(used, chosen).any()
    assert len(simulated.scales) == len(model.agents)


def test_draws_make_different_items_cold_and_score_each_in_the_gate_arrays(fitted):
    _, data, text = fitted
    model, validation = held_out_validation(data, text)
    found = simulated_cold.draws(model, text, data.item_counts())
    assert len(found) == simulated_cold.DRAWS
    chosen = [frozenset(np.flatnonzero(d.row_of >= 0)) for d in found]
    assert len(set(chosen)) > 1
    arrays = gate_fit.candidate_arrays(model, validation, found)
    plain = arrays[F.AGENT_CANDIDATE_SCORES]
    assert arrays[gate_fit.SIMULATED].shape == plain.shape + (len(found),)
    new = arrays[gate_fit.NEW_ITEMS]
    assert new.shape == plain.shape[:2] + (len(found),) and new.any()
    changed = (arrays[gate_fit.SIMULATED] != plain[..., None]).any(axis=2)
    assert np.all(new[changed])  # every score a draw changed is one of its new items
    slices = gate_fit.views(arrays)
    assert len(slices) == len(found)
    for view, draw in zip(slices, range(len(found))):
        np.testing.assert_array_equal(view[F.AGENT_CANDIDATE_SCORES],
                                      arrays[gate_fit.SIMULATED][..., draw])
        np.testing.assert_array_equal(view[gate_fit.NEW_ITEMS], new[..., draw])


def test_made_cold_marks_the_drawn_items_and_never_padding():
    simulated = simulated_cold.SimulatedCold(np.array([-1, 0, -1, 1]), np.zeros((2, 1)),
                                             np.ones((2, 1)), [None])
    ids = np.array([[3, 0, -1], [1, 2, 3]])
    np.testing.assert_array_equal(simulated_cold.made_cold(ids, simulated),
                                  [[True, False, False], [True, False, True]])


def _mixing(simulated, num_items):
    chosen = np.flatnonzero(simulated.row_of >= 0)
    columns = np.repeat(chosen, simulated.neighbours.shape[1])
    return sp.csr_matrix((simulated.weights.ravel().astype(np.float64),
                          (simulated.neighbours.ravel(), columns)), shape=(num_items,) * 2)


def test_simulated_scores_are_the_agents_own_imputation_of_those_items(fitted):
    model, text, simulated = _simulated(fitted)
    users = model.users(tf.range(6))
    states = model.states(users)
    every_item = np.tile(np.arange(model.num_items), (6, 1))
    every = model.agent_scores(states, tf.constant(every_item)).numpy()
    ids = every_item.copy()
    ids[:, -1] = -1  # padding stays as it is
    warm = np.where(ids[..., None] >= 0, every, 0.0).astype(np.float32)
    out = simulated_cold.scores(model, states, ids, warm, simulated)
    chosen = np.flatnonzero(simulated.row_of >= 0)
    others = np.setdiff1d(np.arange(model.num_items - 1), chosen)
    np.testing.assert_array_equal(out[:, others], warm[:, others])
    mixing = _mixing(simulated, model.num_items)
    for a, agent in enumerate(model.agents):
        got = out[:, chosen, a]
        if simulated.scales[a] is None:  # text alone: a cold item scores as it does now
            np.testing.assert_array_equal(got, warm[:, chosen, a])
        elif isinstance(agent, FactorAgent):
            rows = impute_rows(agent.item_table().numpy(), mixing)[chosen]
            want = states[agent.name].numpy() @ rows.T
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
        else:
            mixed = (every[:, simulated.neighbours[simulated.row_of[chosen]], a]
                     * simulated.weights[simulated.row_of[chosen]]).sum(-1)
            np.testing.assert_allclose(got, mixed * simulated.scales[a][simulated.row_of[chosen]],
                                       rtol=1e-4, atol=1e-6)
    assert not np.allclose(out[:, chosen], warm[:, chosen])


def _arrays(simulated: bool):
    """Agent 0 finds the plain slice's items, agent 1 the simulated slice's."""
    rng = np.random.default_rng(0)
    labels = np.zeros((50, 10), np.float32)
    labels[:, 0] = 1.0
    scores = rng.normal(size=(50, 10, 2)).astype(np.float32)
    cold = scores.copy()
    scores[:, 0, 0] += 3.0
    cold[:, 0, 1] += 3.0
    arrays = {F.AGENT_CANDIDATE_SCORES: scores, F.CANDIDATE_MASK: np.ones((50, 10), bool),
              F.CANDIDATE_LABELS: labels, "targets": np.ones(50, np.int64)}
    if simulated:
        arrays[gate_fit.SIMULATED] = cold[..., None]
        arrays[gate_fit.NEW_ITEMS] = np.zeros((50, 10, 1), bool)
    return arrays


@pytest.mark.parametrize("simulated,leader", [(False, 0), (True, 1)])
def test_the_blend_is_chosen_on_the_simulated_slices_when_there_are_any(simulated, leader):
    slices = gate_fit.views(_arrays(simulated))
    assert len(slices) == 1 and gate_fit.SIMULATED not in slices[0]
    coef, report = gate_fit.fit_static_blend(slices, ["a", "b"])
    assert int(np.argmax(coef)) == leader
    assert report["static"] >= max(report["agent:a"], report["agent:b"])


def test_training_reports_its_draws_when_the_data_holds_new_items(trained):
    result = trained[0]
    assert result.gate["simulated_cold_draws"] == simulated_cold.DRAWS
    assert result.gate["new_item_exposure"] >= result.gate["new_item_exposure_most_accurate"]
