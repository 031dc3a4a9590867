"""Drops the CUDA stub's start-up notices from TensorFlow's import on a machine without a GPU.

TensorFlow's CUDA stub logs "Could not find cuda drivers on your machine" (and absl's
"All log messages before absl::InitializeLog() ..." above it) while it is imported, before
its logging honours TF_CPP_MIN_LOG_LEVEL, and the first device enumeration logs "failed call
to cuInit" at error level, so every `recsys` command that used TensorFlow printed five such
lines (and every Beam worker process and model server a command starts: they install it
too). `install()` wraps the first import of TensorFlow, whichever module asks for it and
whenever: it runs, followed by the device enumeration (which leaves the runtime's threading
and device settings open), with the process's stderr (fd 2, which the native code writes to)
sent to a temporary file, and afterwards every line but those notices is written to stderr
again. The cuInit failure is dropped only beside the stub's "no cuda drivers" notice: on a
machine with drivers it is news. Commands that never use TensorFlow never import it.

Where TensorFlow turns its oneDNN operations on (x86 CPUs), the import also says so (twice),
and the first graph optimised with an int64 transpose in it (a tokenizer's, the `recommend`
signature's) logs at error level that oneDNN leaves int64 to Eigen, once per process: the
wrapped import optimises such a graph of one node in a private session, inside the capture.
"""

import contextlib
import importlib.abc
import importlib.util
import os
import re
import sys
import tempfile

# Only the notices of a CPU-only start-up; anything else TensorFlow prints is passed on.
NO_DRIVERS = re.compile(r"cudart_stub\.cc:\d+\] Could not find cuda drivers")
NOTICE = re.compile(r"absl::InitializeLog\(\) is called are written to STDERR|"
                    r"port\.cc:\d+\] oneDNN custom operations are on\. |"
                    r"util\.cc:\d+\] oneDNN supports DT_INT64 only on platforms with AVX-512|"
                    + NO_DRIVERS.pattern)
CUINIT_FAILED = re.compile(r"cuda_platform\.cc:\d+\] failed call to cuInit")


def without_notices(text: str) -> str:
    """`text` without its lines that are CUDA-stub start-up notices (and, when the stub found
    no drivers, the cuInit failure that follows from it)."""
    no_drivers = NO_DRIVERS.search(text) is not None
    return "".join(line for line in text.splitlines(keepends=True)
                   if not NOTICE.search(line)
                   and not (no_drivers and CUINIT_FAILED.search(line)))


@contextlib.contextmanager
def _notices_dropped():
    """Within: fd 2 goes to a temporary file; on exit its text, notices left out, is written
    to stderr."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            sys.stderr.write(without_notices(capture.read().decode("utf-8", "replace")))
            sys.stderr.flush()


def _log_onednn_int64_notice(tf) -> None:
    """Where oneDNN is on, runs a one-node graph with an int64 transpose in a private session
    (about 20 ms), so that TensorFlow's once-a-process notice about int64 is logged now.

    A session of its own leaves the eager runtime unconfigured (threads, collectives can still
    be set); it runs with the default thread counts (see below). Failing here must never fail
    the import: another build may lack these modules.
    """
    try:
        # pylint: disable-next=import-outside-toplevel,no-name-in-module
        from tensorflow.python.util import _pywrap_util_port

        if not _pywrap_util_port.IsMklEnabled():
            return
        graph = tf.Graph()
        with graph.as_default():
            ids = tf.compat.v1.placeholder(tf.int64, [None, None])
            flipped = tf.transpose(ids)
        # TensorFlow's default thread counts: oneDNN keeps settings of the first threads it
        # runs on, and a one-thread session here held the process's later oneDNN work (the
        # text embedder's) to about one core of two.
        config = tf.compat.v1.ConfigProto(use_per_session_threads=True)
        with tf.compat.v1.Session(graph=graph, config=config) as session:
            session.run(flipped, {ids: [[0]]})
    except Exception:  # pylint: disable=broad-except
        pass


class _QuietLoader(importlib.abc.Loader):
    """TensorFlow's own loader, its module body run inside `_notices_dropped`."""

    def __init__(self, loader):
        self._loader = loader

    def __getattr__(self, name):  # resource readers, is_package, ... of the real loader
        return getattr(self._loader, name)

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        with _notices_dropped():
            self._loader.exec_module(module)
            # Enumerating devices (0.7 ms) logs the cuInit failure now, inside the capture,
            # and unlike creating the runtime it still lets threads and devices be configured.
            module.config.list_physical_devices()
            _log_onednn_int64_notice(module)


class _QuietFinder(importlib.abc.MetaPathFinder):
    """Finds `tensorflow` once, as the other finders would, with `_QuietLoader` around it."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)  # one import to wrap; the lookup below skips this finder
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


def install() -> None:
    """Drops the notices from this process's first import of TensorFlow (no import now)."""
    if "tensorflow" in sys.modules or any(isinstance(f, _QuietFinder) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _QuietFinder())
