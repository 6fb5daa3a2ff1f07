"""The Web API calls beyond messages: a picture uploaded with slack_sdk's
`files_upload_v2` (files.getUploadURLExternal, the upload, files.completeUploadExternal;
scope `files:write`, the bot in the channel) and an App Home view published with
`views.publish`. Each failure is one typed error naming Slack's reason."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

_sdk_log = logging.getLogger("signin_alerts.slack_sdk")


class SurfaceCallFailed(Exception):
    """An upload or a publish failed; `error` is Slack's error name or the network's."""

    def __init__(self, method: str, error: str) -> None:
        super().__init__(f"{method}: {error}")
        self.method = method
        self.error = error


@dataclass(frozen=True)
class UploadedFile:
    file_id: str
    channel: str


class SlackSurfaces:
    def __init__(self, token: str, *, base_url: str | None = None, timeout: float = 2.0) -> None:
        from slack_sdk import WebClient

        kwargs: dict[str, Any] = {"token": token, "retry_handlers": [], "logger": _sdk_log}
        if base_url:
            kwargs["base_url"] = base_url
        self._client = WebClient(timeout=max(1, round(timeout)), **kwargs)

    def upload_png(
        self, data: bytes, *, channel: str, filename: str, title: str, alt_text: str, comment: str
    ) -> UploadedFile:
        """Upload `data` as a PNG into `channel` (an ID), with `comment` as its message."""
        from slack_sdk.errors import SlackApiError, SlackRequestError

        try:
            response = self._client.files_upload_v2(
                content=data,
                filename=filename,
                title=title,
                alt_txt=alt_text,
                channel=channel,
                initial_comment=comment,
            )
        except SlackApiError as error:
            raise SurfaceCallFailed("files_upload_v2", _error(error.response)) from None
        except SlackRequestError as error:  # the upload POST itself was refused
            raise SurfaceCallFailed("files_upload_v2", f"upload: {str(error)[:200]}") from None
        except Exception as error:  # urllib: timeouts, resets, refused connections
            raise SurfaceCallFailed("files_upload_v2", f"network: {type(error).__name__}") from None
        file = response.get("file") or {}
        return UploadedFile(str(file.get("id", "")) if isinstance(file, dict) else "", channel)

    def publish_home(self, user_id: str, view: dict[str, Any]) -> None:
        """Show `view` as `user_id`'s App Home tab (views.publish)."""
        from slack_sdk.errors import SlackApiError

        try:
            self._client.views_publish(user_id=user_id, view=view)
        except SlackApiError as error:
            raise SurfaceCallFailed("views.publish", _error(error.response)) from None
        except Exception as error:
            raise SurfaceCallFailed("views.publish", f"network: {type(error).__name__}") from None


def _error(response: Any) -> str:
    return str(response.get("error", "") or "error")
