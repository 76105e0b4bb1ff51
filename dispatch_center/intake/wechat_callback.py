"""Opening a WeChat message callback: who signed it, when, whether it was seen, what it says.

Safe mode (``encrypt_type=aes``, the default the center expects): ``msg_signature`` covers
the token, timestamp, nonce and the encrypted message, which is decrypted with the
account's EncodingAESKey (``feeds.channels.wechat_crypto``). Plain mode, whose signature
covers no body, is refused unless ``DISPATCH_WECHAT_PLAIN_MODE`` is on. Either way the
timestamp must be within ``DISPATCH_SIGNATURE_WINDOW_S`` of the server's clock, and each
timestamp + nonce is remembered for that window (``accounts.signatures``): the same nonce with
another body is refused (a replay); with the same body it is the platform's retry, taken
again (the message's MsgId makes it change nothing twice).
"""

from __future__ import annotations

import time

from dispatch_center.accounts import signatures as replay
from dispatch_center.center import Center
from dispatch_center.errors import Invalid, Unauthorized
from dispatch_center.intake.errors import bad_payload
from feeds.base import PayloadError
from feeds.channels import wechat, wechat_crypto


def token(center: Center) -> str:
    """The account's server token (401 when the callback is not configured)."""
    value = center.settings.wechat_token
    if not value:
        # No token configured: no signature can be right (the platform is told so, not a 5xx).
        raise Unauthorized("the WeChat callback is off: DISPATCH_WECHAT_TOKEN is not set")
    return value


def _fresh(center: Center, timestamp: str) -> None:
    window = center.settings.signature_window_s
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise Unauthorized("WeChat callback without a timestamp")
    if abs(time.time() - int(timestamp)) > window:
        raise Unauthorized(f"WeChat timestamp is more than {window} s from the server's clock")


async def open_callback(
    center: Center,
    body: bytes,
    *,
    signature: str,
    timestamp: str,
    nonce: str,
    encrypt_type: str,
    msg_signature: str,
) -> bytes:
    """The message XML of a callback, once its signature, freshness and nonce are checked.

    401 for a wrong signature, a stale timestamp, plain mode while it is off, or a nonce
    seen with another body; 422 (naming the element) for a body that is not a callback.
    """
    s = center.settings
    secret = token(center)
    _fresh(center, timestamp)
    if encrypt_type == "aes":
        if s.wechat_aes_key is None or not s.wechat_app_id:
            raise Unauthorized(
                "WeChat safe mode is not configured: set DISPATCH_WECHAT_AES_KEY and"
                " DISPATCH_WECHAT_APP_ID"
            )
        try:
            encrypted = wechat_crypto.open_envelope(body)
        except PayloadError as exc:
            raise bad_payload("wechat", exc) from exc
        if not wechat_crypto.verify_msg_signature(
            secret, timestamp, nonce, encrypted, msg_signature
        ):
            raise Unauthorized("WeChat msg_signature does not match the message")
        await _first_time(center, timestamp, nonce, body)
        key = wechat_crypto.aes_key(s.wechat_aes_key.get_secret_value())
        try:
            message = wechat_crypto.decrypt(key, s.wechat_app_id, encrypted)
        except PayloadError as exc:
            raise bad_payload("wechat", exc) from exc
    elif encrypt_type in ("", "raw"):
        if not s.wechat_plain_mode:
            raise Unauthorized(
                "WeChat plain mode is off (its signature does not cover the message): use"
                " safe mode, or set DISPATCH_WECHAT_PLAIN_MODE=1"
            )
        if not wechat.verify(secret, timestamp, nonce, signature):
            raise Unauthorized("WeChat signature does not match")
        await _first_time(center, timestamp, nonce, body)
        message = body
    else:
        raise Invalid(
            f"unknown encrypt_type {encrypt_type!r}", fields={"encrypt_type": "aes or raw"}
        )
    return message


async def _first_time(center: Center, timestamp: str, nonce: str, body: bytes) -> None:
    # Remembered once the signature is right (garbage cannot use up a nonce).
    if await replay.first_time(center, "wechat", f"{timestamp}:{nonce}", body) == "replay":
        raise Unauthorized("this WeChat nonce was used before with another message")
