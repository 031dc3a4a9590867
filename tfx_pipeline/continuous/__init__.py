"""Continuous training: feedback -> new span of interactions -> pipeline run, on triggers.

`trigger.ContinuousTrigger.once()` is what `recsys trigger once` (cron, Kubeflow schedules)
and `recsys trigger watch` (a loop) call. See trigger.py for the decision rules.
"""
