"""The JSON API of `recsys ui`: read-only `GET /api/...` routes over the readers.

| route | answer |
|---|---|
| `/api/status` | sources, model server status, catalogue summary |
| `/api/runs` | run summaries, newest first |
| `/api/runs/<run id>` | one run: components, model card, curves, evaluation, decisions |
| `/api/agents` | alpha per agent per trained model; agents' share of served contributions |
| `/api/recommend?user=U&history=I&history=J&k=10` | top-k with titles and contributions |
| `/api/switch-off?user=U&history=I&k=10&off=A&off=B` | re-blended top-k without agents |
| `/api/items/<item id>?n=10` | the item and its nearest items per agent |
| `/api/search?q=text` | catalogue items whose id or title matches |
| `/api/continuous` | feedback volume, CTR per version and round, trigger decisions |

Errors are `{"error": message}` with 400 (bad parameter), 404 (unknown run or route),
502 (the model server failed) or 503 (no model server configured). Floats that are not
finite (a NaN in a model card) become null: the answer is always strict JSON.
"""

import json
import math
import threading
import time
import urllib.parse
from typing import Dict, List, Optional, Tuple

from serving.errors import ServingError
from tfx_pipeline.ui.catalogue import Catalogue
from tfx_pipeline.ui.config import UiConfig
from tfx_pipeline.ui.continuous_view import ContinuousView
from tfx_pipeline.ui.explorer import Explorer
from tfx_pipeline.ui.run_views import RunViews

SOURCES_TTL_S = 10.0  # How often the catalogue's source (the latest run) is looked up again.


def clean(value):
    """`value` with non-finite floats as None and numpy scalars / tuples as JSON types."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def to_json(payload) -> bytes:
    return json.dumps(clean(payload), allow_nan=False, ensure_ascii=False).encode("utf-8")


class NoServerError(Exception):
    """The explorer was asked for without a model server."""


class Api:
    """Routes `GET /api/...` to the readers.

    Args:
        config: the app's UiConfig (log paths are discovered beside the pipeline root).
        client: a RecommendClient-like object; by default one for `config.server` (if any).
    """

    def __init__(self, config: UiConfig, client=None):
        self.config = config.with_discovered_paths()
        c = self.config
        self.runs = RunViews(c.pipeline_root, c.metadata_path)
        self.continuous = ContinuousView(
            c.feedback_dir, c.request_log_dir, c.pipeline_root, c.simulation_path
        )
        if client is None and c.server:
            from serving.client import RecommendClient

            client = RecommendClient(c.server, c.model_name, timeout=c.timeout_s)
        self.client = client
        self.explorer = Explorer(client, self.catalogue, c.pool) if client is not None else None
        self._catalogue: Optional[Catalogue] = None
        self._catalogue_key: Tuple[str, str] = ("", "")
        self._checked_at = -math.inf
        self._lock = threading.Lock()

    def catalogue(self) -> Catalogue:
        """The catalogue of `--items-csv` or of the newest run, reloaded when that changes."""
        with self._lock:
            if time.monotonic() - self._checked_at > SOURCES_TTL_S or self._catalogue is None:
                self._checked_at = time.monotonic()
                sources = self.runs.latest_sources()
                key = (
                    self.config.items_csv or sources.get("items_csv", ""),
                    sources.get("transform_graph", ""),
                )
                if self._catalogue is None or key != self._catalogue_key:
                    self._catalogue, self._catalogue_key = Catalogue(*key), key
            return self._catalogue

    def _explorer(self) -> Explorer:
        if self.explorer is None:
            raise NoServerError(
                "no model server: start `recsys ui` with --server HOST:PORT --model-name NAME"
            )
        return self.explorer

    # -- routes ------------------------------------------------------------------------
    def status(self, _query) -> dict:
        c = self.config
        server = (
            self.explorer.status()
            if self.explorer
            else {
                "available": False,
                "versions": [],
                "message": "no --server given: the explorer is off",
            }
        )
        server.update(target=c.server, model_name=c.model_name)
        return {
            "sources": {
                "pipeline_root": c.pipeline_root,
                "metadata": c.metadata_path,
                "feedback_dir": c.feedback_dir,
                "request_log_dir": c.request_log_dir,
                "simulation": c.simulation_path,
            },
            "server": server,
            "catalogue": self.catalogue().summary(),
        }

    def agents(self, _query) -> dict:
        out = self.runs.models()
        out["shares"], out["shares_message"] = None, ""
        if self.explorer is None:
            out["shares_message"] = "no --server given: shares need the live model"
            return out
        recent = self.continuous.recent_users()
        users = recent or self.catalogue().users
        try:
            out["shares"] = self.explorer.agent_shares(users)
            out["shares"]["users_from"] = "request log" if recent else "most active known users"
        except ServingError as err:
            out["shares_message"] = f"model server: {err}"
        return out

    def recommend(self, query) -> dict:
        return self._explorer().recommend(
            _one(query, "user"), _many(query, "history"), _int(query, "k", 10)
        )

    def switch_off(self, query) -> dict:
        return self._explorer().switch_off(
            _one(query, "user"), _many(query, "history"), _int(query, "k", 10), _many(query, "off")
        )

    def search(self, query) -> dict:
        return {"items": self.catalogue().search(_one(query, "q"), limit=_int(query, "limit", 20))}

    def handle(self, path: str) -> Tuple[int, dict]:
        """(HTTP status, payload) of a GET of `path` (with its query string)."""
        parts = urllib.parse.urlsplit(path)
        query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
        segments = [urllib.parse.unquote(s) for s in parts.path.split("/")[2:]]
        fixed = {
            "status": self.status,
            "runs": lambda q: self.runs.list_runs(),
            "agents": self.agents,
            "recommend": self.recommend,
            "switch-off": self.switch_off,
            "search": self.search,
            "continuous": lambda q: self.continuous.page(),
        }
        try:
            if len(segments) == 1 and segments[0] in fixed:
                return 200, fixed[segments[0]](query)
            if len(segments) == 2 and segments[0] == "runs":
                return 200, self.runs.run_page(segments[1])
            if len(segments) == 2 and segments[0] == "items":
                return 200, self._explorer().neighbours(segments[1], _int(query, "n", 10))
            return 404, {"error": f"no API route {parts.path!r}; see tfx_pipeline/ui/api.py"}
        except NoServerError as err:
            return 503, {"error": str(err)}
        except ValueError as err:
            return 400, {"error": str(err)}
        except (KeyError, FileNotFoundError) as err:
            return 404, {"error": err.args[0] if err.args else str(err)}
        except ServingError as err:
            return 502, {"error": f"model server: {err}"}


def _one(query: Dict[str, List[str]], name: str, default: str = "") -> str:
    return query.get(name, [default])[-1].strip()


def _many(query: Dict[str, List[str]], name: str) -> List[str]:
    return [v.strip() for v in query.get(name, []) if v.strip()]


def _int(query: Dict[str, List[str]], name: str, default: int) -> int:
    text = _one(query, name, str(default))
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {text!r}") from None
