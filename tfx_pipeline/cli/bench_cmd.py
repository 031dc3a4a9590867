"""`recsys bench quality|...`: benchmarks writing results under bench/results/.

The benchmark code lives in the repository's `bench/` folder (not an installed
package); this command puts the repository root on sys.path to import it.
"""

import argparse
import os
import pathlib
import sys

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "datasets" / "movielens-100k"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="bench", required=True, metavar="BENCH")
    quality = sub.add_parser(
        "quality", help="top-K quality on MovieLens-100K (../shared/BENCHMARK.md protocol)")
    quality.add_argument("--data", default=str(DEFAULT_DATA),
                         help="raw MovieLens-100K folder (u.data, u.item, u.genre)")
    quality.add_argument("--out", default=str(REPO_ROOT / "bench" / "results" / "quality.json"),
                         help="result JSON; .md and .png are written beside it")
    quality.add_argument(
        "--config", default=None,
        help="ModelConfig JSON file for the multi-agent model (default: built-in)")
    quality.add_argument("--cache-dir", default=None,
                         help="item text embedding cache (default: <out dir>/cache)")


def run(args) -> int:
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    if not (REPO_ROOT / "bench").is_dir():
        print(f"bench/ not found under {REPO_ROOT}; run from a source checkout", file=sys.stderr)
        return 2
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    if args.bench == "quality":
        from bench.quality.run import run as run_quality
        from rec_model.config import ModelConfig

        config = (ModelConfig.from_json(pathlib.Path(args.config).read_text())
                  if args.config else None)
        run_quality(args.data, args.out, config=config, cache_dir=args.cache_dir)
        return 0
    print(f"unknown benchmark {args.bench!r}", file=sys.stderr)
    return 2
