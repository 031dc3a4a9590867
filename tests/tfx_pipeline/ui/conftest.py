"""Fixtures of the web app's tests: a fake pipeline root, a live stand-in model server, the app."""

import pytest


@pytest.fixture(scope="package")
def fake_base(tmp_path_factory):
    """`<base>/pipeline` (ML Metadata + artifacts), `data/`, logs and simulation report."""
    from tests.tfx_pipeline.ui.fake_root import write_fake_root

    base = tmp_path_factory.mktemp("ui")
    write_fake_root(str(base))
    return base


@pytest.fixture(scope="package")
def model_server(tmp_path_factory):
    """An in-process server of the stand-in model over gRPC (agent weights 1, so the
    contributions sum to the score as the serving contract says)."""
    import portpicker

    from serving.server import ModelServer
    from serving.server_options import ServerOptions
    from serving.testing import export_standin

    base = tmp_path_factory.mktemp("standin") / "m"
    export_standin(base, version=2, agent_weights=(1.0, 1.0))
    options = ServerOptions(
        port=portpicker.pick_unused_port(),
        rest_api_port=0,
        model_name="m",
        model_base_path=str(base),
        file_system_poll_wait_seconds=0,
    )
    with ModelServer(options) as server:
        server.target = f"127.0.0.1:{options.port}"
        yield server


@pytest.fixture(scope="package")
def ui(fake_base, model_server):
    """The app on a free loopback port over the fake root and the live stand-in."""
    from tfx_pipeline.ui.config import UiConfig
    from tfx_pipeline.ui.http_server import UiServer

    config = UiConfig(
        pipeline_root=str(fake_base / "pipeline"),
        server=model_server.target,
        model_name="m",
        port=0,
    )
    with UiServer(config).start() as server:
        yield server
