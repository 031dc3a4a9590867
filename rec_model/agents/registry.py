"""The agent registry: name -> class. Adding an agent is one file and one line here.

Order matters only where an agent reads its peers (the hybrid agent reads the factor
representations of the agents registered before it), so readers come last.
"""

import importlib

_AGENTS = {
    "cf": "rec_model.agents.cf_agent:CollaborativeAgent",
    "content": "rec_model.agents.content_agent:ContentAgent",
    "history": "rec_model.agents.history_agent:HistoryAgent",
    "spectral": "rec_model.agents.spectral_agent:SpectralAgent",
    "hybrid": "rec_model.agents.hybrid_agent:HybridAgent",
}
AGENT_NAMES = tuple(_AGENTS)


def agent_class(name: str):
    """The Agent subclass registered as `name` (imported on first use)."""
    if name not in _AGENTS:
        raise ValueError(f"unknown agent {name!r}; registered agents: {AGENT_NAMES}")
    module, cls = _AGENTS[name].split(":")
    return getattr(importlib.import_module(module), cls)
