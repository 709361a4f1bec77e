"""Headless Chromium check of the Swagger UI at /docs, with Python Playwright.

Loads /docs, checks that Swagger UI renders one operation block per operation of the
committed spec (and the /api/movies block is visible), then expands
GET /api/movies/{movie_id}, clicks "Try it out", fills movie_id=1, clicks "Execute" and
checks that the live response shows 200 with Toy Story in the body. Saves screenshots.

Uses the system Chromium (never downloads a browser).

Usage: python swagger_ui.py BASE_URL SCREENSHOT_DIR [SPEC_PATH]
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 30_000


def count_operations(spec_path: Path) -> int:
    spec = json.loads(spec_path.read_text())
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    return sum(1 for item in spec["paths"].values() for m in item if m in methods)


def opblock(page, method: str, path: str):
    """The operation block for METHOD PATH."""
    return page.locator(f".opblock.opblock-{method.lower()}").filter(
        has=page.locator(f'.opblock-summary-path[data-path="{path}"]')
    )


def main() -> int:
    base_url = sys.argv[1].rstrip("/")
    out_dir = Path(sys.argv[2])
    spec_path = Path(sys.argv[3]) if len(sys.argv) > 3 else None
    out_dir.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile, sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        ctx.set_default_timeout(TIMEOUT_MS)
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        console_errors: list[str] = []
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: console_errors.append(str(e)))
        try:
            resp = page.goto(f"{base_url}/docs", wait_until="load")
            assert resp is not None and resp.status == 200, f"GET /docs -> {resp and resp.status}"

            # 1. Swagger UI rendered the operations.
            expect(page.locator(".swagger-ui .info .title")).to_contain_text("MovieLens API")
            blocks = page.locator(".swagger-ui .opblock")
            expect(blocks.first).to_be_visible()
            movies = opblock(page, "get", "/api/movies")
            expect(movies).to_be_visible()
            rendered = blocks.count()
            print(f"rendered operation blocks: {rendered}")
            if spec_path is not None:
                expected = count_operations(spec_path)
                assert rendered == expected, f"{rendered} operation blocks rendered, spec has {expected}"
            for method, path in [
                ("post", "/api/ratings"),
                ("delete", "/api/ratings/{rating_id}"),
                ("get", "/api/health"),
            ]:
                expect(opblock(page, method, path)).to_be_visible()
            page.screenshot(path=str(out_dir / "swagger-ui-operations.png"), full_page=True)

            # 2. Execute GET /api/movies/{movie_id} with movie_id=1 from the UI.
            op = opblock(page, "get", "/api/movies/{movie_id}")
            op.locator(".opblock-summary").first.click()
            op.locator("button.try-out__btn").click()
            param = op.locator('tr[data-param-name="movie_id"] input')
            param.fill("1")
            op.locator("button.execute").click()
            status = op.locator(".live-responses-table .response .response-col_status").first
            expect(status).to_have_text("200")
            body = op.locator(".live-responses-table .response-col_description pre").first
            expect(body).to_contain_text("Toy Story (1995)")
            expect(op.locator(".request-url pre, .request-url").first).to_contain_text("/api/movies/1")
            op.scroll_into_view_if_needed()
            op.screenshot(path=str(out_dir / "swagger-ui-try-it-out.png"))
            print("GET /api/movies/{movie_id} executed from Swagger UI: live response 200, Toy Story (1995)")
        except Exception:
            page.screenshot(path=str(out_dir / "swagger-ui-failure.png"), full_page=True)
            if console_errors:
                print("browser console errors:\n  " + "\n  ".join(console_errors), file=sys.stderr)
            raise
        finally:
            ctx.close()
    print(f"screenshots in {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
