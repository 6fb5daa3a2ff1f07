"""A local AWS emulator: moto's server on 127.0.0.1, and the environment that points
boto3 (and `chalice local`, `manage.py`) at it with fake credentials."""

from __future__ import annotations

import logging
from types import TracebackType

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class LocalAws:
    """`with LocalAws() as aws: aws.env` -> variables for a process to use the emulator."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)

    def start(self) -> LocalAws:
        from localdev import fast_moto, moto_limits

        fast_moto.install()
        moto_limits.install()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server.start()
        # An in-process moto server shares moto's state with every other one the process
        # ran: start empty, so nothing an earlier emulator made is seen in this one.
        import requests

        requests.post(f"{self.endpoint_url}/moto-api/reset", timeout=10).raise_for_status()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> LocalAws:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def endpoint_url(self) -> str:
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    @property
    def env(self) -> dict[str, str]:
        return {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": self.endpoint_url}
