"""AWS endpoints that are dead in the two ways a real one dies: a server that accepts
every connection and never says a word (a hang), and a port nobody listens on (refused).
Real TCP on 127.0.0.1, for the deadline tests and `bench.deadlines`."""

from __future__ import annotations

import socket
import threading


class SilentServer:
    """Accepts every connection and never says a word."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._held: list[socket.socket] = []
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self._held.append(connection)

    def close(self) -> None:
        self._closing.set()
        self._listener.close()
        for connection in self._held:
            connection.close()


def refusing_url() -> str:
    """A port nobody listens on: every connection is refused at once."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
