"""The machine line of bench results names the CPU model; CPU-second counters count work."""

import os
import subprocess
import sys
import time

from bench import machine


def test_the_cpu_model_is_read_from_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\n\n"
                    "processor\t: 1\nmodel name\t: AMD EPYC\n")
    assert machine.cpu_model(str(info)) == "AMD EPYC"


def test_without_cpuinfo_the_model_falls_back_to_platform(tmp_path):
    assert machine.cpu_model(str(tmp_path / "missing"))  # never empty


def test_describe_names_cores_cpu_and_python():
    line = machine.describe()
    assert f"{os.cpu_count()} cpus (" in line and "python 3." in line
    assert machine.cpu_model() in line


def test_cpu_seconds_grow_with_work_in_this_and_another_process():
    child = subprocess.Popen([sys.executable, "-c", "import sys; sum(range(30_000_000)); "
                              "sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        before = machine.cpu_seconds()
        sum(i * i for i in range(2_000_000))
        assert machine.cpu_seconds() > before
        for _ in range(200):  # the child's sum takes about a CPU-second
            if machine.process_cpu_seconds(child.pid) > 0.05:
                break
            time.sleep(0.05)
        assert machine.process_cpu_seconds(child.pid) > 0.05
    finally:
        child.communicate(b"")
