"""Citizens' texts that answer us rather than ask: the hook through which the SMS intake
hands a text to whoever reads survey replies (:mod:`dispatch_center.citizen.replies`)
before making it an order. The reader sits above intake in the layers, so it registers
itself here at start-up (:class:`SmsReplies`, a runtime on the center).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from dispatch_center.center import Center

#: ``(center, sender, text, at) -> taken``: True when the text was a reply and is handled.
ReplyReader = Callable[[Center, str, str, datetime], Awaitable[bool]]


class SmsReplies:
    """The reader of survey replies this process has (none: every text is a request).

    Examples
    --------
    >>> SmsReplies().reader is None
    True
    """

    def __init__(self, reader: ReplyReader | None = None) -> None:
        self.reader = reader


async def take_reply(center: Center, sender: str, text: str, at: datetime) -> bool:
    """Whether ``text`` from ``sender`` was a reply to us (then it is handled, and must
    not become a new order).
    """
    hook = center.runtimes.find(SmsReplies)
    if hook is None or hook.reader is None:
        return False
    return await hook.reader(center, sender, text, at)
