"""`recsys serving-config`: write TF Serving's models.config (and batching parameters).

    recsys serving-config --model-name recsys --base-path /models/recsys --out deploy/config \
        --batching
"""


def add_arguments(parser):
    parser.add_argument("--model-name", "--model_name", dest="model_names", action="append",
                        required=True,
                        help="served model name (repeat with --base-path for several models)")
    parser.add_argument("--base-path", "--base_path", dest="base_paths", action="append",
                        required=True,
                        help="model base path as the server sees it, e.g. /models/recsys in the "
                             "container")
    parser.add_argument("--out", required=True,
                        help="folder to write models.config (+ batching_parameters.txt)")
    parser.add_argument("--num-versions", type=int, default=1,
                        help="versions kept by the latest policy")
    parser.add_argument("--label", action="append", default=[], metavar="MODEL:LABEL=VERSION",
                        help="version label, e.g. recsys:stable=3")
    parser.add_argument("--batching", action="store_true",
                        help="also write batching_parameters.txt")
    parser.add_argument("--max-batch-size", type=int, default=32)
    parser.add_argument("--batch-timeout-micros", type=int, default=1000)
    parser.add_argument("--num-batch-threads", type=int, default=2)
    parser.add_argument("--max-enqueued-batches", type=int, default=100)


def _labels(specs, name):
    out = []
    for spec in specs:
        model, sep, rest = spec.partition(":")
        label, eq, version = rest.partition("=")
        if not sep or not eq or not (version.isascii() and version.isdigit()):
            raise ValueError(f"--label {spec!r} must look like MODEL:LABEL=VERSION, "
                             "e.g. recsys:stable=3")
        if model == name:
            out.append((label, int(version)))
    return tuple(sorted(out))


def run(args) -> int:
    from serving.batching_config import BatchingParameters
    from serving.model_config import ServedModel
    from serving.serving_config import write_serving_config

    if len(args.model_names) != len(args.base_paths):
        raise SystemExit("give one --base-path per --model-name")
    models = [ServedModel(name, path, num_versions=args.num_versions,
                          labels=_labels(args.label, name))
              for name, path in zip(args.model_names, args.base_paths)]
    batching = None
    if args.batching:
        batching = BatchingParameters(args.max_batch_size, args.batch_timeout_micros,
                                      args.num_batch_threads,
                                      args.max_enqueued_batches)
    written = write_serving_config(models, args.out, batching)
    print(f"wrote {written['models_config']}")
    print(f"wrote {written['monitoring_config']}")
    if written["batching_parameters"]:
        print(f"wrote {written['batching_parameters']}")
    print("server flags: " + " ".join(written["flags"]).replace("<dir>", "/config"))
    return 0
