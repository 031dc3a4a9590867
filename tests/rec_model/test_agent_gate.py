import numpy as np
import tensorflow as tf

from rec_model import gate_fit
from rec_model.agent_gate import AgentGate
from rec_model.users import USER_SIDE_FEATURES


def test_a_static_zero_coefficient_makes_an_agent_silent():
    gate = AgentGate(4)
    gate_fit.set_static_gate(gate, [1.0, 0.0, 0.5, 0.0])
    assert gate.silent_agents() == [1, 3]


def test_no_agent_is_silent_under_a_per_user_gate_or_before_fitting():
    assert AgentGate(3).silent_agents() == []  # never built
    gate = AgentGate(3)
    gate_fit.set_static_gate(gate, [1.0, 0.0, 1.0])
    kernel = np.zeros((USER_SIDE_FEATURES, 3), np.float32)
    kernel[0, 1] = 0.5  # the per-user gate can give agent 1 weight for some users
    gate.mix.kernel.assign(kernel)
    assert gate.silent_agents() == []
    gate.mix.kernel.assign(tf.zeros_like(gate.mix.kernel))
    gate.mix.bias.assign([0.0, 0.0, 0.0])
    assert gate.silent_agents() == []
