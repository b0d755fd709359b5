"""The playground in a real browser: headless Chromium (Debian's package) driven by Playwright.

Skipped, with the reason, where Playwright or a chromium binary is missing; ``.ci/run``
installs Debian's chromium, so CI runs them. Screenshots go to ``$GROUNDUP_SCREENSHOTS`` (the
README's are made with ``GROUNDUP_SCREENSHOTS=docs``), else to the test's temporary folder.
Waits are on the page's state, never fixed sleeps, with generous limits for a slow machine.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (the dev extra)")
pytest.importorskip("uvicorn", reason="needs the playground extra")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip("no chromium installed (apt-get install chromium; .ci/run does this)",
                allow_module_level=True)

from groundup.playground.server import running  # noqa: E402

WAIT_MS = 120_000  # a slow 2-core machine shared with other work


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    with running(runs) as url:
        yield url, runs


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture()
def page(browser, server):
    page = browser.new_page(viewport={"width": 1320, "height": 860})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server[0])
    page.wait_for_function("window.playgroundStats.framesDrawn > 0", timeout=WAIT_MS)
    yield page
    page.close()
    assert errors == []  # no JavaScript exception on the way


@pytest.fixture()
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("GROUNDUP_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def heatmap(page) -> str:
    return page.evaluate("document.getElementById('heatmap').toDataURL()")


def number(page, selector: str) -> float:
    return float(page.text_content(selector).replace(",", ""))


def wait_idle(page):
    """Wait until the page has drawn the reply to the last change (the frame of epoch 0)."""
    page.wait_for_function("window.playground.frame && window.playground.frame.epoch === 0 && "
                           "!window.playground.playing", timeout=WAIT_MS)  # fmt: skip


def change(page, js: str, expect_in_url: str):
    """Run ``js`` (which changes a control) and wait until the URL shows ``expect_in_url``."""
    page.evaluate(js)
    page.wait_for_function(f"location.hash.includes({expect_in_url!r})", timeout=WAIT_MS)
    wait_idle(page)


def test_play_trains_and_the_heat_map_and_test_loss_move(page, shots):
    page.check("#show_test")
    page.wait_for_function("location.hash.includes('show_test=1')", timeout=WAIT_MS)
    wait_idle(page)
    before_map, before_loss = heatmap(page), number(page, "#test-loss")
    page.click("#play")
    page.wait_for_function(
        "Number(document.getElementById('epoch').textContent.replace(/,/g, '')) > 50",
        timeout=WAIT_MS)  # fmt: skip
    page.click("#play")  # pause
    page.wait_for_function("!window.playground.playing", timeout=WAIT_MS)
    assert number(page, "#epoch") > 50
    assert heatmap(page) != before_map
    assert number(page, "#test-loss") < before_loss - 0.05
    # hovering a neuron draws its picture large in place of the output
    node = page.evaluate("window.playground.nodes.find(n => n.label === 'layer 1, neuron 1')")
    page.hover("#network", position={"x": node["x"] + node["size"] / 2,
                                     "y": node["y"] + node["size"] / 2})  # fmt: skip
    page.wait_for_function("document.getElementById('heatmap-title').textContent === "
                           "'layer 1, neuron 1'", timeout=WAIT_MS)  # fmt: skip
    assert heatmap(page) != before_map
    page.screenshot(path=str(shots / "playground.png"))


def test_spiral_with_three_classes_colours_the_map_by_class(page, shots):
    page.select_option("#dataset", "spiral")
    page.wait_for_function("location.hash.includes('dataset=spiral')", timeout=WAIT_MS)
    wait_idle(page)
    change(page, "const c = document.getElementById('classes'); c.value = 3; "
                 "c.dispatchEvent(new Event('change'))", "classes=3")
    change(page, "const s = document.getElementById('optimizer'); s.value = 'adam'; "
                 "s.dispatchEvent(new Event('change'))", "optimizer=adam")
    for _ in range(30):
        page.click("#step")
    page.wait_for_function("window.playground.frame.epoch === 30", timeout=WAIT_MS)
    state = page.evaluate("({classes: window.playground.data.classes, "
                          "planes: window.playground.frame.planes})")  # fmt: skip
    assert state == {"classes": ["0", "1", "2"], "planes": 3}
    # the three class colours each fill part of the map: sample its pixels
    counts = page.evaluate("""() => {
        const c = document.getElementById('heatmap'), d = c.getContext('2d')
            .getImageData(0, 0, c.width, c.height).data, hues = [0, 0, 0];
        for (let i = 0; i < d.length; i += 4 * 37) {
            const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
            if (r > g + 20 && r > b + 20) hues[0]++;        // orange: class 0
            else if (b > r + 20 && b > g) hues[1]++;        // blue: class 1
            else if (g > r + 20 && g > b + 10) hues[2]++;   // green: class 2
        }
        return hues; }""")
    page.screenshot(path=str(shots / "playground-spiral.png"))
    assert min(counts) > 20, counts


def test_an_uploaded_csv_is_drawn_and_a_bad_one_explained(page, tmp_path, shots):
    good = tmp_path / "points.csv"
    good.write_text("x,y,label\n" + "".join(
        f"{x},{y},{'inner' if x * x + y * y < 9 else 'outer'}\n"
        for x in range(-5, 6) for y in range(-5, 6)))  # fmt: skip
    page.set_input_files("#upload", str(good))
    page.wait_for_function("window.playground.data.source === 'points.csv'", timeout=WAIT_MS)
    assert page.evaluate("window.playground.data.classes") == ["inner", "outer"]
    assert "dataset=upload" in page.url
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n")
    page.set_input_files("#upload", str(bad))
    page.wait_for_function("document.getElementById('message').className === 'error'",
                           timeout=WAIT_MS)  # fmt: skip
    message = page.text_content("#message")
    assert message.startswith("bad.csv: the header must name the columns x, y and label")
    page.screenshot(path=str(shots / "playground-upload.png"))


def test_save_run_writes_a_run_folder(page, server):
    for _ in range(3):
        page.click("#step")
    page.wait_for_function("window.playground.frame.epoch === 3", timeout=WAIT_MS)
    page.click("#save")
    page.wait_for_function("document.getElementById('message').textContent.startsWith("
                           "'saved run:')", timeout=WAIT_MS)  # fmt: skip
    path = Path(page.text_content("#message").split()[2])
    assert path.parent == server[1] and (path / "model.safetensors").is_file()


def test_the_boundary_grid_downloads_as_a_png(page, tmp_path):
    with page.expect_download(timeout=WAIT_MS) as info:
        page.click("#png")
    download = info.value
    assert download.suggested_filename == "boundary-0-100-500-2000.png"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_link_reproduces_the_setup(browser, server):
    link = server[0] + "#dataset=xor&hidden=5,3,2&activation=relu&lr=0.1&engine=scratch"
    page = browser.new_page()
    page.goto(link)
    page.wait_for_function("window.playgroundStats.framesDrawn > 0", timeout=WAIT_MS)
    s = page.evaluate("window.playground.settings")
    assert (s["dataset"], s["hidden"], s["activations"], s["lr"], s["engine"]) == (
        "xor", [5, 3, 2], ["relu"] * 3, 0.1, "scratch")
    assert page.input_value("#engine") == "scratch" and page.input_value("#dataset") == "xor"
    page.close()


def test_layer_2_gets_its_own_activation_kept_in_the_link(page, browser):
    page.select_option("#activation-1", "relu")  # the default network: 2 hidden layers, tanh
    page.wait_for_function("location.hash.includes('activations=tanh,relu')", timeout=WAIT_MS)
    wait_idle(page)
    assert page.evaluate("window.playground.settings.activations") == ["tanh", "relu"]
    assert page.input_value("#activation-0") == "tanh"
    assert page.input_value("#activation") == "(per layer)"  # the all-layers select
    link = page.url
    other = browser.new_page()
    other.goto(link)
    other.wait_for_function("window.playgroundStats.framesDrawn > 0", timeout=WAIT_MS)
    assert [other.input_value(f"#activation-{i}") for i in (0, 1)] == ["tanh", "relu"]
    other.close()
    page.select_option("#activation", "sigmoid")  # all layers at once
    page.wait_for_function("location.hash.includes('activations=sigmoid,sigmoid')",
                           timeout=WAIT_MS)  # fmt: skip
    wait_idle(page)
    assert page.input_value("#activation-1") == "sigmoid"


def test_discretize_output_paints_the_map_in_the_predicted_class_only(page):
    """TensorFlow Playground's "Discretize output": the output picture loses its shades of
    confidence and keeps two colours (one output's sign), kept in the link."""
    wait_idle(page)
    # the colours of the output picture; null until a new frame's picture is drawn (a frame
    # arrives before the animation frame that draws it)
    colours = """() => {
        const c = window.playground.frame && window.playground.frame.outputPicture;
        if (!c) return null;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, seen = new Set();
        for (let i = 0; i < d.length; i += 4) seen.add(d[i] + ',' + d[i + 1] + ',' + d[i + 2]);
        return seen.size; }"""
    assert page.evaluate(colours) > 2  # shades of orange, white and blue
    page.check("#discretize")
    page.wait_for_function("location.hash.includes('discretize=1')", timeout=WAIT_MS)
    page.wait_for_function(f"(n => n !== null && n <= 2)(({colours})())", timeout=WAIT_MS)
    page.uncheck("#discretize")  # and back: the shades return
    page.wait_for_function(f"(n => n !== null && n > 2)(({colours})())", timeout=WAIT_MS)
