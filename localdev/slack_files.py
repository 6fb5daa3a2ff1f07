"""The local Slack's file uploads and App Home views, beside `slack_sink.py`.

slack_sdk's `files_upload_v2` makes three requests: `files.getUploadURLExternal`
(filename, length and alt text in the query string), a POST of the bytes to the upload
URL it answered (here on the sink itself), and `files.completeUploadExternal` (the file
IDs, the channel, the comment). `views.publish` records each Home view published. All
are kept apart from the sink's `requests`, so they never count as messages.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

UPLOAD_PREFIX = "/upload/v1/"
FILE_METHODS = ("files.getUploadURLExternal", "files.completeUploadExternal", "views.publish")


@dataclass
class Upload:
    file_id: str
    filename: str
    length: int
    alt_txt: str
    data: bytes = b""
    channel: str = ""
    initial_comment: str = ""
    title: str = ""
    completed: bool = False


@dataclass(frozen=True)
class PublishedView:
    user_id: str
    view: dict[str, Any]


def _params(query: str, body: bytes, content_type: str) -> dict[str, Any]:
    params: dict[str, Any] = {k: v[0] for k, v in parse_qs(query).items()}
    if content_type.startswith("application/json") and body:
        params.update(json.loads(body))
    elif body:
        params.update({k: v[0] for k, v in parse_qs(body.decode()).items()})
    return params


class SinkFiles:
    """What the sink answers for uploads and views; `error` scripts a Web API failure
    (`{"ok": false, "error": error}`) for the next call of `error_method`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.uploads: list[Upload] = []
        self.views: list[PublishedView] = []
        self.error = ""
        self.error_method = ""

    @staticmethod
    def handles(path: str) -> bool:
        route = urlsplit(path).path
        return route.startswith(UPLOAD_PREFIX) or route.rsplit("/", 1)[-1] in FILE_METHODS

    @property
    def completed(self) -> list[Upload]:
        return [upload for upload in self.uploads if upload.completed]

    def answer(self, path: str, body: bytes, content_type: str, base_url: str) -> Any:
        """The answer's body: a JSON object for the Web API, text for an upload."""
        parts = urlsplit(path)
        if parts.path.startswith(UPLOAD_PREFIX):
            return self._take_bytes(parts.path.removeprefix(UPLOAD_PREFIX), body)
        method = parts.path.rsplit("/", 1)[-1]
        params = _params(parts.query, body, content_type)
        with self._lock:
            if self.error and self.error_method == method:
                error, self.error = self.error, ""
                return {"ok": False, "error": error}
            if method == "files.getUploadURLExternal":
                file_id = f"F0SINK{len(self.uploads) + 1:04d}"
                self.uploads.append(
                    Upload(
                        file_id,
                        str(params.get("filename", "")),
                        int(params.get("length", 0)),
                        str(params.get("alt_txt", "")),
                    )
                )
                return {
                    "ok": True,
                    "upload_url": base_url + UPLOAD_PREFIX + file_id,
                    "file_id": file_id,
                }
            if method == "files.completeUploadExternal":
                return self._complete(params)
            view = params.get("view", "{}")
            self.views.append(
                PublishedView(
                    str(params.get("user_id", "")),
                    json.loads(view) if isinstance(view, str) else view,
                )
            )
            return {"ok": True, "view": {"id": f"V0SINK{len(self.views)}"}}

    def _take_bytes(self, file_id: str, body: bytes) -> str | None:
        with self._lock:
            for upload in self.uploads:
                if upload.file_id == file_id:
                    upload.data = body
                    return f"OK - {len(body)}"
        return None  # no such upload: a 404

    def _complete(self, params: dict[str, Any]) -> dict[str, Any]:
        files = params.get("files", "[]")
        wanted = json.loads(files) if isinstance(files, str) else files
        done = []
        for entry in wanted:
            upload = next((u for u in self.uploads if u.file_id == entry.get("id")), None)
            if upload is None or len(upload.data) != upload.length:
                return {"ok": False, "error": "file_upload_size_mismatch"}
            upload.completed = True
            upload.channel = str(params.get("channel_id", ""))
            upload.initial_comment = str(params.get("initial_comment", ""))
            upload.title = str(entry.get("title") or "")
            done.append({"id": upload.file_id, "name": upload.filename, "title": upload.title})
        return {"ok": True, "files": done}
