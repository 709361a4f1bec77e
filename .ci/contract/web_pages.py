"""Headless Chromium check of the HTML pages (sign-in, the session page, sign-out), with Python
Playwright and the system Chromium (never downloads a browser).

Opens /web/session, is sent to the sign-in page, fills in the admin token, lands back on
/web/session, checks that the browser logged no console error and no Content-Security-Policy
violation, that `document.cookie` does not show the session cookie (HttpOnly), signs out, and
saves screenshots.

Other page groups add their checks as functions taking a `Browser` (see `check_session_page`)
and list them in CHECKS: each runs signed in, with console errors and CSP violations watched.
The task monitor's check queues a task through the API and watches /flower/ refresh itself.
The admin's check searches the movie list, edits a movie's title and genres in its form (and
sees the change in the API), is refused a POST without the CSRF token, and opens the periodic
tasks page.

Usage: python web_pages.py BASE_URL SCREENSHOT_DIR ADMIN_TOKEN
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from swagger_ui import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS

SESSION_COOKIE = "movielens_session"


@dataclass
class Browser:
    """A signed-in page, the base URL, where screenshots go, and what the browser complained of."""

    page: Page
    base_url: str
    out_dir: Path
    token: str = ""
    problems: list[str] = field(default_factory=list)

    def open(self, path: str, expected_path: str | None = None) -> None:
        """Goes to PATH and checks the page ends up at EXPECTED_PATH (default: PATH) with 200."""
        resp = self.page.goto(f"{self.base_url}{path}", wait_until="load")
        assert resp is not None and resp.status == 200, f"GET {path} -> {resp and resp.status}"
        expect(self.page).to_have_url(f"{self.base_url}{expected_path or path}")

    def screenshot(self, name: str, full_page: bool = True) -> None:
        self.page.screenshot(path=str(self.out_dir / f"{name}.png"), full_page=full_page)

    def assert_clean(self, where: str) -> None:
        """No console error and no CSP violation so far."""
        assert not self.problems, f"{where}: the browser reported:\n  " + "\n  ".join(self.problems)


def watch(browser: Browser) -> None:
    """Records console errors, page errors and CSP violations (reported as console errors and
    as `securitypolicyviolation` events, which a listener added before any script runs catches)."""
    page = browser.page
    page.on("console", lambda m: browser.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: browser.problems.append(f"page error: {e}"))
    page.expose_function("reportCspViolation", lambda text: browser.problems.append(f"CSP violation: {text}"))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "window.reportCspViolation(e.violatedDirective + ' ' + e.blockedURI));"
    )


def sign_in(browser: Browser, token: str) -> None:
    """From a guarded page to the sign-in form and back, signed in."""
    page = browser.page
    resp = page.goto(f"{browser.base_url}/web/session", wait_until="load")
    assert resp is not None and resp.status == 200, f"GET /web/session -> {resp and resp.status}"
    expect(page).to_have_url(f"{browser.base_url}/login?next=%2Fweb%2Fsession")
    expect(page.locator("h1")).to_have_text("Sign in")
    browser.assert_clean("sign-in page")
    browser.screenshot("web-sign-in")
    page.fill("#token", token)
    page.click("form.card button[type=submit]")
    page.wait_for_load_state("load")
    expect(page).to_have_url(f"{browser.base_url}/web/session")
    print("redirected to sign-in, signed in, and back on /web/session")


def check_session_page(browser: Browser) -> None:
    """The session page shows the signed-in state, and its script ran (local times)."""
    browser.open("/web/session")
    expect(browser.page.locator("h1")).to_have_text("Signed in")
    expect(browser.page.locator("time[title]").first).to_be_attached()
    cookies = browser.page.evaluate("document.cookie")
    assert SESSION_COOKIE not in cookies, f"document.cookie shows the session cookie: {cookies!r}"
    stored = [c for c in browser.page.context.cookies() if c["name"] == SESSION_COOKIE]
    assert stored and stored[0]["httpOnly"] and stored[0]["sameSite"] == "Strict", f"session cookie: {stored}"
    browser.screenshot("web-session")
    print("session page: signed in, script ran, session cookie HttpOnly and SameSite=Strict")


def sign_out(browser: Browser) -> None:
    page = browser.page
    page.click("main form button[type=submit]")
    page.wait_for_load_state("load")
    expect(page).to_have_url(f"{browser.base_url}/login")
    resp = page.goto(f"{browser.base_url}/web/session", wait_until="load")
    assert resp is not None
    expect(page).to_have_url(f"{browser.base_url}/login?next=%2Fweb%2Fsession")
    browser.screenshot("web-signed-out")
    print("signed out: the session page sends to sign-in again")


def queue_task(browser: Browser, name: str, args: dict) -> str:
    """Queues a task through the API with the admin token; returns its id."""
    body = json.dumps({"name": name, "args": args}).encode()
    headers = {"Authorization": f"Bearer {browser.token}", "Content-Type": "application/json"}
    request = urllib.request.Request(f"{browser.base_url}/api/tasks", data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 202, f"POST /api/tasks -> {resp.status}"
        return json.load(resp)["task_id"]


def check_task_monitor(browser: Browser) -> None:
    """/flower/ shows a 3 s task running, then succeeded without a reload (its script refetches the
    task table every 2 s); the task's page shows its result."""
    page = browser.page
    task_id = queue_task(browser, "noop", {"sleep_ms": 3000})
    browser.open("/flower/")
    expect(page.locator("h1")).to_have_text("Tasks")
    # Survives only as long as the page is not reloaded.
    page.evaluate("window.notReloaded = true")
    state = page.locator(f'tr[data-task="{task_id}"] .task-state')
    expect(state).to_have_text("running")
    browser.screenshot("flower-running")
    expect(state).to_have_text("succeeded")
    assert page.evaluate("window.notReloaded === true"), "the page reloaded instead of refreshing its table"
    expect(page.locator(f'tr[data-task="{task_id}"] time[title]').first).to_be_attached()
    browser.screenshot("flower-succeeded")
    page.click(f'tr[data-task="{task_id}"] a[href="/flower/task/{task_id}"]')
    page.wait_for_load_state("load")
    expect(page).to_have_url(f"{browser.base_url}/flower/task/{task_id}")
    expect(page.locator("h1")).to_have_text("Task noop")
    expect(page.locator(".task-state").first).to_have_text("succeeded")
    expect(page.locator("pre.result")).to_contain_text('"slept_ms": 3000')
    browser.screenshot("flower-task")
    # Leave the browser where the other checks and the sign-out expect it.
    browser.open("/web/session")
    print("task monitor: running, then succeeded without a reload; the task page shows the result")


def keep_busy(base_url: str, seconds: float) -> threading.Thread:
    """Requests movie pages (each a cache miss, so each runs a unit of work) for SECONDS."""

    def run() -> None:
        deadline, page = time.monotonic() + seconds, 1
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"{base_url}/api/movies?page_size=3&page={page}", timeout=10) as resp:
                resp.read()
            page = page % 50 + 1

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def check_flamegraph(browser: Browser) -> None:
    """The admin's flamegraph capture opens as an SVG document: inferno's script runs under the
    SVG's own policy, the frames name the spans of the requests made meanwhile, no console error."""
    page = browser.page
    busy = keep_busy(browser.base_url, 4.0)
    # The capture route takes the bearer token, as the API does (not the pages' session).
    page.set_extra_http_headers({"Authorization": f"Bearer {browser.token}"})
    try:
        resp = page.goto(f"{browser.base_url}/api/profiling/flamegraph?seconds=2", wait_until="load")
    finally:
        page.set_extra_http_headers({})
    busy.join()
    assert resp is not None and resp.status == 200, f"GET /api/profiling/flamegraph -> {resp and resp.status}"
    assert resp.headers["content-type"] == "image/svg+xml", resp.headers["content-type"]
    assert page.evaluate("document.documentElement.tagName") == "svg"
    # inferno's script ran: it fills in the details line when a frame is hovered.
    frame = page.locator("#frames > g", has=page.locator("title", has_text="request")).first
    expect(frame).to_be_attached()
    frame.locator("rect").hover()
    expect(page.locator("#details")).to_contain_text("request")
    # Chromium cannot measure a bare SVG document's full height, so only the viewport is taken.
    browser.screenshot("flamegraph", full_page=False)
    browser.open("/web/session")
    print("flamegraph: an SVG with the requests' spans, its script ran, no console error")


def recorded_request(browser: Browser, path: str) -> int:
    """Requests PATH, then waits (up to 30 s) for the inspector to record it; returns its id."""
    with urllib.request.urlopen(f"{browser.base_url}{path}", timeout=10) as resp:
        assert resp.status == 200, f"GET {path} -> {resp.status}"
    headers = {"Authorization": f"Bearer {browser.token}"}
    query = urllib.parse.urlencode({"path": path.split("?")[0]})
    for _ in range(300):
        request = urllib.request.Request(f"{browser.base_url}/api/profiling/requests?{query}", headers=headers)
        with urllib.request.urlopen(request, timeout=10) as resp:
            listed = json.load(resp)["requests"]
        if listed:
            return listed[0]["id"]
        time.sleep(0.1)
    raise AssertionError(f"{path} was not recorded within 30 s")


def check_request_inspector(browser: Browser) -> None:
    """/silk/ shows the summary; the list, filtered, links to the request; its page shows the SQL
    and, on demand, a statement's query plan."""
    page = browser.page
    request_id = recorded_request(browser, "/api/movies/select-related/?limit=3")
    browser.open("/silk/")
    expect(page.locator("h1")).to_have_text("Requests")
    expect(page.locator("table.routes-slowest tbody tr").first).to_be_attached()
    browser.screenshot("silk-summary")
    browser.open("/silk/requests?path=select-related")
    expect(page.locator("h1")).to_have_text("Recorded requests")
    row = page.locator(f'tr[data-request="{request_id}"]')
    expect(row).to_be_attached()
    expect(row.locator("time[title]")).to_be_attached()
    browser.screenshot("silk-list")
    row.locator("a").click()
    page.wait_for_load_state("load")
    expect(page).to_have_url(f"{browser.base_url}/silk/request/{request_id}")
    expect(page.locator("code.sql").first).to_contain_text("SELECT")
    page.locator("a.explain").first.click()
    page.wait_for_load_state("load")
    expect(page.locator("pre.plan")).to_be_visible()
    browser.screenshot("silk-request")
    browser.open("/web/session")
    print("request inspector: summary, filtered list, the request's SQL and its query plan")


def edit_movie(browser: Browser) -> None:
    """From the movie list to Toy Story's edit form: a new title, and genres changed with the
    picker's filter box; the API answers the change at once. A POST without the form's CSRF
    token is refused and changes nothing."""
    page = browser.page
    link = page.locator("table.model-list tbody tr", has_text="Toy Story (1995)").first.locator("a.edit")
    edit_path = link.get_attribute("href")
    assert edit_path and edit_path.startswith("/admin/movies/"), f"edit link: {edit_path!r}"
    movie_id = edit_path.rsplit("/", 1)[1]
    link.click()
    page.wait_for_load_state("load")
    expect(page).to_have_url(f"{browser.base_url}{edit_path}")
    expect(page.locator("h1")).to_have_text(f"Change movie {movie_id}")
    page.fill("#title", "Toy Story, edited (1995)")
    picker = page.locator("[data-genre-picker]")
    picker.locator(".genre-filter").fill("sci")  # the picker's script hides the other genres
    expect(picker.locator('.genre-option:has(input[value="Fantasy"])')).to_be_hidden()
    picker.locator('input[value="Sci-Fi"]').check()
    picker.locator(".genre-filter").fill("")
    picker.locator('input[value="Fantasy"]').uncheck()
    browser.screenshot("admin-movie-edit")
    page.click("form.model-form button[type=submit]")
    page.wait_for_load_state("load")
    expect(page).to_have_url(f"{browser.base_url}/admin/movies")
    movie = page.request.get(f"{browser.base_url}/api/movies/{movie_id}").json()
    assert movie["title"] == "Toy Story, edited (1995)", movie
    assert "Sci-Fi" in movie["genres"] and "Fantasy" not in movie["genres"], movie
    forged = page.request.post(f"{browser.base_url}{edit_path}", form={"title": "Forged (1995)"})
    assert forged.status == 403, f"a POST without the CSRF token -> {forged.status}"
    movie = page.request.get(f"{browser.base_url}/api/movies/{movie_id}").json()
    assert movie["title"] == "Toy Story, edited (1995)", f"the refused POST changed the movie: {movie}"
    print(f"admin: movie {movie_id} edited (title and genres), seen by the API; a CSRF-less POST refused")


def check_admin(browser: Browser) -> None:
    """/admin/ lists the models; the movie list searches by title (a plain GET form); a movie
    is edited in its form; the periodic tasks page shows the code's schedules with their buttons."""
    page = browser.page
    browser.open("/admin/")
    expect(page.locator("h1")).to_have_text("Admin")
    expect(page.locator("table.models")).to_contain_text("Movies")
    page.click('table.models a[href="/admin/movies"]')
    page.wait_for_load_state("load")
    expect(page).to_have_url(f"{browser.base_url}/admin/movies")
    page.fill("#filter-q", "toy story")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state("load")
    expect(page).to_have_url(f"{browser.base_url}/admin/movies?q=toy+story&genre=&sort=")
    expect(page.locator("table.model-list tbody")).to_contain_text("Toy Story (1995)")
    browser.screenshot("admin-movies")
    edit_movie(browser)
    browser.open("/admin/periodic-tasks")
    expect(page.locator("h1")).to_have_text("Periodic tasks")
    expect(page.locator("table.periodic-tasks tbody")).to_contain_text("scheduled_task_every_3_min")
    browser.screenshot("admin-periodic-tasks")
    browser.open("/web/session")
    print("admin: index, movie search, periodic tasks")


# Checks that run signed in.
CHECKS = [check_session_page, check_task_monitor, check_request_inspector, check_flamegraph, check_admin]


def main() -> int:
    base_url, out_dir, token = sys.argv[1].rstrip("/"), Path(sys.argv[2]), sys.argv[3]
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile, sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, viewport={"width": 1200, "height": 800}
        )
        ctx.set_default_timeout(TIMEOUT_MS)
        browser = Browser(ctx.pages[0] if ctx.pages else ctx.new_page(), base_url, out_dir, token)
        watch(browser)
        try:
            sign_in(browser, token)
            for check in CHECKS:
                check(browser)
                browser.assert_clean(check.__name__)
            sign_out(browser)
            browser.assert_clean("sign-out")
        except Exception:
            try:
                browser.screenshot("web-failure", full_page=False)
            except Exception as err:  # the check's own error is the one to report
                print(f"no failure screenshot: {err}", file=sys.stderr)
            if browser.problems:
                print("browser problems:\n  " + "\n  ".join(browser.problems), file=sys.stderr)
            raise
        finally:
            ctx.close()
    print(f"screenshots in {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
