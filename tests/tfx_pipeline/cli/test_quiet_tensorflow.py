"""TensorFlow's CUDA-stub notices are dropped at import; everything else on stderr stays."""

import os
import subprocess
import sys
import textwrap

from tfx_pipeline.cli import quiet_tensorflow

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__)))))
NOTICES = ("WARNING: All log messages before absl::InitializeLog() is called are written to "
           "STDERR\n",
           "I0000 00:00:1796357464.948980   15204 cudart_stub.cc:31] Could not find cuda "
           "drivers on your machine, GPU will not be used.\n")


def _run(code, pythonpath):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*pythonpath, ROOT]),
           "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=300, check=True)


def test_only_the_notices_are_dropped():
    text = "".join(NOTICES) + "E0000 something else went wrong\n" + NOTICES[1] + "tail"
    assert quiet_tensorflow.without_notices(text) == "E0000 something else went wrong\ntail"


def test_native_stderr_during_the_import_is_filtered_and_kept(tmp_path):
    fake = tmp_path / "tensorflow"
    fake.mkdir()
    (fake / "__init__.py").write_text(textwrap.dedent(f"""
        import os, sys
        for line in {NOTICES!r}:
            os.write(2, line.encode())
        os.write(2, b"native: a real problem\\n")
        print("python: a warning", file=sys.stderr)
    """))
    out = _run("from tfx_pipeline.cli import quiet_tensorflow as q\n"
               "q.import_tensorflow(); q.import_tensorflow()\n"
               "import os; os.write(2, b'after the import\\n')", [str(tmp_path)])
    assert out.stderr == "native: a real problem\npython: a warning\nafter the import\n"


def test_importing_the_real_tensorflow_prints_no_notice():
    out = _run("from tfx_pipeline.cli import quiet_tensorflow as q\n"
               "q.import_tensorflow()\nimport tensorflow as tf\nprint(tf.constant(2).numpy())",
               [])
    assert out.stdout.strip() == "2"
    assert "cudart_stub" not in out.stderr and "absl::InitializeLog" not in out.stderr
