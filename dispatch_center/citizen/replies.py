"""A citizen's text read as an answer to the callback survey.

The text is matched to its survey by the order number it names (the reference the survey
carried), else by the sender's newest open survey. A clear answer ("1", "3 未解决")
becomes the evaluation, recorded as the citizen's SMS; the rating and whether it was
solved decide close or reopen (重办) as a seat's record would. An unclear answer sends the
callback to the desk (a seat calls); a short text with no open survey is kept for the desk
too; anything else is a new request and becomes an order as before.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from dispatch_center.accounts.security import Principal
from dispatch_center.center import Center
from dispatch_center.core import notices
from dispatch_center.core.roles import Role
from dispatch_center.errors import ServiceError
from dispatch_center.messaging.replies import SmsReplies
from dispatch_center.orders.notices import mobile_of
from dispatch_center.store import replies as reply_store
from dispatch_center.supervision import callbacks

log = logging.getLogger(__name__)

#: Who records an evaluation the citizen texted (on the order's timeline).
SMS_REPLY = Principal("sms-reply", Role.callback_agent)
# A text this short with no open survey is not a request ("1", "好的", "满意").
SHORT_REPLY = 6
_ORDER_NUMBER = re.compile(r"[A-Z]{1,4}\d{12,}")


def is_reply_like(text: str) -> bool:
    """Whether a text with no open survey still reads as an answer to one.

    Examples
    --------
    >>> is_reply_like("1")
    True
    >>> is_reply_like("小区门口的路灯坏了一个星期了，请尽快修理")
    False
    """
    t = text.strip()
    return len(t) <= SHORT_REPLY or (notices.read_survey_reply(t) is not None and len(t) <= 20)


async def read_reply(center: Center, sender: str, text: str, at: datetime) -> bool:
    """Take ``text`` from ``sender`` as a survey reply; False when it is a new request."""
    phone = mobile_of(sender) or sender
    m = _ORDER_NUMBER.search(text.upper())
    number = m.group(0) if m else None
    async with center.db.connection() as conn:
        survey = await reply_store.open_survey(conn, phone, number)
        if survey is None and number is not None:
            survey = await reply_store.open_survey(conn, phone)
        if survey is None:
            if not is_reply_like(text):
                return False
            await reply_store.keep_reply(
                conn, {"sender": phone, "body": text, "at": at, "outcome": "no_survey"}
            )
            return True
        answer = notices.read_survey_reply(text)
        kept = {
            "sender": phone,
            "body": text,
            "at": at,
            "order_id": survey["order_id"],
            "callback_id": survey["callback_id"],
            "outbox_id": survey["outbox_id"],
            "outcome": "evaluated" if answer else "desk",
        }
        await reply_store.keep_reply(conn, kept)
        if answer is None:
            await reply_store.send_to_desk(conn, survey["callback_id"], "unclear reply")
            return True
    try:
        await callbacks.record_callback(
            center,
            SMS_REPLY,
            str(survey["callback_id"]),
            answer.rating.value,
            notices.solved_default(answer),
            f"短信回复：{text.strip()}"[:4000],
            via="sms",
        )
    except ServiceError as exc:  # raced with a seat's record: theirs stands
        log.info("SMS reply to callback %s not recorded: %s", survey["callback_id"], exc)
    return True


def start_replies(center: Center) -> None:
    """Have the SMS intake hand texts to :func:`read_reply` first."""
    hook = center.runtimes.find(SmsReplies) or center.runtimes.attach(SmsReplies())
    hook.reader = read_reply
