"""With `keep_freed_memory`, a process that allocates and frees the same large block over and
over reuses its pages instead of taking fresh zeroed ones from the kernel each time."""

import os
import platform
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# 40 MB: above glibc's largest self-tuned mmap threshold (32 MB), so by default every
# allocation of it is a fresh mapping.
CHURN = textwrap.dedent("""
    import resource, sys
    import numpy as np
    from serving import allocator
    applied = allocator.keep_freed_memory() if sys.argv[1] == "keep" else False
    np.ones(1 << 20)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):
        block = np.ones(5 << 20)
        del block
    print(applied, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
""")


def _page_faults(mode):
    env = {**os.environ, "PYTHONPATH": ROOT}
    done = subprocess.run([sys.executable, "-c", CHURN, mode], env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    applied, faults = done.stdout.split()
    return applied == "True", int(faults)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="thresholds are glibc's")
def test_freed_blocks_are_reused_instead_of_faulted_in_again():
    applied, kept = _page_faults("keep")
    _, default = _page_faults("default")
    assert applied
    assert kept * 5 < default, (kept, default)

