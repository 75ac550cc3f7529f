"""Open the report pages in headless Chromium with the network off: used by the tests (console errors,
the map's layers) and by ``docs/screenshots.py`` (the README's pictures).

Needs Debian's ``chromium`` and ``chromium-driver`` and the ``selenium`` package; :func:`missing` says
what is absent so callers can skip cleanly.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

FLAGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    # Any host name resolves to nothing: a page that needs the network shows it as console errors.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--window-size=1200,900",
)


def executables() -> tuple[str | None, str | None]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    return browser, shutil.which("chromedriver")


def missing() -> str | None:
    """Why the browser cannot run here (None when it can)."""
    browser, driver = executables()
    if browser is None or driver is None:
        return "headless Chromium is not installed (Debian: apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed (pip install '.[test]')"
    return None


@contextmanager
def offline_browser() -> Iterator[Any]:
    """A headless Chromium driven by selenium, with DNS and the network disabled."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = executables()
    profile = tempfile.mkdtemp(prefix="qh-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser or ""
    for f in (*FLAGS, f"--user-data-dir={profile}"):
        opts.add_argument(f)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=opts)
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0},
        )
        driver.set_page_load_timeout(60)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def open_page(driver: Any, path: Path) -> list[str]:
    """Load a local page and return its console errors (messages at level SEVERE)."""
    driver.get(Path(path).resolve().as_uri())
    driver.execute_async_script("const done = arguments[arguments.length - 1]; setTimeout(done, 500);")
    return [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def external_requests(driver: Any) -> list[str]:
    """Resources the page asked for beyond its own file and inline data."""
    names = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    return [n for n in names if not n.startswith(("data:", "file:", "blob:"))]
