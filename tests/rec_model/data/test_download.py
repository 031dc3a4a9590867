"""Download with checksum, against a local http.server (never the internet)."""

import functools
import hashlib
import http.server
import threading
import urllib.error
import zipfile

import pytest

from rec_model.data import download


@pytest.fixture()
def served_zip(tmp_path):
    """A small ml-100k-shaped zip served on 127.0.0.1; yields (url, sha256)."""
    root = tmp_path / "www"
    root.mkdir()
    archive = root / "ml-100k.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ml-100k/u.data", "1\t1\t5\t881250949\n")
        zf.writestr("ml-100k/u.item", "1|Toy Story (1995)|x||y|0|1\n")
        zf.writestr("ml-100k/u.genre", "unknown|0\nAction|1\n")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/ml-100k.zip", hashlib.sha256(
            archive.read_bytes()).hexdigest()
    finally:
        server.shutdown()
        server.server_close()


def test_good_checksum_downloads_and_extracts(served_zip, tmp_path):
    url, digest = served_zip
    out = tmp_path / "data"
    raw = download.download_movielens_100k(str(out), url=url, sha256=digest.upper())
    assert raw == str(out / "ml-100k")
    assert (out / "ml-100k" / "u.data").read_text().startswith("1\t1\t5")
    assert download.sha256_of(str(out / "ml-100k.zip")) == digest
    # A second call re-uses the verified archive without fetching.
    assert download.download_movielens_100k(str(out), url=url + ".gone", sha256=digest) == raw


def test_bad_checksum_deletes_and_raises(served_zip, tmp_path):
    url, digest = served_zip
    out = tmp_path / "data"
    with pytest.raises(download.ChecksumError,
                       match=f"expected {'0' * 64}, got {digest}.*--sha256"):
        download.download_movielens_100k(str(out), url=url, sha256="0" * 64)
    assert list(out.iterdir()) == []


def test_missing_url_raises_and_leaves_nothing(served_zip, tmp_path):
    url, digest = served_zip
    out = tmp_path / "data"
    with pytest.raises(urllib.error.HTTPError):
        download.download_movielens_100k(str(out), url=url + ".missing", sha256=digest)
    assert list(out.iterdir()) == []


def test_unsafe_archive_is_refused(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../escape.txt", "x")
    with pytest.raises(ValueError, match="outside"):
        download._safe_extract(str(archive), str(tmp_path / "out"))
    assert not (tmp_path / "escape.txt").exists()


def test_pinned_checksum_is_a_sha256_hex():
    assert len(download.KNOWN_SHA256) == 64 and int(download.KNOWN_SHA256, 16) >= 0
    assert download.DEFAULT_URL.startswith("https://")
