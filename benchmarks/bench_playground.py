"""Frames per second the playground's page receives and draws, measured in headless Chromium.

TensorFlow Playground animates one epoch per frame at up to about 60 frames per second. Here
each frame is one epoch trained by a groundup engine on the server, sent over the WebSocket,
decoded and drawn on the page's canvases; the page asks for the next frame only after drawing
the last (the protocol's flow control), so the rate counts the whole loop. For the default
network (TensorFlow Playground's opening screen: circle, 250 training points, batch 10, 2 -> 4
-> 2 -> 1 tanh) on each engine, after a warm-up of 30 frames, frames are counted over
``--seconds`` of the page's own clock (``performance.now``).

Criterion: at least MIN_FPS frames per second on the default (autograd) engine; exits 1 if not.
Needs the playground extra, Playwright and a chromium binary (Debian's ``chromium``).

    python benchmarks/bench_playground.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile

MIN_FPS = 30.0
AIM_FPS = 60.0


def measure(browser, url: str, engine: str, seconds: float) -> float:
    """Frames drawn per second of the page's clock while playing on ``engine``."""
    page = browser.new_page(viewport={"width": 1320, "height": 860})
    page.goto(f"{url}#engine={engine}")
    page.wait_for_function("window.playgroundStats.framesDrawn > 0", timeout=120_000)
    page.click("#play")
    page.wait_for_function("window.playgroundStats.framesDrawn > 30", timeout=120_000)
    read = ("[window.playgroundStats.framesDrawn, performance.now(), "
            "window.playgroundStats.drawMs]")
    t0 = page.evaluate(read)
    page.wait_for_timeout(seconds * 1000)  # the measuring window
    t1 = page.evaluate(read)
    epoch = page.evaluate("window.playground.frame.epoch")
    page.click("#play")
    page.close()
    fps = (t1[0] - t0[0]) / ((t1[1] - t0[1]) / 1000)
    draw_ms = (t1[2] - t0[2]) / max(1, t1[0] - t0[0])
    print(f"{engine:>9}: {fps:6.1f} frames/s ({t1[0] - t0[0]} frames in "
          f"{(t1[1] - t0[1]) / 1000:.1f} s, {draw_ms:.1f} ms drawing each; epoch {epoch} "
          f"when paused)")
    return fps


def server_alone(engine: str, seconds: float) -> float:
    """Epochs per second the server trains and turns into frames with no page to draw them."""
    import json
    import time

    from groundup.playground.session import Session
    from groundup.playground.settings import Settings

    session, n = Session(Settings(engine=engine)), 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        session.step(1)
        json.dumps(session.frame())
        n += 1
    return n / (time.perf_counter() - t0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring window per engine")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("no chromium installed (apt-get install chromium)", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    from groundup.playground.server import running

    engines = ["autograd", "scratch"]
    try:
        import torch  # noqa: F401

        engines.append("torch")
    except ImportError:
        pass
    print(f"default network, one epoch per frame, headless Chromium ({os.cpu_count()} CPUs)")
    with tempfile.TemporaryDirectory() as runs, running(runs) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        rates = {engine: measure(browser, url, engine, args.seconds) for engine in engines}
        browser.close()
    for engine in engines:
        print(f"{engine:>9}: {server_alone(engine, args.seconds / 2):6.1f} epochs/s trained and "
              f"encoded by the server alone (the ceiling for the page)")
    ok = rates["autograd"] >= MIN_FPS
    print(f"criterion: autograd >= {MIN_FPS:.0f} frames/s (TensorFlow Playground aims at about "
          f"{AIM_FPS:.0f}): {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
