"""TensorFlow's CUDA-stub notices are dropped at its first import; everything else on stderr
stays, and nothing imports TensorFlow before someone asks for it."""

import os
import subprocess
import sys
import textwrap

import pytest

from serving import quiet_tensorflow

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__)))))
NOTICES = ("WARNING: All log messages before absl::InitializeLog() is called are written to "
           "STDERR\n",
           "I0000 00:00:1796357464.948980   15204 cudart_stub.cc:31] Could not find cuda "
           "drivers on your machine, GPU will not be used.\n")
ONEDNN = ("I0000 00:00:1796512896.676418    4674 port.cc:153] oneDNN custom operations are on. "
          "You may see slightly different numerical results due to floating-point round-off "
          "errors from different computation orders.\n",
          "E0000 00:00:1796512937.893951    4793 util.cc:131] oneDNN supports DT_INT64 only on "
          "platforms with AVX-512. Falling back to the default Eigen-based implementation if "
          "present.\n")
CUINIT = ("E0000 00:00:1796365692.435194   21105 cuda_platform.cc:52] failed call to cuInit: "
          "INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)\n")


def _run(code, pythonpath):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*pythonpath, ROOT]),
           "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=300, check=True)


def test_only_the_notices_are_dropped():
    text = "".join(NOTICES) + "E0000 something else went wrong\n" + NOTICES[1] + "tail"
    assert quiet_tensorflow.without_notices(text) == "E0000 something else went wrong\ntail"


def test_the_onednn_notices_are_dropped():
    assert quiet_tensorflow.without_notices("".join(ONEDNN) + "tail") == "tail"
    other = "E0000 00:00:1.0    4793 util.cc:131] oneDNN failed to create a primitive\n"
    assert quiet_tensorflow.without_notices(other) == other


def test_the_cuinit_failure_is_dropped_only_where_the_stub_found_no_drivers():
    assert quiet_tensorflow.without_notices("".join(NOTICES) + CUINIT + "tail") == "tail"
    assert quiet_tensorflow.without_notices(CUINIT + "tail") == CUINIT + "tail"


def test_native_stderr_during_the_import_is_filtered_and_kept(tmp_path):
    fake = tmp_path / "tensorflow"
    fake.mkdir()
    (fake / "__init__.py").write_text(textwrap.dedent(f"""
        import os, sys
        for line in {NOTICES!r}:
            os.write(2, line.encode())
        os.write(2, b"native: a real problem\\n")
        print("python: a warning", file=sys.stderr)

        class config:
            @staticmethod
            def list_physical_devices():
                os.write(2, {CUINIT!r}.encode())
    """))
    out = _run("from serving import quiet_tensorflow as q\n"
               "q.install(); q.install()\nimport tensorflow\n"
               "import os; os.write(2, b'after the import\\n')", [str(tmp_path)])
    assert out.stderr == "native: a real problem\npython: a warning\nafter the import\n"


def test_importing_the_real_tensorflow_prints_no_notice():
    out = _run("from serving import quiet_tensorflow as q\n"
               "q.install()\nimport tensorflow.compat.v1 as tf1\nimport tensorflow as tf\n"
               # The runtime's threads can still be set after the import's device listing.
               "tf.config.threading.set_intra_op_parallelism_threads(1)\n"
               "print(tf.constant(2).numpy(), tf1.__name__)", [])
    assert out.stdout.strip() == "2 tensorflow.compat.v1"
    for notice in ("cudart_stub", "absl::InitializeLog", "cuInit", "oneDNN"):
        assert notice not in out.stderr


def test_a_command_that_never_uses_tensorflow_never_imports_it(tmp_path):
    out = _run("import sys\nfrom tfx_pipeline.cli import main\n"
               f"rc = main.main(['data', 'synth', '--users', '20', '--items', '40', "
               f"'--interactions', '100', '--out', {str(tmp_path / 'synth')!r}])\n"
               "print(rc, 'tensorflow' in sys.modules)", [])
    assert out.stdout.strip().splitlines()[-1] == "0 False"


def test_tokenizing_with_the_text_embedder_prints_no_onednn_notice():
    # On CPUs with oneDNN on, the tokenizer's first graph logs an int64 notice at error level.
    out = _run("from serving import quiet_tensorflow as q\nq.install()\n"
               "from components.text_embedder.embedder import TextEmbedder\n"
               "print(TextEmbedder(sequence_length=8).tokenize(['Heat (1995)'])[2][0])", [])
    assert out.stdout.strip().splitlines()[-1] == "6"  # [CLS] heat ( 1995 ) [SEP]
    assert "oneDNN" not in out.stderr


def test_masking_pretraining_texts_prints_no_onednn_notice():
    # The domain pre-trainer's masked validation set: a tf.data map graph, not a tf.function.
    out = _run("from serving import quiet_tensorflow as q\nq.install()\n"
               "import keras_hub, tensorflow as tf\n"
               "from components.domain_pretrainer import pretrainer\n"
               "from components.text_embedder.backbones import validate_backbone\n"
               "tokenizer = keras_hub.models.BertTokenizer.from_preset(validate_backbone(None))\n"
               "prep = keras_hub.models.BertMaskedLMPreprocessor(tokenizer, sequence_length=8)\n"
               "_, val = pretrainer._datasets(tf, prep, ['Heat (1995)'], ['Up (2009)'], 2, 0)\n"
               "print(sum(1 for _ in val))", [])
    assert out.stdout.strip().splitlines()[-1] == "1"
    assert "oneDNN" not in out.stderr


def test_the_onednn_notice_session_leaves_the_default_threads(monkeypatch):
    # oneDNN keeps the thread setting of the first session it runs in for the whole process:
    # a one-thread session here would hold later oneDNN work (the text embedder's) to one core.
    import tensorflow as tf
    from tensorflow.python.util import _pywrap_util_port

    if not _pywrap_util_port.IsMklEnabled():
        pytest.skip("this TensorFlow build has oneDNN off: no notice session is run")
    configs, real_session = [], tf.compat.v1.Session

    def recording_session(*args, config=None, **kwargs):
        configs.append(config)
        return real_session(*args, config=config, **kwargs)

    monkeypatch.setattr(tf.compat.v1, "Session", recording_session)
    quiet_tensorflow._log_onednn_int64_notice(tf)
    assert len(configs) == 1
    assert configs[0].intra_op_parallelism_threads == 0  # 0: TensorFlow's default
    assert configs[0].inter_op_parallelism_threads == 0
