"""The stand-in model (the protocol's latency floor) reads its tables as a brute force should."""

from serving import testing as standin
from tests.saved_model_graph import read_by_row_and_whole, table_reads


def test_the_floor_never_copies_its_item_table_per_request(tmp_path):
    path = str(standin.export_standin(tmp_path / "floor", 1, n_users=30, n_items=40, dim=8))
    reads = table_reads(path)
    assert any("ReadVariableOp" in ops for ops in reads.values())  # the brute-force scan
    assert read_by_row_and_whole(path) == {}
