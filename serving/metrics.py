"""Prometheus metrics in the text exposition format 0.0.4, written by hand (no dependency).

Served at `GET /monitoring/prometheus/metrics` on the REST port. Names follow TF Serving's
(`:tensorflow:serving:request_count` ...), so its dashboards keep working:
- `:tensorflow:serving:request_count{model_name,status}` counter;
- `:tensorflow:serving:request_latency{model_name,API,entrypoint}` histogram, microseconds;
- `:tensorflow:serving:model_version{model_name}` gauge: newest served version;
- `:tensorflow:serving:model_load_seconds{model_name}` gauge: last load + warm-up time.
"""

import bisect
import threading

# Microsecond bucket bounds: 50 us .. 10 s, roughly x2 apart.
BUCKETS_US = (50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000,
              500000, 1000000, 2500000, 10000000)


def _labels(pairs) -> str:
    def esc(v):
        return str(v).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')

    return "{" + ",".join(f'{k}="{esc(v)}"' for k, v in pairs) + "}"


class Metrics:
    """Thread-safe request counters and latency histograms.

    Args:
        versions_fn: callable returning {model name: newest served version or None}.
    """

    def __init__(self, versions_fn=lambda: {}):
        self._versions_fn = versions_fn
        self._lock = threading.Lock()
        self._counts: dict = {}  # (model, status) -> n
        self._hist: dict = {}  # (model, api, entrypoint) -> [bucket counts..., sum, count]
        self._load_seconds: dict = {}

    def observe(self, model: str, api: str, entrypoint: str, status: str, seconds: float):
        """Records one finished request (`api` e.g. "predict", `entrypoint` "GRPC"/"REST")."""
        micros = seconds * 1e6
        with self._lock:
            key = (model, status)
            self._counts[key] = self._counts.get(key, 0) + 1
            hist = self._hist.setdefault((model, api, entrypoint), [0] * (len(BUCKETS_US) + 2))
            hist[bisect.bisect_left(BUCKETS_US, micros)] += 1
            hist[-2] += micros
            hist[-1] += 1

    def observe_load(self, model: str, version: int, seconds: float):
        """Records a model version load (used as the `on_load` callback of ModelManager)."""
        with self._lock:
            self._load_seconds[model] = seconds

    def render(self) -> str:
        """The text exposition of every metric."""
        with self._lock:
            counts, hists = dict(self._counts), {k: list(v) for k, v in self._hist.items()}
            loads = dict(self._load_seconds)
        out = ["# HELP :tensorflow:serving:request_count Requests by model and status.",
               "# TYPE :tensorflow:serving:request_count counter"]
        out += [":tensorflow:serving:request_count"
                f"{_labels([('model_name', m), ('status', s)])} {n}"
                for (m, s), n in sorted(counts.items())]
        name = ":tensorflow:serving:request_latency"
        out += [f"# HELP {name} Request latency in microseconds.", f"# TYPE {name} histogram"]
        for (model, api, entry), hist in sorted(hists.items()):
            base = [("model_name", model), ("API", api), ("entrypoint", entry)]
            cumulative = 0
            for bound, n in zip(list(BUCKETS_US) + ["+Inf"], hist[: len(BUCKETS_US) + 1]):
                cumulative += n
                out.append(f"{name}_bucket{_labels(base + [('le', bound)])} {cumulative}")
            out.append(f"{name}_sum{_labels(base)} {hist[-2]:.1f}")
            out.append(f"{name}_count{_labels(base)} {hist[-1]}")
        out += ["# HELP :tensorflow:serving:model_version Newest served version.",
                "# TYPE :tensorflow:serving:model_version gauge"]
        for model, version in sorted(self._versions_fn().items()):
            out.append(f":tensorflow:serving:model_version{_labels([('model_name', model)])} "
                       f"{-1 if version is None else version}")
        out += ["# HELP :tensorflow:serving:model_load_seconds Last load and warm-up time.",
                "# TYPE :tensorflow:serving:model_load_seconds gauge"]
        out += [f":tensorflow:serving:model_load_seconds{_labels([('model_name', m)])} {s:.3f}"
                for m, s in sorted(loads.items())]
        return "\n".join(out) + "\n"
