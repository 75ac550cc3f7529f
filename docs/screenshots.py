"""Make the README's screenshots: run the shipped Huangpu scenario into a temporary folder and take
pictures of report.html and map.html in headless Chromium with the network off.

    python docs/screenshots.py            # writes docs/img/report.png and docs/img/map.png
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer.report import browser  # noqa: E402


def main() -> None:
    reason = browser.missing()
    if reason:
        sys.exit(reason)
    img = ROOT / "docs" / "img"
    img.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "huangpu"
        scenario = ROOT / "scenarios" / "shanghai_huangpu" / "scenario.yaml"
        env = {**os.environ, "QUARTERHOUR_CACHE_DIR": str(Path(tmp) / "cache")}  # nothing in the source tree
        cmd = [sys.executable, str(ROOT / "cli.py"), "run", str(scenario), "--out", str(out), "-q"]
        subprocess.run(cmd, check=True, env=env)
        with browser.offline_browser() as driver:
            for page, size in (("report", (1000, 1400)), ("map", (1200, 900))):
                driver.set_window_size(*size)
                errors = browser.open_page(driver, out / f"{page}.html")
                if errors:
                    sys.exit(f"{page}.html: {errors}")
                driver.save_screenshot(str(img / f"{page}.png"))
                print(f"wrote {img / f'{page}.png'}")


if __name__ == "__main__":
    main()
