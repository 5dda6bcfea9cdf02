"""Print the gateway's OpenAPI document: `python -m vt_gateway.openapi [--output FILE]`.

No servers are needed: the app is built but never started."""

from __future__ import annotations

import argparse
import json
import sys

from vt_gateway.app import create_app
from vt_gateway.settings import Settings


def render() -> str:
    app = create_app(Settings(VT_ENV="development", VT_FRONTEND_DIR="/nonexistent"))  # type: ignore[call-arg]
    return json.dumps(app.openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", "-o", help="write to this file instead of stdout")
    args = parser.parse_args(argv)
    text = render()
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
