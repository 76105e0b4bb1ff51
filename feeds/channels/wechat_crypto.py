"""WeChat's safe mode (安全模式): callbacks whose signature covers the message.

In plain mode the platform signs only ``token``, ``timestamp`` and ``nonce``: the body is not
covered, so anyone who saw one callback's query could post any body under it. In safe mode
(``encrypt_type=aes``) the body is ``<xml><ToUserName/><Encrypt/></xml>``, ``Encrypt`` being
the message encrypted with the account's EncodingAESKey, and ``msg_signature`` is the SHA-1 of
the sorted ``token``, ``timestamp``, ``nonce`` and ``Encrypt``: the message cannot be changed
without the token, nor read without the key.

The encryption is the platform's (WXBizMsgCrypt): AES-256-CBC with the key
``base64(EncodingAESKey + "=")`` and its first 16 bytes as IV, over ``16 random bytes +
message length (4 bytes, big-endian) + message + AppID``, padded PKCS#7-style to a multiple
of 32 bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from feeds.base import PayloadError
from feeds.xmlsafe import child_text, parse_xml

BLOCK = 32


def aes_key(encoding_aes_key: str) -> bytes:
    """The AES key of an account's 43-character EncodingAESKey.

    Examples
    --------
    >>> len(aes_key("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"))
    32
    """
    if len(encoding_aes_key) != 43:
        raise ValueError("an EncodingAESKey has 43 characters")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error as exc:
        raise ValueError("an EncodingAESKey is base64 text") from exc
    return key


def msg_signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    """The platform's ``msg_signature`` of a safe-mode callback.

    Examples
    --------
    >>> msg_signature("t", "1", "n", "E") == hashlib.sha1(b"1Ent").hexdigest()
    True
    """
    joined = "".join(sorted([token, timestamp, nonce, encrypted]))
    return hashlib.sha1(joined.encode()).hexdigest()


def verify_msg_signature(
    token: str, timestamp: str, nonce: str, encrypted: str, given: str
) -> bool:
    """True when ``given`` is the ``msg_signature`` of this callback."""
    return hmac.compare_digest(
        msg_signature(token, timestamp, nonce, encrypted).encode(), given.lower().encode()
    )


def _cipher(key: bytes) -> Cipher[modes.CBC]:
    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


def encrypt(key: bytes, app_id: str, message: bytes, nonce16: bytes | None = None) -> str:
    """``Encrypt`` of ``message`` as the platform makes it (tests and replies).

    Examples
    --------
    >>> k = aes_key("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
    >>> decrypt(k, "wx1", encrypt(k, "wx1", "<xml>乐山</xml>".encode())).decode()
    '<xml>乐山</xml>'
    """
    plain = (nonce16 or os.urandom(16)) + struct.pack(">I", len(message)) + message
    plain += app_id.encode()
    pad = BLOCK - len(plain) % BLOCK
    plain += bytes([pad]) * pad
    enc = _cipher(key).encryptor()
    return base64.b64encode(enc.update(plain) + enc.finalize()).decode()


def decrypt(key: bytes, app_id: str, encrypted: str) -> bytes:
    """The message inside ``Encrypt``; PayloadError naming ``Encrypt`` when it is not one
    of this account's (wrong key, wrong AppID, damaged).
    """
    try:
        raw = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError):
        raise PayloadError("Encrypt", "not base64") from None
    if not raw or len(raw) % 16:
        raise PayloadError("Encrypt", "not an AES-CBC ciphertext")
    dec = _cipher(key).decryptor()
    plain = dec.update(raw) + dec.finalize()
    pad = plain[-1]
    if not 1 <= pad <= BLOCK or len(plain) < 20 + pad:
        raise PayloadError("Encrypt", "does not decrypt with this account's EncodingAESKey")
    content = plain[16:-pad]
    (length,) = struct.unpack(">I", content[:4])
    message, sender = content[4 : 4 + length], content[4 + length :]
    if len(message) != length or not hmac.compare_digest(sender, app_id.encode()):
        raise PayloadError("Encrypt", "not a message for this account (AppID or key differs)")
    return message


def envelope(to_user: str, encrypted: str) -> bytes:
    """The body of a safe-mode callback (as the platform posts it).

    Examples
    --------
    >>> open_envelope(envelope("gh_1", "QUJD"))
    'QUJD'
    """
    return (
        f"<xml><ToUserName><![CDATA[{to_user}]]></ToUserName>"
        f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    ).encode()


def open_envelope(body: bytes) -> str:
    """The ``Encrypt`` text of a safe-mode callback's body (PayloadError naming it)."""
    value = child_text(parse_xml(body), "Encrypt")
    if not value:
        raise PayloadError("Encrypt", "required element is missing")
    return value
