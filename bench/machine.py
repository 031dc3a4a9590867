"""What a bench results file says about the machine, and the CPU time a run used.

Timings from different machines differ by more than most changes do (the same code's serving
floor was 0.27 ms on one 2-core VM and 0.61 ms on another), so every results file names the
CPU model beside the core count.
"""

import os
import pathlib
import platform
import resource


def cpu_model(cpuinfo: str = "/proc/cpuinfo") -> str:
    """The CPU's model name ("AMD EPYC", "Intel(R) Xeon(R) ..."), or what `platform` knows."""
    try:
        for line in pathlib.Path(cpuinfo).read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and value.strip():
                return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def describe() -> str:
    """One line for a results file, e.g. "x86_64 2 cpus (AMD EPYC), python 3.11.2"."""
    return (f"{platform.machine()} {os.cpu_count()} cpus ({cpu_model()}), "
            f"python {platform.python_version()}")


def cpu_seconds() -> float:
    """User + system CPU seconds of this process so far (all its threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of another process so far (/proc/<pid>/stat fields 14, 15)."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
