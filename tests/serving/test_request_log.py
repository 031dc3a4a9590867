"""RequestLogger: one JSON line per record, size rotation, fsync policies."""

import threading

import pytest

from serving.request_log import RequestLogger, new_request_id, read_request_log


def test_lines_rotation_and_reading_back(tmp_path):
    logger = RequestLogger(tmp_path, max_bytes=2048, fsync="always")
    records = [{"request_id": new_request_id(), "user_ids": [f"u{i}"], "item_ids": [["i1", "i2"]]}
               for i in range(60)]
    threads = [threading.Thread(target=logger.log, args=(r,)) for r in records]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    logger.close()
    files = sorted(tmp_path.glob("requests-*.jsonl"))
    assert len(files) > 1 and all(f.stat().st_size < 2048 + 200 for f in files)
    back = list(read_request_log(tmp_path))
    assert sorted(r["request_id"] for r in back) == sorted(r["request_id"] for r in records)
    with pytest.raises(ValueError, match="closed"):
        logger.log({"x": 1})


def test_bad_settings():
    with pytest.raises(ValueError, match="fsync policy"):
        RequestLogger("/tmp/unused-recsys-log", fsync="sometimes")
    with pytest.raises(ValueError, match="max_bytes"):
        RequestLogger("/tmp/unused-recsys-log", max_bytes=10)
