"""``groundup playground``: TensorFlow Playground's page on a local server, trained by groundup.

groundup playground                     # http://127.0.0.1:8765/, opens the browser
groundup playground --port 9000 --no-browser
groundup playground --host 0.0.0.0      # reachable from other machines (warns)

Needs the ``playground`` extra (Starlette, uvicorn, websockets). Ctrl-C stops the server.
"""

from __future__ import annotations

import ipaddress
import socket
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "playground",
        help="a local web page to train small networks on 2-D data and watch them learn",
        description="Start a local web server with an interactive playground (TensorFlow "
        "Playground's features and more) whose networks are trained by groundup's engines.",
    )
    p.add_argument("--port", type=_port, default=8765,
                   help="port to listen on (default 8765; 0 picks a free one)")  # fmt: skip
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1, this machine only)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--runs-dir", default="runs", metavar="DIR",
                   help="where 'save run' writes run folders (default: runs)")  # fmt: skip
    p.set_defaults(func=run)


def _port(text: str) -> int:
    import argparse

    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a port is a number, got {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port lies in 0..65535, got {port}")
    return port


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket, or one line that says why not."""
    from groundup.errors import GroundupError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except socket.gaierror as exc:
        raise GroundupError(f"cannot resolve --host {host} ({exc.strerror})") from None
    except OSError as exc:
        why = "is in use" if exc.errno in (48, 98) else f"cannot be opened ({exc.strerror})"
        raise GroundupError(f"port {port} on {host} {why}; choose another with --port "
                            f"(0 picks a free one)") from None  # fmt: skip
    return sock


def run(args) -> int:
    from groundup.errors import require

    require("starlette", "playground", "groundup playground")
    require("uvicorn", "playground", "groundup playground")
    from groundup.playground.server import LOOPBACK_HOSTS, uvicorn_server

    if not _is_loopback(args.host):
        print(f"groundup playground: warning: --host {args.host} lets other machines reach "
              "this playground: anyone who can connect can train networks here and write run "
              "folders", file=sys.stderr)  # fmt: skip
    sock = _listen(args.host, args.port)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    print(f"groundup playground: {url}  (Ctrl-C stops it)", flush=True)
    # on this machine only, requests must name it (no DNS rebinding); else any name will do
    server = uvicorn_server(args.runs_dir, LOOPBACK_HOSTS if _is_loopback(args.host) else None)
    if not args.no_browser:
        import webbrowser

        webbrowser.open(url)
    try:
        server.run(sockets=[sock])  # returns after Ctrl-C, once open sessions are closed
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it handled: the way to stop
        pass
    finally:
        sock.close()
    print("groundup playground: stopped", flush=True)
    return 0
