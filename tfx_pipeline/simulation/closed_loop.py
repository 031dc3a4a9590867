"""The closed loop of `recsys simulate`, one round at a time."""

import dataclasses
import json
import logging
import os
import time
from typing import Callable, Dict, List, Optional

import numpy as np

from rec_model.data import synth
from serving.feedback_log import FeedbackLog, record_feedback
from tfx_pipeline.simulation.click_model import PreferenceClickModel

MODEL_NAME = "recsys"


@dataclasses.dataclass(frozen=True)
class SimulationConfig:
    """Size and pace of the loop.

    Attributes:
        rounds: serve -> click -> retrain cycles after the initial training.
        users_per_round: users asked for recommendations each round.
        k: items shown per request.
        catalogue_users / catalogue_items / initial_interactions: the synthetic world; the
            initial training data is deliberately sparse (3 interactions per user) so feedback
            has something to teach, with enough users that the evaluator's held-out slice can
            tell a better retrained model from noise.
        seed: of the world, the users drawn each round and the clicks.
    """

    rounds: int = 3
    users_per_round: int = 300
    k: int = 10
    catalogue_users: int = 1500
    catalogue_items: int = 300
    initial_interactions: int = 4500
    seed: int = 0

    def __post_init__(self):
        if self.rounds < 1 or self.users_per_round < 1 or self.k < 1:
            raise ValueError("rounds, users_per_round and k must be >= 1")
        if self.users_per_round > self.catalogue_users:
            raise ValueError("users_per_round cannot exceed catalogue_users")


class ClosedLoop:
    """Runs the loop against a live server whose model the pipeline keeps replacing.

    Args:
        work_dir: everything goes here (data, pipeline root, serving dir, logs, report).
        config: SimulationConfig.
        run_pipeline: `(data_dir, pipeline_root, serving_dir, span) -> None`, trains and pushes.
        start_server: `(model_base_path, request_log_dir, feedback_log_dir) -> handle` with
            `grpc_target`, `wait_until_available()`, `stop()` (serving/launcher.py).
        make_client: `(grpc_target) -> RecommendClient`-like object.
    """

    def __init__(self, work_dir: str, config: SimulationConfig, run_pipeline: Callable,
                 start_server: Callable,
                 make_client: Callable):
        self.work_dir, self.config = os.path.abspath(work_dir), config
        self.run_pipeline, self.start_server, self.make_client = (run_pipeline, start_server,
                                                                  make_client)
        self.data_dir = os.path.join(self.work_dir, "data")
        self.pipeline_root = os.path.join(self.work_dir, "pipeline")
        self.serving_dir = os.path.join(self.work_dir, "serving")
        self.request_log_dir = os.path.join(self.work_dir, "request_logs")
        self.feedback_dir = os.path.join(self.work_dir, "feedback")
        self.rng = np.random.default_rng(config.seed)

    def _versions(self) -> List[int]:
        base = os.path.join(self.serving_dir, MODEL_NAME)
        return (sorted(int(v) for v in os.listdir(base) if v.isdigit())
                if os.path.isdir(base) else [])

    def _serve_round(self, client, feedback: FeedbackLog,
                     clicker: PreferenceClickModel) -> Dict[str, float]:
        users = self.rng.choice(self.config.catalogue_users, size=self.config.users_per_round,
                                replace=False)
        shown = clicked = 0
        for start in range(0, len(users), 50):
            batch = [synth.user_id(int(u)) for u in users[start:start + 50]]
            answers = client.recommend(batch, k=self.config.k)
            request_id = client.last_request_id
            for user, answer in zip(batch, answers):
                items = [i for i in answer["item_ids"] if i]
                shown += len(items)
                for item in clicker.clicks(user, items):
                    record_feedback(feedback, {"request_id": request_id, "user_id": user,
                                               "item_id": item})
                    clicked += 1
        return {"shown": shown, "clicks": clicked, "ctr": clicked / max(shown, 1)}

    def _wait_for_version(self, client, version: int, timeout: float = 300.0) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            served = [int(s["version"]) for s in client.status() if s.get("state") == "AVAILABLE"]
            if served and max(served) >= version:
                return
            time.sleep(1.0)
        raise TimeoutError(f"the server did not load version {version} within {timeout:.0f}s")

    def run(self, trigger_factory: Callable) -> Dict:
        """Initial data + training, then `rounds` rounds. Returns the report dict.

        Args:
            trigger_factory: `(loop) -> object with once() -> dict` (a ContinuousTrigger).
        """
        c = self.config
        synth.generate_synthetic(self.data_dir, c.catalogue_users, c.catalogue_items,
                                 c.initial_interactions,
                                 n_topics=10, seed=c.seed)
        self.run_pipeline(self.data_dir, self.pipeline_root, self.serving_dir, 0)
        if not self._versions():
            raise RuntimeError(f"the initial pipeline run pushed no model to {self.serving_dir}; "
                               "see `recsys runs show latest --pipeline-root "
                               f"{self.pipeline_root}` for the evaluator's decision")
        clicker = PreferenceClickModel(self.data_dir, seed=c.seed)
        feedback = FeedbackLog(self.feedback_dir)
        server = self.start_server(os.path.join(self.serving_dir, MODEL_NAME),
                                   self.request_log_dir, self.feedback_dir)
        rounds = []
        try:
            server.wait_until_available(timeout=300)
            client = self.make_client(server.grpc_target)
            trigger = trigger_factory(self)
            for number in range(1, c.rounds + 1):
                version = self._versions()[-1]
                stats = self._serve_round(client, feedback, clicker)
                stats.update(round=number, model_version=version)
                logging.info("simulate: round %d, version %d, CTR %.4f", number, version,
                             stats["ctr"])
                print(f"round {number}: model version {version}, shown {stats['shown']}, "
                      f"clicks {stats['clicks']}, "
                      f"CTR {stats['ctr']:.4f}", flush=True)
                if number < c.rounds:
                    outcome = trigger.once()
                    stats["retrain"] = {k: outcome.get(k) for k in
                                        ("triggered", "succeeded", "span", "new_interactions")}
                    if outcome.get("succeeded") and self._versions()[-1] > version:
                        self._wait_for_version(client, self._versions()[-1])
                rounds.append(stats)
        finally:
            feedback.close()
            server.stop()
        return {"config": dataclasses.asdict(c), "rounds": rounds,
                "ctr": [r["ctr"] for r in rounds],
                "ctr_rose": rounds[-1]["ctr"] > rounds[0]["ctr"]}


def write_report(report: Dict, out_dir: str) -> Dict[str, str]:
    """`simulation.json` and a PNG of the click-through rate per round."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(out_dir, exist_ok=True)
    json_path = os.path.join(out_dir, "simulation.json")
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
    png_path = os.path.join(out_dir, "simulation_ctr.png")
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot([r["round"] for r in report["rounds"]], report["ctr"], marker="o")
    ax.set_xlabel("round (a retrain + hot swap between rounds)")
    ax.set_ylabel("simulated click-through rate")
    ax.set_title("Closed loop: serve, click, retrain")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(png_path, dpi=110)
    plt.close(fig)
    return {"json": json_path, "png": png_path}
