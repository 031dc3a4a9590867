"""A pipeline root shaped like a real one, written in a second: ML Metadata lineage of two runs
(the second pushes version 2), the artifacts' files (model cards, evaluator metrics,
TensorBoard scalars, the transform's vocabularies), items.csv with a hostile title, request
and feedback logs, trigger decisions and a simulation report.

Ids match serving/testing.py's stand-in model (users u0.., items i0..), so a server of the
stand-in can play the live model.
"""

import csv
import json
import os

from tests.tfx_pipeline.continuous.helpers import feedback, log_request
from tfx_pipeline.continuous import decision_log

AGENTS = ("collaborative", "popularity")  # serving/testing.py's stand-in agents.
EVIL_ITEM = "i7"
EVIL_TITLE = (
    '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">Evil & "Co"'
)
N_ITEMS, N_USERS = 50, 20
COLD_ITEMS = ("i48", "i49")


def _store(path):
    from ml_metadata.metadata_store import metadata_store
    from ml_metadata.proto import metadata_store_pb2 as pb

    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = str(path)
    config.sqlite.connection_mode = pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    return metadata_store.MetadataStore(config), pb


def _set(props, name, value):
    field = (
        "int_value"
        if isinstance(value, int)
        else "double_value"
        if isinstance(value, float)
        else "string_value"
    )
    setattr(props[name], field, value)


def _write_artifact_files(root, run):
    """Files of run `run` (1 or 2); returns {(node, key): uri}."""
    from components.trainer.tensorboard_logs import write_scalars_to

    uris = {}
    for node, key in (
        ("transform", "transform_graph"),
        ("trainer", "model"),
        ("trainer", "model_run"),
        ("evaluator", "evaluation"),
        ("evaluator", "blessing"),
        ("example_gen", "examples"),
        ("pusher", "pushed_model"),
    ):
        uris[(node, key)] = os.path.join(root, node, key, str(run))
        os.makedirs(uris[(node, key)], exist_ok=True)
    assets = os.path.join(uris[("transform", "transform_graph")], "transform_fn", "assets")
    os.makedirs(assets)
    warm = [f"i{i}" for i in range(N_ITEMS) if f"i{i}" not in COLD_ITEMS]
    with open(os.path.join(assets, "item_id_counts"), "w") as f:
        f.write("".join(f"{N_ITEMS - n} {item}\n" for n, item in enumerate(warm)))
    with open(os.path.join(assets, "user_id_vocab"), "w") as f:
        f.write("".join(f"u{u}\n" for u in range(N_USERS)))
    alpha = {"collaborative": 0.4 + 0.1 * run, "popularity": 0.6 - 0.1 * run}
    epochs = [
        {
            "stage": "agents",
            "epoch": e + 1,
            "loss": 2.0 - 0.2 * e,
            "loss_collaborative": 1.5 - 0.1 * e,
            "loss_popularity": 1.8 - 0.05 * e,
            "alpha_collaborative": 0.5 + 0.02 * e,
            "alpha_popularity": 0.5 - 0.02 * e,
        }
        for e in range(4)
    ]
    card = {
        "agents": list(AGENTS),
        "alpha": alpha,
        "epochs": epochs,
        "counts": {"items": N_ITEMS, "users": N_USERS},
        "data_span": {"span": run - 1},
        "metrics": {"eval": {"model_ndcg@10": float("nan")}},
        "training": {"seconds_total": 12.5, "workers": 1, "strategy": "default"},
        "warm_start": None,
    }
    with open(os.path.join(uris[("trainer", "model")], "model_card.json"), "w") as f:
        f.write(json.dumps(card, allow_nan=True))  # The trainer's cards may hold NaN.
    for row in epochs:
        write_scalars_to(
            os.path.join(uris[("trainer", "model_run")], "agents", "train"),
            {k: v for k, v in row.items() if k not in ("stage", "epoch")},
            row["epoch"] - 1,
        )
    write_scalars_to(
        os.path.join(uris[("trainer", "model_run")], "eval"), {"model_ndcg@10": 0.3}, 4
    )
    baseline = None if run == 1 else {"ndcg@10": 0.30, "recall@10": 0.40}
    metrics = {
        "candidate": {
            "ndcg@10": 0.28 + 0.04 * run,
            "recall@10": 0.41,
            "per_agent": {a: {"ndcg@10": 0.2, "recall@10": 0.3} for a in AGENTS},
        },
        "baseline": baseline,
        "popularity": {"ndcg@10": 0.2, "recall@10": 0.3},
        "reason": f"run {run}: candidate beats the baseline",
        "blessed": True,
        "config": {"metric": "ndcg@10"},
    }
    with open(os.path.join(uris[("evaluator", "evaluation")], "metrics.json"), "w") as f:
        json.dump(metrics, f)
    return uris


def _add_run(store, pb, ids, name, root, run, items_csv):
    uris = _write_artifact_files(root, run)
    blessed = run == 2
    steps = [
        (
            "example_gen",
            {"input_base": os.path.dirname(items_csv)},
            [
                (
                    "examples",
                    "Examples",
                    {"span": run - 1, "rows_read": 240 * run, "rows_quarantined": 4},
                )
            ],
        ),
        ("transform", {}, [("transform_graph", "TransformGraph", {})]),
        ("text_embedder", {"items_path": items_csv}, []),
        ("trainer", {}, [("model", "Model", {"items": N_ITEMS}), ("model_run", "ModelRun", {})]),
        # As TFX's resolver: it lists an earlier run's blessing, which is not this run's decision.
        (
            "latest_blessed_model_resolver",
            {},
            [
                (
                    "model_blessing",
                    "ModelBlessing",
                    {"blessed": 1, "blessing_message": "earlier run"},
                )
            ],
        ),
        (
            "evaluator",
            {},
            [
                (
                    "evaluation",
                    "ModelEvaluation",
                    {"candidate_ndcg_at_10": 0.28 + 0.04 * run, "popularity_ndcg_at_10": 0.2},
                ),
                (
                    "blessing",
                    "ModelBlessing",
                    {
                        "blessed": int(blessed),
                        "blessing_message": f"{'' if blessed else 'NOT '}blessed: run {run}",
                    },
                ),
            ],
        ),
        (
            "pusher",
            {},
            [
                (
                    "pushed_model",
                    "PushedModel",
                    {
                        "pushed": int(blessed),
                        "pushed_version": str(run),
                        "push_message": "pushed"
                        if blessed
                        else "not pushed: model_blessing is not blessed",
                    },
                )
            ],
        ),
    ]
    rid = store.put_contexts([pb.Context(type_id=ids["pipeline_run"], name=name)])[0]
    store.put_parent_contexts([pb.ParentContext(child_id=rid, parent_id=ids["pipeline"])])
    for node, exec_props, outputs in steps:
        execution = pb.Execution(type_id=ids["execution"], last_known_state=pb.Execution.COMPLETE)
        for k, v in exec_props.items():
            _set(execution.custom_properties, k, v)
        arts = []
        for key, type_name, props in outputs:
            art = pb.Artifact(
                type_id=ids[type_name],
                uri=uris.get((node, key), os.path.join(root, node, key)),
                state=pb.Artifact.LIVE,
            )
            for k, v in props.items():
                _set(art.custom_properties, k, v)
            arts.append(art)
        art_ids = store.put_artifacts(arts) if arts else []
        eid = store.put_executions([execution])[0]
        events = []
        for (key, _, _), aid in zip(outputs, art_ids):
            event = pb.Event(execution_id=eid, artifact_id=aid, type=pb.Event.OUTPUT)
            event.path.steps.add().key = key
            events.append(event)
        store.put_events(events)
        store.put_attributions_and_associations(
            [],
            [pb.Association(context_id=c, execution_id=eid) for c in (rid, ids[f"node:{node}"])],
        )


def write_items(path):
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["item_id", "title", "genres"])
        for i in range(N_ITEMS):
            title = EVIL_TITLE if f"i{i}" == EVIL_ITEM else f"Item number {i}"
            writer.writerow([f"i{i}", title, f"Genre{i % 4}"])
    return path


def write_fake_root(base):
    """Writes `<base>/data/items.csv`, `<base>/pipeline/` (metadata.sqlite, artifacts,
    decisions), `<base>/request_logs`, `<base>/feedback`, `<base>/simulation.json`.

    Returns:
        the pipeline root.
    """
    root = os.path.join(base, "pipeline")
    os.makedirs(os.path.join(base, "data"))
    os.makedirs(root)
    items_csv = write_items(os.path.join(base, "data", "items.csv"))
    store, pb = _store(os.path.join(root, "metadata.sqlite"))
    ids = {
        n: store.put_context_type(pb.ContextType(name=n))
        for n in ("pipeline", "pipeline_run", "node")
    }
    ids["execution"] = store.put_execution_type(pb.ExecutionType(name="components.Fake"))
    for name in (
        "Examples",
        "TransformGraph",
        "Model",
        "ModelRun",
        "ModelEvaluation",
        "ModelBlessing",
        "PushedModel",
    ):
        ids[name] = store.put_artifact_type(pb.ArtifactType(name=name))
    ids["pipeline"] = store.put_contexts([pb.Context(type_id=ids["pipeline"], name="recsys")])[0]
    for node in (
        "example_gen",
        "transform",
        "text_embedder",
        "trainer",
        "latest_blessed_model_resolver",
        "evaluator",
        "pusher",
    ):
        ids[f"node:{node}"] = store.put_contexts(
            [pb.Context(type_id=ids["node"], name=f"recsys.{node}")]
        )[0]
    _add_run(store, pb, ids, "2026-11-30T10:00:00.000001", root, 1, items_csv)
    _add_run(store, pb, ids, "2026-11-30T11:00:00.000002", root, 2, items_csv)
    requests, feedback_dir = os.path.join(base, "request_logs"), os.path.join(base, "feedback")
    log_request(requests, "r1", {"u1": ["i1", "i2", "i3"], "u2": ["i4", "i5", "i6"]})
    feedback(feedback_dir, "r1", "u1", "i2")
    feedback(feedback_dir, "r1", "u2", "i4", time=1_700_003_700.0)
    for n, (triggered, interactions) in enumerate(((False, 1), (True, 2))):
        decision_log.append_decision(
            root,
            {
                "busy": False,
                "triggered": triggered,
                "new_interactions": interactions,
                "reasons": ["new_interactions 2 >= 2"] if triggered else [],
                "succeeded": True if triggered else None,
                "span": 1 if triggered else None,
                "ctr": 0.33,
            },
            1_700_000_000.0 + 3600 * n,
        )
    with open(os.path.join(base, "simulation.json"), "w") as f:
        json.dump(
            {
                "config": {"rounds": 2},
                "ctr": [0.2, 0.3],
                "ctr_rose": True,
                "rounds": [
                    {
                        "round": 1,
                        "ctr": 0.2,
                        "shown": 100,
                        "clicks": 20,
                        "model_version": 1,
                        "retrain": {"triggered": True, "succeeded": True, "span": 1},
                    },
                    {"round": 2, "ctr": 0.3, "shown": 100, "clicks": 30, "model_version": 2},
                ],
            },
            f,
        )
    return root
