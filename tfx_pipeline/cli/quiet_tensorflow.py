"""Imports TensorFlow without the CUDA stub's start-up notices on a machine without a GPU.

TensorFlow's CUDA stub logs "Could not find cuda drivers on your machine" (and absl's
"All log messages before absl::InitializeLog() ..." above it) while it is imported, before
its logging honours TF_CPP_MIN_LOG_LEVEL, so every `recsys` command printed four such lines.
The import runs with the process's stderr (fd 2, which the native code writes to) sent to a
temporary file; afterwards every line but those notices is written to stderr again.
"""

import os
import re
import sys
import tempfile

# Only the notices of a CPU-only start-up; anything else TensorFlow prints is passed on.
NOTICE = re.compile(r"absl::InitializeLog\(\) is called are written to STDERR"
                    r"|cudart_stub\.cc:\d+\] Could not find cuda drivers")


def without_notices(text: str) -> str:
    """`text` without its lines that are CUDA-stub start-up notices."""
    return "".join(line for line in text.splitlines(keepends=True) if not NOTICE.search(line))


def import_tensorflow() -> None:
    """Imports TensorFlow (once) with the notices dropped from stderr."""
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            import tensorflow  # noqa: F401
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            sys.stderr.write(without_notices(capture.read().decode("utf-8", "replace")))
            sys.stderr.flush()
