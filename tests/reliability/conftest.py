"""Fixtures of the reliability suite: stand-in model versions and a model-server process."""

import shutil

import pytest

from tests.reliability import server_helpers as H


@pytest.fixture(scope="session")
def standin_pool(tmp_path_factory):
    """Stand-in SavedModels, one per version 1..5 (seed = version, so versions differ)."""
    from serving.testing import export_standin

    pool = tmp_path_factory.mktemp("standin_pool")
    return {v: export_standin(pool / str(v), version=v, seed=v) for v in range(1, 6)}


@pytest.fixture(scope="session")
def served(tmp_path_factory, standin_pool):
    """A `python -m serving` process serving version 1 as model "m" with a 1 MiB request limit.

    Also holds a valid SavedModel *outside* the base path (`secret`), which no request may reach.
    """
    from serving.launcher import start_model_server

    root = tmp_path_factory.mktemp("served")
    base = root / "models" / "m"
    base.mkdir(parents=True)
    H.push_version(standin_pool[1], base, 1)
    secret = root / "secret"
    secret.mkdir()
    shutil.copytree(standin_pool[2], secret / "1")
    handle = start_model_server(base, H.MODEL, binary="python", log_path=root / "server.log",
                                extra_flags=[f"--max_request_bytes={H.MAX_REQUEST_BYTES}",
                                             "--file_system_poll_wait_seconds=0",
                                             f"--feedback_log_dir={root / 'feedback'}"])
    with handle:
        handle.wait_until_available(timeout=180)
        handle.root, handle.base, handle.secret = root, base, secret
        yield handle
