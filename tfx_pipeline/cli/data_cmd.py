"""`recsys data`: prepare, validate, download or synthesise a canonical data folder.

    recsys data prepare --source movielens-100k|csv --input DIR --out DIR
    recsys data download movielens-100k --out DIR [--url URL] [--sha256 HEX]
    recsys data synth --users N --items M --interactions K --out DIR [--topics T] [--seed S]
    recsys data validate --input DIR

Exit codes: 0 success; 1 `validate` found quarantined rows; 2 bad input or failure.
"""

import argparse
import sys

SOURCES = ("movielens-100k", "csv")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    p = sub.add_parser("prepare", help="convert raw data to a (normalised) canonical folder")
    p.add_argument("--source", choices=SOURCES, required=True,
                   help="movielens-100k: raw ml-100k folder; csv: a canonical folder to "
                        "validate and normalise")
    p.add_argument("--input", required=True, help="input folder")
    p.add_argument("--out", required=True, help="output folder (created)")

    p = sub.add_parser("download", help="download and verify a public data set")
    p.add_argument("dataset", choices=("movielens-100k",))
    p.add_argument("--out", required=True, help="folder for the archive and extracted files")
    p.add_argument("--url", default=None, help="override the download URL (e.g. a mirror)")
    p.add_argument("--sha256", default=None,
                   help="expected SHA-256 of the archive (default: the pinned value)")

    p = sub.add_parser("synth",
                       help="write a synthetic canonical folder with planted user preferences")
    p.add_argument("--users", type=int, required=True)
    p.add_argument("--items", type=int, required=True)
    p.add_argument("--interactions", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--topics", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)

    p = sub.add_parser("validate",
                       help="check a canonical folder; print counts and quarantine summary")
    p.add_argument("--input", required=True)


def _print_counts(counts: dict) -> None:
    for name in ("items", "interactions"):
        value = counts.get(name)
        if isinstance(value, dict):
            print(f"{name:<13} read {value['rows_read']:>10,}  "
                  f"written {value['rows_written']:>10,}  "
                  f"quarantined {value['quarantined']:>8,}")
    for key, n in counts.get("quarantine_reasons", {}).items():
        print(f"  quarantined {key}: {n:,}")
    for kind, lines in counts.get("quarantine_examples", {}).items():
        for line in lines:
            print(f"    e.g. {line}")
    for key, value in counts.items():
        if not isinstance(value, dict):
            print(f"{key}: {value:,}" if isinstance(value, int) else f"{key}: {value}")


def _run(args: argparse.Namespace) -> int:
    if args.action == "prepare":
        if args.source == "movielens-100k":
            from rec_model.data.movielens import prepare_movielens_100k
            counts = prepare_movielens_100k(args.input, args.out)
        else:
            from rec_model.data.prepare import prepare_csv
            counts = prepare_csv(args.input, args.out)
        _print_counts(counts)
        print(f"wrote {args.out}")
        return 0
    if args.action == "download":
        from rec_model.data import download
        raw = download.download_movielens_100k(
            args.out, url=args.url or download.DEFAULT_URL,
            sha256=args.sha256 or download.KNOWN_SHA256)
        print(f"raw folder: {raw}")
        print(f"next: recsys data prepare --source movielens-100k --input {raw} --out DIR")
        return 0
    if args.action == "synth":
        from rec_model.data.synth import generate_synthetic
        counts = generate_synthetic(args.out, args.users, args.items, args.interactions,
                                    n_topics=args.topics, seed=args.seed)
        _print_counts(counts)
        print(f"wrote {args.out}")
        return 0
    from rec_model.data.prepare import validate_folder
    counts = validate_folder(args.input)
    _print_counts(counts)
    bad = counts["items"]["quarantined"] + counts["interactions"]["quarantined"]
    print("ok" if not bad else f"{bad:,} rows would be quarantined; "
          "`recsys data prepare --source csv` writes the clean rows and quarantine.jsonl")
    return 1 if bad else 0


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except (ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # Network and file-system failures.
        print(f"error: {e}", file=sys.stderr)
        return 2
