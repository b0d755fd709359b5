"""``groundup playground``: TensorFlow Playground's page, trained by groundup's own engines.

The server (:mod:`.server`, Starlette + uvicorn, the ``playground`` extra) keeps one
:class:`~groundup.playground.session.Session` per browser tab and streams a frame per epoch over
a WebSocket; the page (``static/``, plain JavaScript and canvas, no build step) only draws.
Settings and their limits are checked in :mod:`.settings`; the engines are reached only through
:mod:`.adapter`.
"""
