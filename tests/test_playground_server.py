"""The playground's server through its protocol, without a browser (Starlette's TestClient)."""

from __future__ import annotations

import base64
import json
import os
import random
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="needs the playground extra")
testclient = pytest.importorskip(
    "starlette.testclient", reason="Starlette's TestClient needs httpx2 (the dev extra)"
)
TestClient = testclient.TestClient
from starlette.websockets import WebSocketDisconnect  # noqa: E402

from groundup.cli import main  # noqa: E402
from groundup.playground.server import LOOPBACK_HOSTS, MAX_MESSAGE, MAX_UPLOAD, create_app  # noqa: E402

XOR = "dataset=xor&hidden=4,4&optimizer=adam&lr=0.03&activation=tanh&batch_size=10&points=200"


@pytest.fixture()
def client(tmp_path):
    return TestClient(create_app(tmp_path / "runs"))


def replies_until(ws, kind: str) -> list[dict]:
    """Messages up to and including the first of type ``kind``."""
    out = []
    while True:
        out.append(ws.receive_json())
        if out[-1]["type"] == kind:
            return out


def load(ws, query: str) -> list[dict]:
    ws.send_json({"type": "load", "query": query})
    return replies_until(ws, "frame")


def step(ws) -> dict:
    ws.send_json({"type": "step"})
    return ws.receive_json()


def test_the_page_and_its_files_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and "playground.js" in page.text
    assert client.get("/static/playground.js").status_code == 200
    assert client.get("/static/../server.py").status_code == 404


def test_steps_lower_the_loss_on_xor(client):
    with client.websocket_connect("/ws") as ws:
        settings, data, frame = load(ws, XOR)
        assert settings["settings"]["dataset"] == "xor" and settings["query"].startswith("dataset=")
        assert len(data["train"]) == 100 and data["classes"] == ["0", "1"]
        first = frame["test_loss"]
        assert frame["epoch"] == 0 and 0.6 < first < 0.8  # about ln 2 before training
        for _ in range(40):
            frame = step(ws)
        assert frame["epoch"] == 40 and frame["iteration"] == 400
        assert frame["test_loss"] < first / 2 and frame["train_loss"] < first / 2


def test_the_same_seed_gives_the_same_numbers_in_two_tabs(client):
    frames = []
    for _ in range(2):
        with client.websocket_connect("/ws") as ws:
            load(ws, XOR + "&seed=7")
            frames.append([step(ws) for _ in range(3)])
    assert frames[0] == frames[1]
    with client.websocket_connect("/ws") as ws:
        load(ws, XOR + "&seed=8")
        assert [step(ws) for _ in range(3)] != frames[0]


def test_the_url_state_round_trips_through_the_server(client):
    with client.websocket_connect("/ws") as ws:
        settings = load(ws, XOR)[0]
        ws.send_json({"type": "set", "changes": {"optimizer": "adam", "hidden": [3, 3, 3]}})
        changed = replies_until(ws, "frame")[0]
        # a new tab opened on the URL the page shows gets exactly these settings
        again = load(ws, changed["query"])[0]
        assert again["settings"] == changed["settings"] != settings["settings"]
        assert again["settings"]["hidden"] == [3, 3, 3]


def test_a_per_layer_activation_reaches_the_network_and_the_link(client):
    with client.websocket_connect("/ws") as ws:
        load(ws, XOR)  # the old single key: tanh for both layers
        frames = [step(ws) for _ in range(3)]
        ws.send_json({"type": "set", "changes": {"activations": ["tanh", "relu"]}})
        changed = replies_until(ws, "frame")[0]
        assert changed["settings"]["activations"] == ["tanh", "relu"]
        assert "activations=tanh,relu" in changed["query"]
        mixed = [step(ws) for _ in range(3)]
        assert mixed != frames  # layer 2's relu changed the numbers
        # layer 2's pictures are relu outputs: none below 0 (0 is byte 128), as tanh's are
        lowest = lambda frame: min(min(base64.b64decode(b)) for b in frame["neurons"][1])  # noqa: E731
        assert lowest(mixed[-1]) >= 127 and lowest(frames[-1]) < 127
        again = load(ws, changed["query"])[0]
        assert again["settings"] == changed["settings"]
        assert [step(ws) for _ in range(3)] == mixed  # the link reproduces the run


def test_an_unknown_or_extra_per_layer_activation_gets_an_error_frame(client):
    with client.websocket_connect("/ws") as ws:
        load(ws, XOR)
        for changes, words in [
            ({"activations": ["tanh", "swish"]}, "activation of hidden layer 2 must be one of"),
            ({"activations": ["tanh", "relu", "relu"]}, "3 names for 2 hidden layers"),
            ({"activations": [1, 2]}, "activations must be a list of strs"),
        ]:  # fmt: skip
            ws.send_json({"type": "set", "changes": changes})
            reply = ws.receive_json()
            assert reply["type"] == "error" and words in reply["message"], reply
        assert step(ws)["epoch"] == 1  # the session went on, with its last good settings
        error = load(ws, XOR.replace("activation=tanh", "activations=tanh,swish"))[0]
        assert error["type"] == "error" and "hidden layer 2" in error["message"]


def test_save_run_keeps_each_layers_activation(client, capsys):
    with client.websocket_connect("/ws") as ws:
        load(ws, XOR.replace("activation=tanh", "activations=tanh,relu"))
        step(ws)
        ws.send_json({"type": "save"})
        reply = ws.receive_json()
    assert reply["type"] == "saved", reply
    folder = Path(reply["path"])
    cfg = json.loads((folder / "config.json").read_text())
    assert cfg["run"]["activation"] == ["tanh", "relu"]
    assert "activations=tanh,relu" in cfg["playground"]["link"]
    assert main(["evaluate", str(folder)]) == 0
    assert "Linear(2, 4) -> Tanh -> Linear(4, 4) -> ReLU -> Linear(4, 1)" in capsys.readouterr().out


def test_a_bad_link_gets_its_reason_and_a_setup_to_show(client):
    with client.websocket_connect("/ws") as ws:
        error, settings, _, frame = load(ws, "dataset=upload&hidden=3")
        assert error["type"] == "error" and "upload the file again" in error["message"]
        assert settings["settings"]["dataset"] == "circle" and frame["epoch"] == 0


def test_play_streams_a_frame_each_time_the_page_has_drawn_one(client):
    with client.websocket_connect("/ws") as ws:
        load(ws, XOR)
        ws.send_json({"type": "play"})
        epochs = [ws.receive_json()["epoch"]]
        for _ in range(4):
            ws.send_json({"type": "drawn"})
            frame = ws.receive_json()
            assert frame["playing"] is True
            epochs.append(frame["epoch"])
        ws.send_json({"type": "pause"})  # first the epoch trained ahead, not playing any more
        last, paused = replies_until(ws, "paused")
        assert last["epoch"] == 6 and last["playing"] is False and paused["epoch"] == 6
        ws.send_json({"type": "drawn"})  # no frame comes while paused: the next reply is reset's
        ws.send_json({"type": "reset"})
        frame = ws.receive_json()
        assert epochs == [1, 2, 3, 4, 5] and frame["epoch"] == 0 and frame["playing"] is False


def _random_message(rng: random.Random) -> str:
    fields = ["dataset", "hidden", "lr", "noise", "points", "batch_size", "features", "engine",
              "classes", "problem", "seed", "reg_rate", "bogus", ""]
    values = [-1, 0, 1, 2.5, 1e308, float("inf"), "x", "", None, True, [], [1, 2], [0], [99] * 9,
              {"a": 1}, "circle", "spiral", "regression", ["x1"], ["x9"], 2**63]
    kind = rng.randrange(10)
    if kind == 0:  # not JSON at all
        return "".join(chr(rng.randrange(1, 0x3000)) for _ in range(rng.randrange(0, 40)))
    if kind == 1:  # JSON, but not an object with a type; or nested too deep to parse
        if rng.random() < 0.1:
            return "[" * 5000 + "]" * 5000
        return json.dumps(rng.choice([[], 3, "step", None, {"type": 5}, {"kind": "step"}]))
    if kind == 2:
        return json.dumps({"type": rng.choice(["", "STEP", "exec", "__init__", "_on_step"])})
    if kind == 3:
        return json.dumps({"type": "set", "changes": {rng.choice(fields): rng.choice(values)
                                                      for _ in range(rng.randrange(1, 4))}})
    if kind == 4:
        return json.dumps({"type": "set", "changes": rng.choice(values)})
    if kind == 5:
        return json.dumps({"type": "load", "query": rng.choice(
            ["hidden=1,2,3,4,5,6,7", "lr=abc", "points=99999", "%%%", "dataset=upload",
             "hidden=" + ",".join(["32"] * 6) + "&batch_size=30&points=200", "x=1&x=2", 5])})
    if kind == 6:
        return json.dumps({"type": "upload", "name": rng.choice(["a.csv", 3, None]),
                           "text": rng.choice(["x,y,label\n1,2,3\n", "", None, "x,y\n1,2\n",
                                               "x,y,label\n" + "1,2,a\n3,4,b\n" * 3])})
    if kind == 7:
        return json.dumps({"type": "step", "padding": "x" * (MAX_MESSAGE + 1)})
    # (no "pause": it is the test's sentinel, whose one reply marks the end of each exchange)
    return json.dumps({"type": rng.choice(["step", "reset", "regenerate", "drawn", "play"]),
                       "extra": rng.choice(values)})


def test_a_thousand_random_and_malformed_messages_leave_the_server_answering(client):
    rng = random.Random(0)
    errors = 0
    with client.websocket_connect("/ws") as ws:
        load(ws, "points=100&batch_size=30")
        for _ in range(1000):
            ws.send_text(_random_message(rng))
            ws.send_json({"type": "pause"})  # always answered; everything before it is drained
            for reply in replies_until(ws, "paused"):
                if reply["type"] == "error":
                    errors += 1
                    assert "internal error" not in reply["message"], reply["message"]
            ws.send_json({"type": "drawn"})  # harmless while paused
        frame = step(ws)
        assert frame["type"] == "frame" and frame["train_loss"] == frame["train_loss"], frame
    assert errors > 400  # most of them were refused, each with its error frame


def test_twenty_sessions_at_once_each_train_independently(client):
    queries = [f"{XOR}&seed={k}&hidden={k % 3 + 1}" for k in range(20)]
    sockets = [client.websocket_connect("/ws") for _ in queries]
    opened = [s.__enter__() for s in sockets]
    try:
        assert len(client.app.state.sessions) == 20
        for ws, q in zip(opened, queries, strict=True):
            ws.send_json({"type": "load", "query": q})
        for ws in opened:
            replies_until(ws, "frame")
        together = [[None] * 3 for _ in opened]
        for e in range(3):  # interleaved: each session's epoch e between the others'
            for ws in opened:
                ws.send_json({"type": "step"})
            for k, ws in enumerate(opened):
                together[k][e] = ws.receive_json()
    finally:
        for s in sockets:
            s.__exit__(None, None, None)
    assert client.app.state.sessions == {}  # closed tabs free their sessions
    for k in (0, 7, 19):  # alone, a session computes exactly what it did among the twenty
        with client.websocket_connect("/ws") as ws:
            load(ws, queries[k])
            assert [step(ws) for _ in range(3)] == together[k]


def test_a_foreign_origin_is_refused_and_the_own_origin_accepted(client):
    with pytest.raises(WebSocketDisconnect) as info:
        with client.websocket_connect("/ws", headers={"origin": "http://evil.example"}):
            pass
    assert info.value.code == 1008
    with client.websocket_connect("/ws", headers={"origin": "http://testserver"}) as ws:
        assert load(ws, "")[0]["type"] == "settings"


def test_a_rebound_host_name_reaches_nothing_on_a_loopback_server(tmp_path):
    app = create_app(tmp_path, allowed_hosts=LOOPBACK_HOSTS)
    evil = TestClient(app, base_url="http://evil.example:8765")
    assert evil.get("/").status_code == 400
    with pytest.raises(testclient.WebSocketDenialResponse) as refused:  # a 400 instead of 101
        with evil.websocket_connect("ws://evil.example:8765/ws",
                                    headers={"origin": "http://evil.example:8765"}):  # fmt: skip
            pass
    assert refused.value.status_code == 400
    own = TestClient(app, base_url="http://127.0.0.1:8765")
    assert own.get("/").status_code == 200
    with own.websocket_connect("ws://127.0.0.1:8765/ws",
                               headers={"origin": "http://127.0.0.1:8765"}) as ws:  # fmt: skip
        assert load(ws, "")[0]["type"] == "settings"


def test_limits_hold_on_the_server_whatever_the_page_sends(client):
    with client.websocket_connect("/ws") as ws:
        load(ws, "")
        for changes, words in [({"hidden": [33]}, "1 to 32"), ({"hidden": [2] * 7}, "at most 6"),
                               ({"points": 100000}, "[20, 5000]")]:  # fmt: skip
            ws.send_json({"type": "set", "changes": changes})
            reply = ws.receive_json()
            assert reply["type"] == "error" and words in reply["message"]
        ws.send_text(json.dumps({"type": "step", "pad": "x" * MAX_MESSAGE}))
        assert "limit" in ws.receive_json()["message"]
        ws.send_text(json.dumps({"type": "upload", "name": "big.csv", "text": "x" * MAX_UPLOAD}))
        assert f"the limit is {MAX_UPLOAD}" in ws.receive_json()["message"]
        reply = step(ws)
        assert reply.get("epoch") == 1, reply  # the session went on, with its last good settings


def test_a_diverging_network_stops_with_a_message_and_valid_json(client):
    def strict(text):  # JSON as browsers parse it: no NaN or Infinity
        return json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in a frame"))

    with client.websocket_connect("/ws") as ws:
        load(ws, "lr=10&activation=relu&hidden=32,32,32,32&optimizer=momentum"
                 "&features=x1,x2,x1^2,x2^2,x1x2")  # fmt: skip
        ws.send_json({"type": "play"})
        frame, error = strict(ws.receive_text()), strict(ws.receive_text())
        assert frame["diverged"] and frame["train_loss"] is None and not frame["playing"]
        assert error["type"] == "error" and "Lower the learning rate" in error["message"]
        ws.send_json({"type": "set", "changes": {"lr": 0.01}})
        frame = replies_until(ws, "frame")[-1]
        assert not frame["diverged"] and frame["train_loss"] < 10


def test_an_uploaded_csv_becomes_the_data_and_a_bad_one_a_clear_error(client):
    rows = "".join(f"{x},{y},{'ab'[(x > 0) != (y > 0)]}\n" for x in range(-3, 4) for y in (-2, 2))
    with client.websocket_connect("/ws") as ws:
        load(ws, "")
        ws.send_json({"type": "upload", "name": "mine.csv", "text": "x,y,label\n" + rows})
        settings, data, _ = replies_until(ws, "frame")
        assert settings["settings"]["dataset"] == "upload" and data["source"] == "mine.csv"
        assert data["classes"] == ["a", "b"] and len(data["train"]) + len(data["test"]) == 14
        ws.send_json({"type": "upload", "name": "bad.csv", "text": "a,b\n1,2\n"})
        reply = ws.receive_json()
        assert reply["type"] == "error" and reply["message"].startswith("bad.csv: the header")
        assert step(ws)["epoch"] == 1  # still on mine.csv


def test_save_run_writes_a_folder_that_evaluate_and_predict_accept(client, tmp_path, capsys):
    with client.websocket_connect("/ws") as ws:
        load(ws, "dataset=spiral&classes=3&hidden=8,8&points=150&optimizer=adam&lr=0.03")
        for _ in range(5):
            step(ws)
        ws.send_json({"type": "save"})
        saved = ws.receive_json()
        ws.send_json({"type": "png"})
        png = ws.receive_json()

    assert base64.b64decode(png["data"])[:8] == b"\x89PNG\r\n\x1a\n"
    folder = Path(saved["path"])
    assert folder.parent == tmp_path / "runs"
    for name in ("config.json", "model.safetensors", "metrics.json", "history.jsonl",
                 "data.csv", "plots/boundary_snapshots.png"):
        assert (folder / name).is_file(), name
    assert json.loads((folder / "config.json").read_text())["run"]["activation"] == "tanh"
    assert main(["evaluate", str(folder)]) == 0
    rows = tmp_path / "rows.csv"
    rows.write_text("x1,x2\n0.5,-1.0\n3.0,2.0\n")
    assert main(["predict", str(folder), str(rows)]) == 0
    out = capsys.readouterr().out
    assert "accuracy" in out and "rows.csv row 2:" in out


def test_import_groundup_does_not_import_the_web_stack():
    code = ("import sys, groundup, groundup.cli; groundup.cli.build_parser(); "
            "print(sorted(m for m in ('starlette', 'uvicorn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": "src"}, check=True).stdout
    assert out.strip() == "[]"


def test_the_command_serves_until_ctrl_c_and_refuses_a_busy_port(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(Path("src").absolute())}
    cmd = [sys.executable, "-c", "import sys; from groundup.cli import main; sys.exit(main())",
           "playground", "--port", "0", "--no-browser", "--runs-dir", str(tmp_path)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    try:
        line = proc.stdout.readline()
        url = line.split()[2]
        assert line.startswith("groundup playground: http://127.0.0.1:")
        with urllib.request.urlopen(url, timeout=60) as page:
            assert b"playground.js" in page.read()
        port = url.rsplit(":", 1)[1].strip("/")
        busy = subprocess.run([*cmd[:5], port, "--no-browser"], capture_output=True, text=True,
                              env=env, timeout=120)
        assert busy.returncode == 2 and busy.stderr.count("\n") == 1
        assert f"port {port} on 127.0.0.1 is in use" in busy.stderr
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill() if proc.poll() is None else None
    assert proc.returncode == 0 and "stopped" in out and "Traceback" not in err


def test_a_host_beyond_this_machine_warns():
    from groundup.cli.playground import _is_loopback

    assert _is_loopback("127.0.0.1") and _is_loopback("::1") and _is_loopback("localhost")
    assert not _is_loopback("0.0.0.0") and not _is_loopback("192.168.1.4")
