"""Screenshot built site pages in headless Chromium, to look at them as a reader does.

Serves the built site (default ``docs/_build/html``) on 127.0.0.1, opens each
page in Debian's Chromium through Playwright with every other origin blocked,
waits for MathJax, and writes one full-page PNG per page. It prints the PNG
paths, and any console error or blocked request.

    python tools/screenshot.py auto_examples/01_autodiff/plot_01_reverse_mode_by_hand.html
    python tools/screenshot.py --site docs/_build/html --out /tmp/shots --width 1400 index.html
"""

from __future__ import annotations

import argparse
import functools
import http.server
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="+", help="paths relative to the site root")
    parser.add_argument("--site", type=Path, default=ROOT / "docs" / "_build" / "html")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "_build" / "screenshots")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(args.site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    problems = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, headless=True, args=ARGS)
        for rel in args.pages:
            page = browser.new_page(viewport={"width": args.width, "height": 900})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
            page.on("console", lambda m, rel=rel: m.type == "error" and print(f"{rel}: console error: {m.text}"))
            page.goto(f"{base}/{rel}", wait_until="networkidle")
            page.wait_for_timeout(1500)  # MathJax typesetting
            target = args.out / (rel.replace("/", "__").removesuffix(".html") + ".png")
            page.screenshot(path=str(target), full_page=True)
            print(target)
            page.close()
        browser.close()
    httpd.shutdown()
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
