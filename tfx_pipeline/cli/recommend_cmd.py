"""`recsys recommend`: ask a running model server for one user's top-k, print a table.

    recsys recommend --server localhost:8500 --model-name recsys --user 196 --k 10 \
        --history 242 302 --items-csv data/items.csv
"""


def add_arguments(parser):
    parser.add_argument("--server", required=True,
                        help="HOST:PORT of the gRPC port (REST port with --rest)")
    parser.add_argument("--model-name", "--model_name", dest="model_name", required=True)
    parser.add_argument("--user", action="append", required=True,
                        help="user id (repeat for several users)")
    parser.add_argument("--k", type=int, default=10, help="items per user")
    parser.add_argument("--history", nargs="*", default=[],
                        help="recent item ids (used for every --user)")
    parser.add_argument("--exclude", nargs="*", default=[], help="item ids never to show")
    parser.add_argument("--items-csv", help="items.csv for titles (item_id,title,...)")
    parser.add_argument("--rest", action="store_true", help="use the REST API instead of gRPC")
    parser.add_argument("--version", type=int, help="a fixed model version (default: newest)")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _titles(path) -> dict:
    if not path:
        return {}
    from rec_model.data.canonical import read_items

    items, _ = read_items(path)
    return {item.item_id: item.title for item in items}


def format_table(user, row, titles, request_id=None) -> str:
    """One user's recommendations as an aligned text table."""
    agents = row["agent_names"]
    header = ["rank", "item_id", "title", "score"] + agents
    lines = [[str(i + 1), item, titles.get(item, "")[:48], f"{score:.4f}"]
             + [f"{a:.4f}" for a in per_agent]
             for i, (item, score, per_agent) in enumerate(
                 zip(row["item_ids"], row["scores"], row["agent_scores"]))]
    widths = [max(len(r[c]) for r in [header] + lines) for c in range(len(header))]
    fmt = lambda r: "  ".join(  # noqa: E731
        v.ljust(w) if c in (1, 2) else v.rjust(w) for c, (v, w) in enumerate(zip(r, widths)))
    title = f"user {user}" + (f"  (request {request_id})" if request_id else "")
    return "\n".join([title, fmt(header), fmt(["-" * w for w in widths])]
                     + [fmt(r) for r in lines])


def run(args) -> int:
    import json
    import os
    import sys

    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from serving.client import RecommendClient
    from serving.errors import ServingError

    titles = _titles(args.items_csv)
    users = args.user
    try:
        with RecommendClient(args.server, args.model_name, "rest" if args.rest else "grpc",
                             version=args.version, timeout=args.timeout) as client:
            rows = client.recommend(users, k=args.k, history=[args.history] * len(users),
                                    exclude=[args.exclude] * len(users))
            request_id = client.last_request_id
    except ServingError as err:
        print(f"recsys recommend: {err}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"request_id": request_id,
                          "recommendations": [{"user_id": u, **r}
                                              for u, r in zip(users, rows)]},
                         indent=1))
        return 0
    print("\n\n".join(format_table(u, r, titles, request_id) for u, r in zip(users, rows)))
    return 0
