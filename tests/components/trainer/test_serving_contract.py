"""End to end: the trained export, served by serving/'s server, answers gRPC and REST clients."""

import shutil

import pytest

from components.trainer.canonical_inputs import inputs_from_canonical
from components.trainer.config import TrainerConfig
from components.trainer.train import train_and_export
from serving.client import RecommendClient, ServingError
from serving.launcher import start_model_server
from tests.components.trainer import helpers


@pytest.mark.slow
def test_exported_model_answers_grpc_recommend(tmp_path):
    data, emb = helpers.synthetic_folder(str(tmp_path))
    inputs = inputs_from_canonical(data, emb)
    train_and_export(inputs, str(tmp_path / "model"), str(tmp_path / "run"),
                     helpers.tiny_model_config(epochs=1), TrainerConfig())
    base = tmp_path / "serving" / "recsys"
    base.mkdir(parents=True)
    shutil.copytree(tmp_path / "model" / "Format-Serving", base / "1")
    user, liked = inputs.user_ids[0], inputs.item_ids[0]
    with start_model_server(str(base), "recsys", binary="python") as server:
        server.wait_until_available(timeout=180)
        with RecommendClient(server.grpc_target, "recsys") as client:
            rows = client.recommend([user, "stranger"], k=5, history=[[], [liked]])
            assert len(rows) == 2 and all(len(r["item_ids"]) == 5 for r in rows)
            assert list(rows[0]["agent_names"]) == ["cf", "content", "history", "spectral",
                                                    "hybrid"]
            assert liked not in rows[1]["item_ids"]
            scores = client.score([user], [rows[0]["item_ids"]])
            assert len(scores) == 1
            with pytest.raises(ServingError):
                client.recommend([user], k=len(inputs.item_ids) + 1)
        # The server runs the version in a v1 Session (TF Serving's way): same answers as the
        # TF2 loader's signature in process.
        import numpy as np
        import tensorflow as tf

        loaded = tf.saved_model.load(str(base / "1"))
        want = loaded.signatures["recommend"](user_id=tf.constant([user]), k=tf.constant(5),
                                              history=tf.constant([[""]]),
                                              exclude=tf.constant([[""]]))
        assert [i.decode() for i in want["item_ids"].numpy()[0]] == list(rows[0]["item_ids"])
        np.testing.assert_allclose(want["scores"].numpy()[0], rows[0]["scores"], rtol=1e-5,
                                   atol=1e-6)
        rest = RecommendClient(server.rest_url.replace("http://", "").rstrip("/"), "recsys",
                               protocol="rest")
        assert [r["item_ids"] for r in rest.recommend([user], k=5)] == [list(rows[0]["item_ids"])]
