"""Lineage: pipeline runs, component executions and artifacts, read from ML Metadata.

TFX's LocalDagRunner (and Kubeflow's MLMD) records, per pipeline run, a context of type
`pipeline_run` (named by the run id, e.g. `2026-11-27T20:07:45.296538`); each component
execution is attributed to that context and to a `node` context (`<pipeline>.<node id>`),
and linked to its input and output artifacts by events. A component served from TFX's cache
is an execution in state CACHED whose outputs are the earlier run's artifacts.

Everything is returned as plain JSON-serialisable dicts:

- run: `{"run_id", "pipeline", "start", "end", "duration_s", "state", "n_components",
  "n_cached"}` with times in unix seconds and `state` one of COMPLETE, CACHED (every component
  was a cache hit), FAILED, RUNNING, NEW;
- component: `{"node_id", "execution_id", "type", "state", "start", "end", "duration_s",
  "properties": {...}, "inputs": [artifact], "outputs": [artifact]}` (`properties`: the
  execution's properties, e.g. example_gen's `input_base`, text_embedder's `items_path`);
- artifact: `{"id", "key", "type", "uri", "state", "properties": {...}}` where `properties`
  merges typed and custom properties (counts such as `rows_train`, metrics, `blessed`,
  `pushed_version`), TFX bookkeeping (`tfx_version`, `is_external`) left out;
- `show(run)` adds `"blessings"` (`{"component", "type", "blessed", "message", "uri"}`)
  and `"pushes"` (`{"component", "pushed", "version", "destination", "message", "uri"}`).
"""

import os
from typing import Dict, List, Optional

RUN_CONTEXT_TYPE = "pipeline_run"
NODE_CONTEXT_TYPE = "node"
PIPELINE_CONTEXT_TYPE = "pipeline"
BLESSING_TYPES = ("ModelBlessing", "InfraBlessing")
PUSHED_TYPE = "PushedModel"
_HIDDEN_PROPERTIES = ("tfx_version", "is_external")
_INPUT_EVENTS = (3, 2, 5)  # Event.Type INPUT, DECLARED_INPUT, INTERNAL_INPUT.
_OUTPUT_EVENTS = (4, 1, 6)  # OUTPUT, DECLARED_OUTPUT, INTERNAL_OUTPUT.


def _value(value):
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    raw = getattr(value, kind)
    if kind in ("int_value", "double_value", "string_value", "bool_value"):
        return raw
    if kind == "struct_value":
        from google.protobuf import json_format

        return json_format.MessageToDict(raw)
    return str(raw)


def _properties(node) -> Dict[str, object]:
    merged = {k: _value(v) for k, v in node.properties.items()}
    merged.update({k: _value(v) for k, v in node.custom_properties.items()
                   if k not in _HIDDEN_PROPERTIES})
    return dict(sorted(merged.items()))


def _seconds(ms: int) -> Optional[float]:
    return ms / 1000.0 if ms else None


def connection_config(pipeline_root: Optional[str] = None, metadata_path: Optional[str] = None):
    """A read-only SQLite `ConnectionConfig` for `<pipeline_root>/metadata.sqlite` or
    `metadata_path`.

    Raises:
        FileNotFoundError: no metadata database there (names what to pass instead).
    """
    from ml_metadata.proto import metadata_store_pb2

    path = metadata_path or (os.path.join(pipeline_root, "metadata.sqlite") if pipeline_root
                             else None)
    if not path:
        raise ValueError("give --pipeline-root DIR (reads DIR/metadata.sqlite) or --metadata PATH")
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"no ML Metadata database at {path}; pass the --pipeline-root of a "
            "`recsys pipeline run` (it holds metadata.sqlite) or --metadata "
            "PATH/TO/metadata.sqlite")
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = path
    config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READONLY
    return config


class MetadataReader:
    """Reads pipeline runs and their lineage from an ML Metadata store.

    Args:
        connection: an `ml_metadata` `ConnectionConfig` (see `connection_config`; MySQL works too).
    """

    def __init__(self, connection):
        from ml_metadata.metadata_store import metadata_store
        from ml_metadata.proto import metadata_store_pb2

        self._pb = metadata_store_pb2
        self._store = metadata_store.MetadataStore(connection)
        self._artifact_types: Dict[int, str] = {}
        self._execution_types: Dict[int, str] = {}

    # -- lookups ---------------------------------------------------------------------------
    def _state_name(self, execution) -> str:
        return self._pb.Execution.State.Name(execution.last_known_state)

    def _type_names(self, ids, cache, getter) -> None:
        missing = sorted(set(ids) - set(cache))
        if missing:
            for t in getter(missing):
                cache[t.id] = t.name

    def _run_contexts(self):
        return sorted(self._store.get_contexts_by_type(RUN_CONTEXT_TYPE),
                      key=lambda c: (c.create_time_since_epoch, c.id))

    def _pipeline_name(self, run_context) -> str:
        parents = self._store.get_parent_contexts_by_context(run_context.id)
        names = [c.name for c in parents if c.type == PIPELINE_CONTEXT_TYPE]
        return names[0] if names else ""

    def _node_id(self, execution_id: int, pipeline: str) -> str:
        for context in self._store.get_contexts_by_execution(execution_id):
            if context.type == NODE_CONTEXT_TYPE:
                name = context.name
                return (name[len(pipeline) + 1:] if pipeline and name.startswith(pipeline + ".")
                        else name)
        return ""

    @staticmethod
    def _run_state(states: List[str]) -> str:
        if not states:
            return "NEW"
        if "FAILED" in states:
            return "FAILED"
        if any(s in ("RUNNING", "NEW", "UNKNOWN") for s in states):
            return "RUNNING"
        if all(s == "CACHED" for s in states):
            return "CACHED"
        return "COMPLETE"

    def _summary(self, context, executions) -> dict:
        states = [self._state_name(e) for e in executions]
        starts = [e.create_time_since_epoch for e in executions if e.create_time_since_epoch]
        ends = [e.last_update_time_since_epoch for e in executions
                if e.last_update_time_since_epoch]
        start = _seconds(min(starts)) if starts else _seconds(context.create_time_since_epoch)
        end = _seconds(max(ends)) if ends else None
        return {
            "run_id": context.name,
            "pipeline": self._pipeline_name(context),
            "start": start,
            "end": end,
            "duration_s": round(end - start, 3) if start and end else None,
            "state": self._run_state(states),
            "n_components": len(executions),
            "n_cached": states.count("CACHED"),
        }

    # -- public API ------------------------------------------------------------------------
    def list_runs(self) -> List[dict]:
        """Every pipeline run, oldest first (see the module docstring for the keys)."""
        return [self._summary(c, self._store.get_executions_by_context(c.id))
                for c in self._run_contexts()]

    def find_run(self, run: str):
        """The run context named `run`, a unique prefix of it, `latest`, or a 1-based index / -1.

        Raises:
            KeyError: no such run, or an ambiguous prefix (the message lists candidates).
        """
        contexts = self._run_contexts()
        if not contexts:
            raise KeyError("the metadata store holds no pipeline runs yet; "
                           "run `recsys pipeline run` first")
        if run in ("latest", "last", "-1"):
            return contexts[-1]
        exact = [c for c in contexts if c.name == run]
        if exact:
            return exact[0]
        if run.isascii() and run.isdigit() and 1 <= int(run) <= len(contexts):
            return contexts[int(run) - 1]
        matches = [c for c in contexts if c.name.startswith(run)]
        if len(matches) == 1:
            return matches[0]
        names = ", ".join(c.name for c in (matches or contexts)[-5:])
        why = "is ambiguous" if matches else "matches no run"
        raise KeyError(f"run {run!r} {why}; `recsys runs list` shows the ids (e.g. {names}) "
                       "or use `latest`")

    def _artifacts(self, events, wanted_types) -> List[dict]:
        chosen = [e for e in events if e.type in wanted_types]
        if not chosen:
            return []
        artifacts = {a.id: a for a in self._store.get_artifacts_by_id(
            sorted({e.artifact_id for e in chosen}))}
        self._type_names([a.type_id for a in artifacts.values()], self._artifact_types,
                         self._store.get_artifact_types_by_id)
        out = []
        for event in sorted(chosen, key=lambda e: e.artifact_id):
            artifact = artifacts.get(event.artifact_id)
            if artifact is None:
                continue
            key = next((s.key for s in event.path.steps if s.WhichOneof("value") == "key"), "")
            out.append({
                "id": artifact.id,
                "key": key,
                "type": self._artifact_types.get(artifact.type_id, artifact.type),
                "uri": artifact.uri,
                "state": self._pb.Artifact.State.Name(artifact.state),
                "properties": _properties(artifact),
            })
        # Stable: MLMD ids depend on write order.
        return sorted(out, key=lambda a: (a["key"], a["id"]))

    def show(self, run: str) -> dict:
        """A run's summary plus `components`, `blessings` and `pushes` (module docstring)."""
        context = self.find_run(run)
        executions = sorted(self._store.get_executions_by_context(context.id),
                            key=lambda e: (e.create_time_since_epoch, e.id))
        details = self._summary(context, executions)
        self._type_names([e.type_id for e in executions], self._execution_types,
                         self._store.get_execution_types_by_id)
        events = (self._store.get_events_by_execution_ids([e.id for e in executions])
                  if executions else [])
        by_execution: Dict[int, list] = {}
        for event in events:
            by_execution.setdefault(event.execution_id, []).append(event)
        components, blessings, pushes = [], [], []
        for execution in executions:
            start = _seconds(execution.create_time_since_epoch)
            end = _seconds(execution.last_update_time_since_epoch)
            node_id = self._node_id(execution.id, details["pipeline"])
            outputs = self._artifacts(by_execution.get(execution.id, []), _OUTPUT_EVENTS)
            components.append({
                "node_id": node_id,
                "execution_id": execution.id,
                "type": self._execution_types.get(execution.type_id, execution.type),
                "state": self._state_name(execution),
                "start": start,
                "end": end,
                "duration_s": round(end - start, 3) if start and end else None,
                "properties": _properties(execution),
                "inputs": self._artifacts(by_execution.get(execution.id, []), _INPUT_EVENTS),
                "outputs": outputs,
            })
            for artifact in outputs:
                props = artifact["properties"]
                if artifact["type"] in BLESSING_TYPES:
                    blessings.append({
                        "component": node_id, "type": artifact["type"], "uri": artifact["uri"],
                        "blessed": bool(props.get("blessed", 0)),
                        "message": props.get("blessing_message",
                                             props.get("validation_message", "")),
                    })
                elif artifact["type"] == PUSHED_TYPE:
                    pushes.append({
                        "component": node_id, "uri": artifact["uri"],
                        "pushed": bool(props.get("pushed", 0)),
                        "version": props.get("pushed_version"),
                        "destination": props.get("pushed_destination"),
                        "message": props.get("push_message", ""),
                    })
        details.update(components=components, blessings=blessings, pushes=pushes)
        return details
