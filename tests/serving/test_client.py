"""RecommendClient over gRPC and REST, and the `recsys recommend` table."""

import numpy as np
import pytest

from rec_model import features as F
from serving.client import RecommendClient
from serving.errors import Code, ServingError
from tests.serving.conftest import call_reference, recommend_inputs


@pytest.fixture(params=["grpc", "rest"])
def client(request, server):
    port = server.grpc_port if request.param == "grpc" else server.rest_port
    with RecommendClient(f"127.0.0.1:{port}", "m", protocol=request.param) as c:
        yield c


def test_recommend_matches_in_process_model(client, reference):
    rows = client.recommend(["u0", "stranger"], k=6, history=[[], ["i1", "i2", "i3"]],
                            exclude=[["i7"], []])
    want = call_reference(reference, "recommend", **recommend_inputs(
        users=("u0", "stranger"), k=6, history=[["", "", ""], ["i1", "i2", "i3"]],
        exclude=[["i7"], [""]]))
    for i, row in enumerate(rows):
        assert row[F.ITEM_IDS] == [v.decode() for v in want[F.ITEM_IDS][i]]
        np.testing.assert_array_equal(np.float32(row[F.SCORES]), want[F.SCORES][i])
        np.testing.assert_array_equal(np.float32(row[F.AGENT_SCORES]), want[F.AGENT_SCORES][i])
        assert row[F.AGENT_NAMES] == ["collaborative", "popularity"]
    assert "i7" not in rows[0][F.ITEM_IDS]
    assert client.last_request_id and len(client.last_request_id) == 32


def test_score_status_metadata(client, reference):
    (row,) = client.score(["u2"], [["i0", "i5"]])
    want = call_reference(reference, "score", user_id=np.array([b"u2"], object),
                          item_ids=np.array([[b"i0", b"i5"]], object))
    np.testing.assert_array_equal(np.float32(row[F.SCORES]), want[F.SCORES][0])
    assert client.status() == [{"version": 1, "state": "AVAILABLE", "error_code": "OK",
                                "error_message": ""}]
    meta = client.metadata()
    assert meta["version"] == 1 and "recommend" in meta["signature_def"]


def test_errors_raise_serving_error_with_code(client, server):
    with pytest.raises(ServingError) as info:
        client.recommend(["u0"], k=0)
    assert info.value.code == Code.INVALID_ARGUMENT and "k must be >= 1" in info.value.message
    other = RecommendClient(client.target, "nope", protocol=client.protocol)
    with pytest.raises(ServingError) as info:
        other.status()
    assert info.value.code == Code.NOT_FOUND


def test_recommend_cli_prints_table(server, tmp_path, capsys):
    from tfx_pipeline.cli.main import main

    items = tmp_path / "items.csv"
    items.write_text("item_id,title\n" + "".join(f"i{i},Movie number {i}\n" for i in range(50)))
    code = main(["recommend", "--server", f"127.0.0.1:{server.grpc_port}", "--model-name", "m",
                 "--user", "u0", "--k", "4", "--history", "i1", "--items-csv", str(items)])
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("user u0  (request ")
    assert lines[1].split() == ["rank", "item_id", "title", "score", "collaborative", "popularity"]
    assert len(lines) == 3 + 4 and lines[3].split()[0] == "1" and "Movie number" in lines[3]


def test_recommend_cli_rest_json_and_error(server, capsys):
    import json

    from tfx_pipeline.cli.main import main

    assert main(["recommend", "--server", f"127.0.0.1:{server.rest_port}", "--model-name", "m",
                 "--user", "u1", "--k", "2", "--rest", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert len(payload["recommendations"][0]["item_ids"]) == 2
    assert main(["recommend", "--server", f"127.0.0.1:{server.grpc_port}", "--model-name", "m",
                 "--user", "u1", "--k", "999"]) == 1
    assert "catalogue size" in capsys.readouterr().err
