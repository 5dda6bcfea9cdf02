"""Turn an upstream answer into the gateway's response without re-encoding it."""

from __future__ import annotations

from fastapi import Response

from vt_gateway.upstream import UpstreamReply


def relay(reply: UpstreamReply, status_code: int | None = None) -> Response:
    """Send the upstream's JSON body as is (validated contracts, no second round of encoding)."""
    if reply.status == 204 or not reply.content:
        return Response(status_code=status_code or 204, headers=reply.headers)
    return Response(
        content=reply.content,
        status_code=status_code or reply.status,
        media_type="application/json",
        headers=reply.headers,
    )
