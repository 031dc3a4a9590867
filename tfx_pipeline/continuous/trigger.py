"""Decides when to retrain, turns feedback into a new span, and runs the pipeline once at a time.

A run starts when any of these holds (each rule is off when its threshold is None):
- `min_new_interactions`: joined feedback interactions since the last successful run >= N;
- `schedule_hours`: the last successful run ended at least H hours ago (or there was none);
- `min_ctr`: the online click-through rate since the last run is below X, once at least
  `min_served_for_ctr` recommended items were served (so a handful of requests cannot fire it).

On a run, the new interactions become `<data>/interactions-span-<N>.csv` (N = last span + 1;
example_gen reads every `interactions-*.csv`) and `run_pipeline(data_dir, pipeline_root, N)`
is called. Only when it returns are the log offsets, span and run time saved (atomically),
so a failed run loses no feedback: the next trigger re-reads the same logs, rewrites the
same span file (plus anything new) and retries. An `fcntl` lock in the pipeline root makes
concurrent triggers skip ("busy") instead of running twice.
"""

import dataclasses
import logging
import os
import time
from typing import Callable, Optional

from tfx_pipeline.continuous import decision_log, feedback_join
from tfx_pipeline.continuous.run_lock import RunLock
from tfx_pipeline.continuous.state import STATE_FILE, TriggerState

RunPipeline = Callable[[str, str, int], None]


def make_local_run_pipeline(serving_dir: str = "", last_stage: Optional[str] = None,
                            beam_pipeline_args=(), **pipeline_config) -> RunPipeline:
    """A `run_pipeline` running `tfx_pipeline.local_runner.run` with `ExampleGenConfig(span=span)`.

    Args:
        serving_dir: the pusher's destination (needed to push).
        last_stage: stop after this stage; default "push" with a `serving_dir`, else "evaluate".
        beam_pipeline_args: Beam flags of every Beam step.
        **pipeline_config: other `tfx_pipeline.config.PipelineConfig` fields (model_name, ...).
    """

    def run_pipeline(data_dir: str, pipeline_root: str, span: int) -> None:
        from components.example_gen.config import ExampleGenConfig
        from tfx_pipeline import local_runner
        from tfx_pipeline.config import PipelineConfig

        config = PipelineConfig(data_root=data_dir, pipeline_root=pipeline_root,
                                serving_dir=serving_dir,
                                last_stage=last_stage or ("push" if serving_dir else "evaluate"),
                                beam_pipeline_args=tuple(beam_pipeline_args), **pipeline_config)
        local_runner.run(config, example_gen_config=ExampleGenConfig(span=span))

    return run_pipeline


def local_run_pipeline(data_dir: str, pipeline_root: str, span: int) -> None:
    """Default `run_pipeline`: the local pipeline up to "evaluate" (no serving dir to push to)."""
    make_local_run_pipeline()(data_dir, pipeline_root, span)


@dataclasses.dataclass(frozen=True)
class TriggerPolicy:
    """Thresholds of the trigger rules (None disables a rule); see the module docstring."""

    min_new_interactions: Optional[int] = 1000
    schedule_hours: Optional[float] = None
    min_ctr: Optional[float] = None
    min_served_for_ctr: int = 100
    join_window_hours: float = 24 * 7

    def __post_init__(self):
        if self.min_new_interactions is not None and self.min_new_interactions < 1:
            raise ValueError("min_new_interactions must be >= 1 (or None to disable), "
                             f"got {self.min_new_interactions}")
        if self.schedule_hours is not None and self.schedule_hours <= 0:
            raise ValueError(f"schedule_hours must be > 0 (or None), got {self.schedule_hours}")
        if self.min_ctr is not None and not 0 < self.min_ctr <= 1:
            raise ValueError(f"min_ctr must be in (0, 1] (or None), got {self.min_ctr}")
        if (self.min_new_interactions is None and self.schedule_hours is None
                and self.min_ctr is None):
            raise ValueError("every trigger rule is off; set --min-new-interactions, "
                             "--schedule-hours or --min-ctr")


class ContinuousTrigger:
    """Feedback logs -> decision -> new span -> pipeline run.

    Args:
        feedback_dir: folder of `feedback-*.jsonl` (serving/feedback_log.py).
        request_log_dir: folder of the server's `requests-*.jsonl` (serving/request_log.py).
        data_dir: the canonical data folder the pipeline reads (span files are added here).
        pipeline_root: pipeline root; holds the lock, `continuous_state.json` and
            `continuous/unmatched-feedback-span-<N>.jsonl`.
        policy: trigger thresholds.
        run_pipeline: `(data_dir, pipeline_root, span) -> None`, raising on failure.
        clock: returns unix seconds (tests pass a fake).
    """

    def __init__(self, feedback_dir, request_log_dir, data_dir, pipeline_root,
                 policy: TriggerPolicy = TriggerPolicy(),
                 run_pipeline: RunPipeline = local_run_pipeline,
                 clock: Callable[[], float] = time.time):
        self.feedback_dir, self.request_log_dir = str(feedback_dir), str(request_log_dir)
        self.data_dir, self.pipeline_root = str(data_dir), str(pipeline_root)
        self.policy, self.run_pipeline, self.clock = policy, run_pipeline, clock
        self.state_path = os.path.join(self.pipeline_root, STATE_FILE)

    def _reasons(self, state: TriggerState, batch: feedback_join.FeedbackBatch,
                 now: float) -> list:
        p, reasons = self.policy, []
        if (p.min_new_interactions is not None
                and len(batch.interactions) >= p.min_new_interactions):
            reasons.append(
                f"new_interactions {len(batch.interactions)} >= {p.min_new_interactions}")
        if p.schedule_hours is not None:
            if state.last_run_time is None:
                reasons.append("schedule: no run yet")
            elif now - state.last_run_time >= p.schedule_hours * 3600:
                reasons.append(f"schedule: last run {(now - state.last_run_time) / 3600:.1f} h "
                               f"ago >= {p.schedule_hours} h")
        if (p.min_ctr is not None and batch.served_items >= p.min_served_for_ctr
                and batch.ctr < p.min_ctr):
            reasons.append(
                f"ctr {batch.ctr:.4f} < {p.min_ctr} over {batch.served_items} served items")
        return reasons

    def once(self) -> dict:
        """One decision (and run when due).

        Returns:
            `{"busy", "triggered", "reasons", "new_interactions", "unmatched_feedback", "clicks",
            "served_items", "ctr", "corrupt_lines", "span", "span_file", "succeeded", "error"}`;
            `succeeded` is None when nothing ran. Every decision is also appended to
            `<pipeline_root>/continuous/decisions.jsonl` (decision_log.py).
        """
        result = self._once()
        decision_log.append_decision(self.pipeline_root, result, self.clock())
        return result

    def _once(self) -> dict:
        result = {"busy": False, "triggered": False, "reasons": [], "span": None,
                  "span_file": None,
                  "succeeded": None, "error": None}
        lock = RunLock(self.pipeline_root)
        if not lock.acquire():
            result["busy"] = True
            return result
        try:
            state = TriggerState.load(self.state_path)
            batch = feedback_join.collect(self.feedback_dir, self.request_log_dir,
                                          state.feedback_offsets,
                                          state.request_offsets, self.policy.join_window_hours)
            now = self.clock()
            result.update(new_interactions=len(batch.interactions),
                          unmatched_feedback=len(batch.unmatched),
                          clicks=batch.clicks, served_items=batch.served_items, ctr=batch.ctr,
                          corrupt_lines=batch.corrupt_lines)
            result["reasons"] = self._reasons(state, batch, now)
            if not result["reasons"]:
                return result
            result["triggered"] = True
            # A schedule / CTR run without new feedback re-runs the current span.
            span = state.span
            if batch.interactions or batch.unmatched:
                span = state.pending_span or max(
                    [state.span] + feedback_join.existing_spans(self.data_dir)) + 1
                # A retry rewrites this same span file, never a second one.
                state.pending_span = span
                state.save(self.state_path)
                result["span_file"] = feedback_join.write_span(
                    self.data_dir, span, batch, os.path.join(self.pipeline_root, "continuous"))
            result["span"] = span
            logging.info("continuous: run with span %d (%s)", span, "; ".join(result["reasons"]))
            try:
                self.run_pipeline(self.data_dir, self.pipeline_root, span)
            # Any failure is retried next time.
            except Exception as e:  # pylint: disable=broad-except
                state.consecutive_failures += 1
                state.last_error = f"{type(e).__name__}: {e}"[:2000]
                state.save(self.state_path)  # Offsets and span untouched: nothing is lost.
                result.update(succeeded=False, error=state.last_error)
                logging.warning("continuous: run failed (%s); it is retried on the next trigger",
                                state.last_error)
                return result
            state.span, state.last_run_time, state.pending_span = span, self.clock(), None
            state.feedback_offsets, state.request_offsets = (batch.feedback_offsets,
                                                             batch.request_offsets)
            state.runs += 1
            state.consecutive_failures, state.last_error = 0, ""
            state.save(self.state_path)
            result["succeeded"] = True
            return result
        finally:
            lock.release()

    def watch(self, interval_s: float, max_iterations: Optional[int] = None,
              sleep: Callable[[float], None] = time.sleep,
              on_result: Optional[Callable[[dict], None]] = None) -> int:
        """Calls `once` every `interval_s` seconds (forever unless `max_iterations`).

        Returns:
            iterations done.
        """
        if interval_s <= 0:
            raise ValueError(f"interval must be > 0 seconds, got {interval_s}")
        done = 0
        while max_iterations is None or done < max_iterations:
            try:
                result = self.once()
            # A bad log line must not stop the loop.
            except Exception as e:  # pylint: disable=broad-except
                logging.exception("continuous: trigger check failed")
                result = {"error": f"{type(e).__name__}: {e}", "triggered": False}
            if on_result is not None:
                on_result(result)
            done += 1
            if max_iterations is None or done < max_iterations:
                sleep(interval_s)
        return done
