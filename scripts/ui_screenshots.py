"""Screenshots of a running `recsys ui` for the README (docs/ui-explorer.png, docs/ui-run.png).

    recsys ui --pipeline-root out/demo/pipeline --server 127.0.0.1:8500 &
    .venv/bin/python scripts/ui_screenshots.py --url http://127.0.0.1:8765/ --user 42 --out docs

Uses the browser tests' driver (Debian's Chromium from `make browser`, through Playwright).
"""

import argparse
import os
import pathlib
import sys
import urllib.parse

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from tests.tfx_pipeline.ui.browser import Browser  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8765/")
    parser.add_argument("--out", default="docs")
    parser.add_argument("--run", default="latest", help="run id of the run page")
    parser.add_argument("--user", default="1", help="user of the explorer page")
    parser.add_argument(
        "--history", default="", help="comma-separated item ids of the explorer's history"
    )
    parser.add_argument("--off", default="", help="agents switched off on the explorer page")
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args(argv)
    query = urllib.parse.urlencode(
        {"user": args.user, "history": args.history, "k": args.k, "off": args.off}
    )
    pages = {
        "ui-explorer.png": (f"#/explorer?{query}", "explorer"),
        "ui-run.png": (f"#/run/{urllib.parse.quote(args.run)}", "run"),
    }
    with Browser(width=1400, height=900) as browser:
        for name, (fragment, route) in pages.items():
            browser.open(args.url.rstrip("/") + "/" + fragment, route)
            print(browser.screenshot(os.path.join(args.out, name)))
        if browser.errors:
            print("console errors:", *browser.errors, sep="\n  ")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
