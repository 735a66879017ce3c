"""Browser tests of the built site: offline, images loaded, math typeset, downloads present.

The site (``docs/_build/html``) is served over ``http://127.0.0.1`` and opened
in headless Debian Chromium driven by Playwright. Every request to another
origin is blocked and counted. Without a built site or without Chromium the
tests skip, except when the ``CI`` environment variable is set: then they
must run.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = Path(os.environ.get("NNTHEORY_SITE", ROOT / "docs" / "_build" / "html"))
CHROMIUM = os.environ.get("NNTHEORY_CHROMIUM", "/usr/bin/chromium")
EXERCISES_MD = ROOT.parent / "shared" / "EXERCISES.md"
SCREENSHOTS = ROOT / "docs" / "_build" / "screenshots"
IN_CI = bool(os.environ.get("CI"))

pytestmark = pytest.mark.browser


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"browser tests are mandatory when CI is set, but {reason}")
    pytest.skip(reason)


def _example_pages() -> list[str]:
    return sorted(str(p.relative_to(SITE)) for p in SITE.glob("auto_examples/*/plot_*.html"))


PAGES = ["index.html", "auto_examples/index.html", "exercises.html", "api.html"]


@pytest.fixture(scope="module")
def server():
    if not (SITE / "index.html").is_file():
        _unavailable(f"no built site at {SITE} (run README command 1 first)")
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).is_file():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


class PageReport:
    """Everything that went wrong while loading one page."""

    def __init__(self):
        self.console_errors: list[str] = []
        self.failed: list[str] = []
        self.blocked: list[str] = []
        self.bad_status: list[str] = []


def _open(browser, server, path):
    """Open ``path`` with other origins blocked; return (page, report, context)."""
    origin = urlparse(server).netloc
    report = PageReport()
    context = browser.new_context(viewport={"width": 1400, "height": 1000})

    def route(r):
        url = urlparse(r.request.url)
        if url.scheme in ("data", "blob", "about") or url.netloc == origin:
            r.continue_()
        else:
            report.blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and report.console_errors.append(m.text))
    page.on("pageerror", lambda e: report.console_errors.append(str(e)))
    page.on("requestfailed", lambda r: report.failed.append(f"{r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and report.bad_status.append(f"{r.status} {r.url}"))
    page.goto(f"{server}/{path}", wait_until="load")
    # Images below the fold may be lazy: load them all, then wait for MathJax.
    page.evaluate("document.querySelectorAll('img').forEach(i => { i.loading = 'eager'; })")
    page.wait_for_load_state("networkidle")
    page.evaluate(
        """async () => {
            await Promise.all([...document.images].map(i => i.complete ? null :
                new Promise(r => { i.onload = i.onerror = r; })));
            if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
                await MathJax.startup.promise;
            }
        }"""
    )
    return page, report, context


def _check_page(browser, server, path):
    page, report, context = _open(browser, server, path)
    try:
        problems = []
        if report.blocked:
            problems.append(f"requests to other origins: {report.blocked}")
        if report.failed:
            problems.append(f"failed requests: {report.failed}")
        if report.bad_status:
            problems.append(f"HTTP errors: {report.bad_status}")
        if report.console_errors:
            problems.append(f"console errors: {report.console_errors}")
        broken = page.evaluate(
            "[...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
        )
        if broken:
            problems.append(f"images not loaded: {broken}")
        # Every formula Sphinx marked (span.math / div.math) must hold MathJax
        # output, and none may be a MathJax error box.
        untypeset = page.evaluate(
            "[...document.querySelectorAll('span.math, div.math')]"
            ".filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 60))"
        )
        if untypeset:
            problems.append(f"{len(untypeset)} formulas without MathJax output, e.g. {untypeset[:3]}")
        errors = page.evaluate("[...document.querySelectorAll('mjx-merror')].map(e => e.textContent.slice(0, 80))")
        if errors:
            problems.append(f"MathJax errors: {errors[:3]}")
        n_math = page.evaluate("document.querySelectorAll('span.math, div.math').length")
        if n_math:
            raw = page.evaluate(
                """() => {
                    const body = document.querySelector('main') || document.body;
                    const clone = body.cloneNode(true);
                    clone.querySelectorAll('pre, code, mjx-container, script, .highlight').forEach(e => e.remove());
                    return clone.innerText;
                }"""
            )
            leftovers = [m for m in (r"\frac", "$$", r"\(", r"\[", r"\begin") if m in raw]
            if leftovers:
                problems.append(f"untypeset TeX left in the text: {leftovers}")
        return page, context, problems
    except Exception:
        context.close()
        raise


@pytest.mark.parametrize("path", PAGES)
def test_main_pages_load_offline(browser, server, path):
    page, context, problems = _check_page(browser, server, path)
    context.close()
    assert not problems, f"{path}: " + "; ".join(problems)


def test_every_example_page_loads_offline_and_downloads_resolve(browser, server):
    pages = _example_pages()
    if not pages:
        _unavailable("the built site has no example pages")
    all_problems = {}
    for path in pages:
        page, context, problems = _check_page(browser, server, path)
        links = page.evaluate(
            "[...document.querySelectorAll('a')].map(a => a.href).filter(h => /\\.(py|ipynb)$/.test(h))"
        )
        kinds = {Path(urlparse(h).path).suffix for h in links}
        if kinds != {".py", ".ipynb"}:
            problems.append(f"download links found: {sorted(kinds)}")
        for href in links:
            response = page.request.get(href)
            if response.status != 200 or not response.body():
                problems.append(f"download {href} answered {response.status}")
        n_figures = page.evaluate("document.querySelectorAll('img.sphx-glr-single-img, img.sphx-glr-multi-img').length")
        text = page.inner_text("main")
        if n_figures == 0 and "plt." in text:
            problems.append("the example plots but shows no figure")
        context.close()
        if problems:
            all_problems[path] = problems
    assert not all_problems, all_problems


def test_screenshot_of_an_example_page(browser, server):
    pages = _example_pages()
    if not pages:
        _unavailable("the built site has no example pages")
    page, _, context = _open(browser, server, pages[0])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / (Path(pages[0]).stem + ".png")
    page.screenshot(path=str(target), full_page=True)
    context.close()
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_exercise_index_lists_every_id_and_its_links_resolve(browser, server):
    page, context, problems = _check_page(browser, server, "exercises.html")
    rows = page.evaluate(
        """[...document.querySelectorAll('table.exercise-index tbody tr')].map(tr => ({
            id: tr.cells[0].innerText.trim(),
            links: [...tr.cells[2].querySelectorAll('a')].map(a => a.href),
            text: tr.cells[2].innerText.trim()}))"""
    )
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), "an exercise ID appears twice"
    if EXERCISES_MD.is_file():
        catalogue = re.findall(r"^\|\s*([a-z0-9-]+/[a-z0-9.\-]+)\s*\|", EXERCISES_MD.read_text(), re.M)
        assert sorted(ids) == sorted(catalogue), set(ids) ^ set(catalogue)
    elif IN_CI:
        pytest.fail(f"CI is set but the exercise catalogue {EXERCISES_MD} is missing")
    # The autodiff chapter's rows point at their own pages.
    by_id = {row["id"]: row["links"] for row in rows}
    assert any("plot_01_reverse_mode_by_hand.html" in h for h in by_id["nndl-s2/m1"]), by_id["nndl-s2/m1"]
    assert any("plot_02_forward_and_reverse_mode.html" in h for h in by_id["dl-sheet/1"]), by_id["dl-sheet/1"]
    for row in rows:
        assert row["links"] or row["text"] == "planned", row
        for href in row["links"]:
            assert urlparse(href).netloc == urlparse(server).netloc
            assert page.request.get(href).status == 200, href
    context.close()
    assert not problems, problems


_REMOTE_RESOURCE = re.compile(
    r"<(?:script|link|img|iframe|source|video|audio|embed)\b[^>]*\b(?:src|href)=[\"']((?:https?:)?//[^\"']+)[\"']",
    re.I,
)


def test_no_built_page_loads_anything_from_another_origin():
    """A static scan of every HTML and CSS file: the browser tests open only
    the main and example pages, this covers the API pages and everything else."""
    if not (SITE / "index.html").is_file():
        _unavailable(f"no built site at {SITE} (run README command 1 first)")
    offenders = {}
    for path in SITE.rglob("*.html"):
        found = _REMOTE_RESOURCE.findall(path.read_text(encoding="utf-8", errors="replace"))
        if found:
            offenders[str(path.relative_to(SITE))] = sorted(set(found))
    for path in SITE.rglob("*.css"):
        found = re.findall(r"url\(\s*[\"']?((?:https?:)?//[^)\"']+)", path.read_text(encoding="utf-8", errors="replace"))
        if found:
            offenders[str(path.relative_to(SITE))] = sorted(set(found))
    assert not offenders, offenders
