"""glibc malloc settings for processes that call a model on large batches.

A `recommend` call on a few hundred users allocates temporaries of tens of MB (for catalogues
below `rec_model.auto_settings`' whole-catalogue limit, [batch, items] sums and counts). With
glibc's defaults each such block is taken from the kernel and given back on every call, and
zeroing the fresh pages cost more than the arithmetic: at size M of the scale protocol (20,000
items) batch scoring took 1.9M page faults and 12.4-13.8 s where the settings below take 0.31M
and 9.3-9.7 s (same output). The price is that up to `TRIM_THRESHOLD` of freed memory stays
with the process for reuse instead of going back to the kernel. Only processes that do nothing
else should set them (batch-scoring workers): a trainer with them ran its closed-form fits
1.2-1.4x faster but its pair training 1.05-1.9x slower, and the pipeline runs its evaluator in
the same process as the next run's trainer (`bench/results/scale_trainer_malloc.md`).
"""

import ctypes
import functools
import logging

# Blocks up to this size come from malloc's arenas (reused) instead of fresh mmap calls.
MMAP_THRESHOLD = 256 << 20
# Freed memory kept by an arena before its top is given back to the kernel.
TRIM_THRESHOLD = 1 << 30
# mallopt(3) parameter numbers of glibc's <malloc.h>.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


@functools.cache
def keep_freed_memory() -> bool:
    """Applies `MMAP_THRESHOLD` and `TRIM_THRESHOLD` to this process once; returns whether
    glibc took them (False elsewhere, e.g. musl or macOS, where nothing changes).

    Process-wide: call it from a process's entry point or a worker's model loading, not
    from library code that other programs import.
    """
    libc = ctypes.CDLL(None)  # The symbols already loaded: no library search at start-up.
    if not hasattr(libc, "gnu_get_libc_version"):  # mallopt's numbers are glibc's.
        return False
    mallopt = libc.mallopt
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    done = (mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
            and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1)
    logging.getLogger(__name__).debug("malloc thresholds set: %s", done)
    return done
