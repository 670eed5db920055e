"""A local incoming-webhook receiver on 127.0.0.1 that checks each payload as the real
service documents it, and answers as it does: 200 "ok", or 400 with the reason.

Slack (docs.slack.dev, incoming webhooks and Block Kit): a JSON object with ``text`` (the
notification fallback) and ``blocks``: at most 50, each with a known ``type``; a ``section``
holds a text object (``mrkdwn`` or ``plain_text``) of 1 to 3000 characters; a ``header``
a ``plain_text`` of at most 150. Mattermost (developers.mattermost.com, message
attachments): ``text`` and/or ``attachments``; each attachment needs its plain-text
``fallback``; ``color`` is a hex code; ``fields`` hold ``title``, ``value`` and a boolean
``short``.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_BLOCK_TYPES = {"section", "header", "divider", "context", "actions", "image", "rich_text", "markdown"}


def slack_problems(payload: Any) -> list[str]:
    if not isinstance(payload, dict):
        return ["not a JSON object"]
    problems = []
    if not isinstance(payload.get("text"), str) or not payload["text"].strip():
        problems.append("text: the notification fallback is missing")
    blocks = payload.get("blocks")
    if not isinstance(blocks, list) or not 1 <= len(blocks) <= 50:
        return [*problems, "blocks: 1 to 50 blocks"]
    for index, block in enumerate(blocks):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind not in _BLOCK_TYPES:
            problems.append(f"blocks[{index}]: unknown type {kind!r}")
            continue
        text = block.get("text")
        if kind == "section":
            if not (isinstance(text, dict) and text.get("type") in ("mrkdwn", "plain_text")
                    and isinstance(text.get("text"), str) and 1 <= len(text["text"]) <= 3000):
                problems.append(f"blocks[{index}]: a section's text object")
        if kind == "header":
            if not (isinstance(text, dict) and text.get("type") == "plain_text"
                    and isinstance(text.get("text"), str) and 1 <= len(text["text"]) <= 150):
                problems.append(f"blocks[{index}]: a header's plain_text")
    return problems


def mattermost_problems(payload: Any) -> list[str]:
    if not isinstance(payload, dict):
        return ["not a JSON object"]
    problems = []
    text, attachments = payload.get("text"), payload.get("attachments")
    if text is None and attachments is None:
        problems.append("text or attachments is required")
    if text is not None and not isinstance(text, str):
        problems.append("text is not a string")
    for index, attachment in enumerate(attachments or []):
        if not isinstance(attachment, dict) or not isinstance(attachment.get("fallback"), str) \
                or not attachment["fallback"].strip():
            problems.append(f"attachments[{index}]: fallback is required")
            continue
        if "color" in attachment and not _HEX.match(str(attachment["color"])):
            problems.append(f"attachments[{index}]: color is not a hex code")
        for number, item in enumerate(attachment.get("fields") or []):
            if not (isinstance(item, dict) and isinstance(item.get("title"), str)
                    and isinstance(item.get("value"), str) and isinstance(item.get("short", False), bool)):
                problems.append(f"attachments[{index}].fields[{number}]")
    return problems


CHECKS = {"slack": slack_problems, "mattermost": mattermost_problems}


class Receiver:
    """``with Receiver("slack") as hook: hook.url``; ``fail`` answers that status that many times."""

    def __init__(self, service: str, fail: int = 0, status: int = 500) -> None:
        self.service, self.fail, self.status = service, fail, status
        self.payloads: list[Any] = []
        self.refused: list[list[str]] = []
        self.calls = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                receiver.calls += 1
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if receiver.fail > 0:
                    receiver.fail -= 1
                    return self._answer(receiver.status, "try again")
                if "application/json" not in (self.headers.get("Content-Type") or ""):
                    receiver.refused.append(["Content-Type is not application/json"])
                    return self._answer(400, "invalid_payload")
                try:
                    payload = json.loads(raw)
                except ValueError:
                    receiver.refused.append(["not JSON"])
                    return self._answer(400, "invalid_payload")
                problems = CHECKS[receiver.service](payload)
                if problems:
                    receiver.refused.append(problems)
                    return self._answer(400, "invalid_blocks")
                receiver.payloads.append(payload)
                self._answer(200, "ok")

            def _answer(self, status: int, text: str) -> None:
                body = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks/T000/B000/secret-part-XYZ"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
