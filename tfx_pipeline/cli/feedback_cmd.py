"""`recsys feedback`: record a click or rating against a served request id.

    recsys feedback --feedback-dir logs/feedback --request-id 5f0c... --user 196 --item 242
    recsys feedback --feedback-dir logs/feedback --request-id 5f0c... --user 196 --item 242 \\
        --event rating --value 4

The request id is the one the server returned (REST field "request_id", gRPC trailing
metadata `x-request-id`). Records are appended to `DIR/feedback-*.jsonl` (serving/feedback_log.py),
where `recsys trigger` picks them up.
"""

import json
import sys


def add_arguments(parser):
    from serving import feedback_log  # Light: no TensorFlow.

    parser.add_argument("--feedback-dir", required=True,
                        help="folder of the feedback logs (created)")
    parser.add_argument("--request-id", required=True,
                        help="request id of the served recommendations")
    parser.add_argument("--user", required=True, help="user id the recommendations were served to")
    parser.add_argument("--item", required=True, help="the item clicked / rated")
    parser.add_argument("--event", default="click", choices=feedback_log.EVENTS)
    parser.add_argument("--value", type=float, default=1.0,
                        help="e.g. 1 for a click, the rating for `rating`")
    parser.add_argument("--time", type=float, default=None, help="unix seconds (default: now)")
    parser.add_argument("--fsync", default="always", choices=feedback_log.FSYNC_POLICIES)


def run(args) -> int:
    from serving import feedback_log

    payload = {"request_id": args.request_id, "user_id": args.user, "item_id": args.item,
               "event": args.event, "value": args.value}
    if args.time is not None:
        payload["time"] = args.time
    try:
        with feedback_log.FeedbackLog(args.feedback_dir, fsync=args.fsync) as log:
            answer = feedback_log.record_feedback(log, payload)
    except feedback_log.FeedbackError as e:
        print(f"recsys feedback: {e}", file=sys.stderr)
        return 2
    print(json.dumps(answer["record"]))
    return 0
