import os

import ml_metadata as mlmd
from ml_metadata.proto import metadata_store_pb2
from tfx.orchestration import metadata
from tfx.orchestration.local.local_dag_runner import LocalDagRunner

from tests.components import testdata
from tfx_pipeline import local_runner, pipeline
from tfx_pipeline.config import PipelineConfig


def _executions(store):
    return store.get_executions()


def test_pipeline_runs_and_rerun_is_served_from_cache(tmp_path):
    data = testdata.write_small_folder(str(tmp_path / "data"))
    root = str(tmp_path / "root")
    config = PipelineConfig(data, root, last_stage="transform")
    local_runner.run(config)
    store = mlmd.MetadataStore(metadata.sqlite_metadata_connection_config(
        os.path.join(root, "metadata.sqlite")))
    first = _executions(store)
    assert {e.last_known_state for e in first} == {metadata_store_pb2.Execution.COMPLETE}
    assert len(first) == 2
    examples = store.get_artifacts_by_type("Examples")
    assert any(a.custom_properties["rows_quarantined"].int_value == len(testdata.BAD_ROWS)
               for a in examples)

    local_runner.run(config)
    second = [e for e in _executions(store) if e.id not in {x.id for x in first}]
    assert len(second) == 2
    assert {e.last_known_state for e in second} == {metadata_store_pb2.Execution.CACHED}

    # New data under the same path: example_gen must run again.
    with open(os.path.join(data, "interactions.csv"), "a", encoding="utf-8") as f:
        f.write("u0,i1,1800000000,5\n")
    os.utime(os.path.join(data, "interactions.csv"),
             ns=(2_000_000_000_000_000_000, 2_000_000_000_000_000_000))
    local_runner.run(config)
    third = [e for e in _executions(store) if e.id not in {x.id for x in first + second}]
    assert {e.last_known_state for e in third} == {metadata_store_pb2.Execution.COMPLETE}


def test_create_pipeline_is_pure_and_wired(tmp_path):
    p = pipeline.create_pipeline(PipelineConfig(str(tmp_path / "missing"), str(tmp_path / "r"),
                                                last_stage="transform"))
    ids = [c.id for c in p.components]
    assert ids == ["example_gen", "transform"]
    assert not os.path.exists(str(tmp_path / "r"))
    assert p.components[1].inputs["examples"] is not None
