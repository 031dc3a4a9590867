"""Runs a command while sampling the resident memory of its whole process tree.

`run_monitored` starts the command in its own session, timestamps every output line as it
arrives (for the pipeline's `[HH:MM:SS] > name` / `+ name 12.3s` progress lines) and samples
the summed VmRSS of the process and all its descendants every `interval` seconds, so Beam
workers and model servers started by a component count towards that component.
Summed RSS counts pages shared between processes once per process: it is an upper bound.
"""

import dataclasses
import os
import re
import signal
import subprocess
import threading
import time
from typing import Dict, List, Optional, Sequence, Tuple

_PAGE = os.sysconf("SC_PAGE_SIZE")
_START = re.compile(r"^\[(\d\d:\d\d:\d\d)\] > (\S+)\s*$")
_END = re.compile(r"^\[(\d\d:\d\d:\d\d)\] \+ (\S+) ([0-9.]+)s( \(cached\))?(:.*)?\s*$")


def _children_map() -> Dict[int, List[int]]:
    """parent pid -> child pids, from /proc/<pid>/stat (comm may hold spaces: split at ')')."""
    children: Dict[int, List[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:  # the process ended between listdir and open
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def tree_pids(pid: int) -> List[int]:
    """`pid` and all its descendants alive now."""
    children, out, todo = _children_map(), [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children.get(current, ()))
    return out


def rss_bytes(pid: int) -> int:
    """Resident bytes of one process (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss_bytes(pid: int) -> int:
    """Summed resident bytes of `pid` and its descendants."""
    return sum(rss_bytes(p) for p in tree_pids(pid))


class RssSampler:
    """Samples (time, tree RSS bytes, 1-min load) of a process tree on a daemon thread.

    Args:
        pid: root of the tree.
        interval: seconds between samples.
        max_rss: bytes; above it `on_exceed()` is called once (None = no limit).
        on_exceed: what to do then (e.g. kill the tree).
    """

    def __init__(self, pid: int, interval: float = 0.5, max_rss: Optional[int] = None,
                 on_exceed=None):
        self.pid, self.interval = pid, interval
        self.max_rss, self.on_exceed, self.exceeded = max_rss, on_exceed, False
        self.samples: List[Tuple[float, int, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        while not self._stop.is_set():
            self.samples.append((time.time(), tree_rss_bytes(self.pid), os.getloadavg()[0]))
            if self.max_rss and self.samples[-1][1] > self.max_rss and not self.exceeded:
                self.exceeded = True
                if self.on_exceed:
                    self.on_exceed()
            self._stop.wait(self.interval)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def peak(self, start: float = 0.0, end: Optional[float] = None) -> int:
        return peak_between(self.samples, start, end)


def peak_between(samples: Sequence[Tuple], start: float = 0.0, end: Optional[float] = None) -> int:
    """Largest RSS among samples with start <= t <= end; for a window shorter than the
    sampling period, the sample nearest to it (0 when there are no samples at all)."""
    end = float("inf") if end is None else end
    inside = [s[1] for s in samples if start <= s[0] <= end]
    if inside:
        return max(inside)
    middle = start if end == float("inf") else (start + end) / 2
    return min(samples, key=lambda s: abs(s[0] - middle))[1] if samples else 0


def rss_at(samples: Sequence[Tuple], when: float) -> int:
    """RSS of the last sample at or before `when` (the first sample if none is)."""
    before = [s for s in samples if s[0] <= when]
    return (before[-1] if before else samples[0])[1] if samples else 0


def load_summary(samples: Sequence[Tuple]) -> Dict[str, float]:
    """Mean and max of the 1-minute load average over the samples."""
    loads = [s[2] for s in samples]
    if not loads:
        return {"mean": None, "max": None}
    return {"mean": round(sum(loads) / len(loads), 2), "max": round(max(loads), 2)}


def parse_progress(lines: Sequence[Tuple[float, str]]) -> List[Dict]:
    """Component windows from timestamped progress lines.

    Args:
        lines: (arrival time, text) per output line.

    Returns:
        [{"name", "start", "end", "seconds", "cached", "finished"}] in start order; a component
        that started but never finished (a crash) has end = the last line's time,
        seconds = end - start and finished = False.
    """
    stages: Dict[str, Dict] = {}
    last = lines[-1][0] if lines else 0.0
    for arrived, text in lines:
        text = text.rstrip("\n")
        if match := _START.match(text):
            stages[match.group(2)] = {"name": match.group(2), "start": arrived, "end": None,
                                      "seconds": None, "cached": False, "finished": False}
        elif match := _END.match(text):
            stage = stages.setdefault(match.group(2), {"name": match.group(2), "start": arrived})
            stage.update(end=arrived, seconds=float(match.group(3)),
                         cached=bool(match.group(4)), finished=True)
    for stage in stages.values():
        if not stage["finished"]:
            stage.update(end=last, seconds=round(last - stage["start"], 1))
    return sorted(stages.values(), key=lambda s: s["start"])


@dataclasses.dataclass
class Monitored:
    """Outcome of `run_monitored`: return code (None = timed out), wall seconds, peak tree
    RSS bytes, timestamped output lines, RSS samples, the load during the run, and whether
    the tree was killed for exceeding `max_rss`."""

    returncode: Optional[int]
    seconds: float
    peak_rss: int
    lines: List[Tuple[float, str]]
    samples: List[Tuple[float, int, float]]
    load: Dict[str, float]
    killed_for_rss: bool = False

    def tail(self, n: int = 15) -> str:
        return "".join(text for _, text in self.lines[-n:])


def run_monitored(command: Sequence[str], log_path: str, env: Optional[Dict] = None,
                  cwd: Optional[str] = None, timeout: Optional[float] = None,
                  interval: float = 0.5, max_rss: Optional[int] = None) -> Monitored:
    """Runs `command`, tees its output (stderr merged) to `log_path`, samples its tree's RSS.

    Args:
        command: argv.
        log_path: every output line is appended here as it arrives.
        env / cwd: for the child.
        timeout: seconds after which the child's whole session is killed (None = no limit).
        interval: RSS sampling period in seconds.
        max_rss: bytes of tree RSS above which the session is killed (the machine is shared:
            better a recorded failure than the kernel's OOM killer picking someone else's job).
    """
    start = time.time()
    lines: List[Tuple[float, str]] = []
    with open(log_path, "a", encoding="utf-8") as log:
        log.write(f"$ {' '.join(command)}\n")
        log.flush()
        # Own session: on timeout we kill exactly the tree we started, nothing else.
        process = subprocess.Popen(list(command), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, env=env, cwd=cwd, text=True,
                                   errors="replace", bufsize=1, start_new_session=True)
        timer = None
        if timeout:
            timer = threading.Timer(timeout, lambda: _kill_session(process))
            timer.start()
        with RssSampler(process.pid, interval, max_rss,
                        lambda: _kill_session(process)) as sampler:
            for text in process.stdout:
                lines.append((time.time(), text))
                log.write(text)
                log.flush()
            code = process.wait()
        if timer is not None:
            timed_out = not timer.is_alive()
            timer.cancel()
            code = None if timed_out and code < 0 else code
    return Monitored(code, time.time() - start, sampler.peak(), lines, sampler.samples,
                     load_summary(sampler.samples), sampler.exceeded)


def _kill_session(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
