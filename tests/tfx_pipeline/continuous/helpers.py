"""Writes request and feedback logs the way the server and `recsys feedback` do."""

from serving.feedback_log import FeedbackLog, record_feedback
from serving.request_log import RequestLogger


def log_request(directory, request_id, served: dict, time=1_700_000_000.0):
    """served: {user: [items]} as one logged `recommend` response."""
    logger = RequestLogger(directory)
    users = list(served)
    logger.log({"request_id": request_id, "time": time, "model": "recsys", "version": 1,
                "signature": "recommend",
                "user_ids": users, "item_ids": [served[u] for u in users],
                "scores": [[1.0] * len(served[u]) for u in users]})
    logger.close()


def feedback(directory, request_id, user, item, event="click", value=1, time=1_700_000_100.0):
    with FeedbackLog(directory) as log:
        record_feedback(log, {"request_id": request_id, "user_id": user, "item_id": item,
                              "event": event, "value": value, "time": time})
