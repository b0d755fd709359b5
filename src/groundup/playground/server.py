"""The playground's web server: the static page, and one WebSocket session per browser tab.

Protocol (JSON text frames). The page sends ``{"type": ...}``:

========== ======================================================================================
load       ``{"query": "dataset=xor&..."}``: settings from the URL (the page's ``#`` part)
set        ``{"changes": {field: value}}``: change settings (a fresh network, epoch 0)
play       train, one epoch per frame; each ``drawn`` the page sends asks for the next frame
           (trained while the page drew the last one)
pause      stop; the frame of the epoch trained ahead comes first
step       one epoch, one frame
reset      fresh weights from the seed, epoch 0
regenerate draw the data again with the next seed
drawn      the page has drawn the last frame (the flow control of ``play``)
upload     ``{"name": "points.csv", "text": "x,y,label\\n..."}``: the user's own 2-D data
save       write a run folder; answers ``{"type": "saved", "path": ...}``
png        the boundary at iterations 0, 100, 500, 2000: ``{"type": "png", "data": base64}``
========== ======================================================================================

The server answers with ``settings`` (the checked settings and their ``query`` for the URL),
``data`` (the points), ``frame`` (see :mod:`.session`) and ``error`` (``{"message": ...}``; the
session goes on). A WebSocket whose ``Origin`` is not this server's own page is refused (a
page on another site cannot drive the local server); a message over :data:`MAX_MESSAGE` characters
(:data:`MAX_UPLOAD` for an upload) gets an error frame. Closing the tab drops its session.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import sys
from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import FileResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from groundup.errors import GroundupError
from groundup.playground import save
from groundup.playground.session import Session
from groundup.playground.settings import from_query, to_json, to_query, updated

STATIC = Path(__file__).parent / "static"
MAX_MESSAGE = 16 * 1024  # characters of any message but an upload
MAX_UPLOAD = 1024 * 1024  # characters of an upload message (the CSV's text and its envelope)
WS_MAX_SIZE = 4 * MAX_UPLOAD  # larger still, uvicorn closes the connection (memory protection)
MAX_SESSIONS = 64  # tabs at once
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
DIVERGED = ("the loss is no longer a finite number: the weights diverged. Lower the learning rate "
            "(or the regularization rate) and press reset")
log = logging.getLogger("groundup.playground")


def same_origin(origin: str | None, host: str | None) -> bool:
    """Whether a WebSocket's ``Origin`` is this server's own page (or absent: not a browser).

    Browsers always send ``Origin`` on a WebSocket; a page from another site sends its own,
    which differs from the ``Host`` the browser connected to.
    """
    if origin is None:
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and host is not None and parts.netloc == host


class Connection:
    """One tab: its :class:`Session` and whether it is playing."""

    def __init__(self, runs_dir: Path):
        self.session = Session()
        self.playing = False
        self.runs_dir = runs_dir
        # While playing, the next epoch trains in a worker thread as the page draws the last
        # one, so training and drawing overlap; any message but "drawn" first waits for it.
        self.ahead: asyncio.Future | None = None

    async def handle(self, text: str) -> list[dict]:
        """The replies to one message; a bad message gets one error frame."""
        settled = []
        try:
            msg = self._parse(text)
            if msg["type"] != "drawn":
                settled = await self._settle()
            return settled + await getattr(self, f"_on_{msg['type']}")(msg)
        except GroundupError as exc:
            self.playing = False
            return settled + [{"type": "error", "message": str(exc)}]

    async def _settle(self) -> list[dict]:
        """Finish the epoch trained ahead, if any; its frame (the session's state now)."""
        if self.ahead is None:
            return []
        frame, self.ahead = await self.ahead, None
        self.playing = False
        return self._shown(frame)

    def _shown(self, frame: dict) -> list[dict]:
        """A frame as sent, and the end of playing when the network has diverged."""
        if frame["diverged"]:
            self.playing = False
            return [self._state(frame), {"type": "error", "message": DIVERGED}]
        return [self._state(frame)]

    @staticmethod
    def _parse(text: str) -> dict:
        if len(text) > MAX_UPLOAD:
            raise GroundupError(f"message of {len(text)} characters; the limit is {MAX_UPLOAD}")
        try:
            msg = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: nested thousands of levels deep
            raise GroundupError("a message must be a JSON object such as {\"type\": \"step\"}") \
                from None
        if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
            raise GroundupError("a message must be a JSON object with a string \"type\"")
        if msg["type"] not in HANDLERS:
            raise GroundupError(f"unknown message type {msg['type']!r:.40}; known: "
                                f"{', '.join(HANDLERS)}")  # fmt: skip
        if msg["type"] != "upload" and len(text) > MAX_MESSAGE:
            raise GroundupError(f"{msg['type']} message of {len(text)} characters; the limit "
                                f"is {MAX_MESSAGE}")  # fmt: skip
        return msg

    # -- replies ----------------------------------------------------------------------------
    def _settings(self) -> dict:
        s = self.session.settings
        return {"type": "settings", "settings": to_json(s), "query": to_query(s)}

    async def _everything(self) -> list[dict]:
        frame = await asyncio.to_thread(self.session.frame)
        return [self._settings(), self.session.data.to_json(), self._state(frame)]

    def _state(self, frame: dict) -> dict:
        frame["playing"] = self.playing
        return frame

    def _train_epoch(self) -> asyncio.Future:
        def work():
            self.session.step(1)
            return self.session.frame()
        return asyncio.ensure_future(asyncio.to_thread(work))

    async def _epoch_frame(self) -> list[dict]:
        replies = self._shown(await self._train_epoch())
        if self.playing:
            self.ahead = self._train_epoch()
        return replies

    # -- handlers ---------------------------------------------------------------------------
    async def _on_load(self, msg):
        query = msg.get("query", "")
        if not isinstance(query, str):
            raise GroundupError("load needs a string query")
        self.playing = False
        try:
            self.session.apply(from_query(query))
        except GroundupError as exc:  # the page still gets a setup to show: the last good one
            return [{"type": "error", "message": f"this link: {exc}"}, *await self._everything()]
        return await self._everything()

    async def _on_set(self, msg):
        self.playing = False
        self.session.apply(updated(self.session.settings, msg.get("changes")))
        return await self._everything()

    async def _on_regenerate(self, msg):
        self.playing = False
        self.session.regenerate()
        return await self._everything()

    async def _on_upload(self, msg):
        name, text = msg.get("name", "upload.csv"), msg.get("text")
        if not isinstance(text, str) or not isinstance(name, str):
            raise GroundupError("upload needs the file's name and text")
        self.playing = False
        try:
            self.session.load_csv(text, name[:100])
        except GroundupError as exc:
            raise GroundupError(f"{name[:100]}: {exc}") from None
        return await self._everything()

    async def _on_reset(self, msg):
        self.playing = False
        self.session.reset()
        return [self._state(await asyncio.to_thread(self.session.frame))]

    async def _on_play(self, msg):
        self.playing = True
        return await self._epoch_frame()

    async def _on_pause(self, msg):
        self.playing = False
        return [{"type": "paused", "epoch": self.session.epoch}]

    async def _on_step(self, msg):
        self.playing = False
        return await self._epoch_frame()

    async def _on_drawn(self, msg):
        if not self.playing or self.ahead is None:
            return []
        frame, self.ahead = await self.ahead, None
        replies = self._shown(frame)
        if self.playing:
            self.ahead = self._train_epoch()
        return replies

    async def _on_save(self, msg):
        self.playing = False
        folder = await asyncio.to_thread(save.save_run, self.session, self.runs_dir)
        return [{"type": "saved", "path": str(folder)}]

    async def _on_png(self, msg):
        self.playing = False
        png = await asyncio.to_thread(save.boundary_png, self.session)
        return [{"type": "png", "data": base64.b64encode(png).decode("ascii"),
                 "name": "boundary-0-100-500-2000.png"}]  # fmt: skip


HANDLERS = ("load", "set", "play", "pause", "step", "reset", "regenerate", "drawn", "upload",
            "save", "png")


def create_app(runs_dir: str | Path = "runs", allowed_hosts=None) -> Starlette:
    """The ASGI application; ``app.state.sessions`` holds the open tabs' connections.

    ``allowed_hosts`` (e.g. :data:`LOOPBACK_HOSTS` for a server on 127.0.0.1): the only names a
    request's ``Host`` may carry. A page of another site whose name was made to point at
    127.0.0.1 (DNS rebinding) then reaches nothing, although its ``Origin`` matches its ``Host``.
    """

    async def index(request):
        return FileResponse(STATIC / "index.html")

    async def websocket(ws: WebSocket):
        if not same_origin(ws.headers.get("origin"), ws.headers.get("host")):
            await ws.close(code=1008)  # policy violation: refused before the handshake ends
            return
        sessions = ws.app.state.sessions
        await ws.accept()
        if len(sessions) >= MAX_SESSIONS:
            await ws.send_json({"type": "error", "message": f"{MAX_SESSIONS} tabs are open; "
                                "close one and reload"})  # fmt: skip
            await ws.close(code=1013)
            return
        conn = Connection(Path(runs_dir))
        sessions[id(conn)] = conn
        try:
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is None:
                    replies = [{"type": "error", "message": "send JSON text frames, not binary"}]
                else:
                    replies = await _guarded(conn, text)
                for reply in replies:
                    await ws.send_json(reply)
        except WebSocketDisconnect:
            pass
        finally:
            sessions.pop(id(conn), None)

    guard = [Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)] if allowed_hosts \
        else []
    app = Starlette(routes=[
        Route("/", index),
        WebSocketRoute("/ws", websocket),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ], middleware=guard)  # fmt: skip
    app.state.sessions = {}
    return app


async def _guarded(conn: Connection, text: str) -> list[dict]:
    """``conn.handle``, with a bug of ours reported as an error frame (and logged) instead of
    ending the tab's session."""
    try:
        return await conn.handle(text)
    except Exception as exc:  # noqa: BLE001 - the session must go on; the traceback is logged
        log.exception("playground: internal error")
        print(f"groundup playground: internal error: {exc!r}", file=sys.stderr)
        return [{"type": "error", "message": f"internal error: {exc!r:.200}"}]


def uvicorn_server(runs_dir: str | Path = "runs", allowed_hosts=LOOPBACK_HOSTS):
    """The uvicorn server of the playground's app (quiet, WebSocket frames up to WS_MAX_SIZE)."""
    import uvicorn

    config = uvicorn.Config(create_app(runs_dir, allowed_hosts), log_level="warning",
                            lifespan="off", ws_max_size=WS_MAX_SIZE)  # fmt: skip
    return uvicorn.Server(config)


@contextlib.contextmanager
def running(runs_dir: str | Path = "runs", host: str = "127.0.0.1"):
    """Serve the playground on a free port in a background thread (for browser tests and the
    frame-rate benchmark); yields its URL and stops it on exit."""
    import socket
    import threading

    sock = socket.socket()
    sock.bind((host, 0))
    sock.listen(128)
    server = uvicorn_server(runs_dir)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{sock.getsockname()[1]}/"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()
