"""What the center tells citizens by SMS, and when it may (pure rules, no I/O).

The wording of every message is an approved template (运营商报备的短信模板): only the
variables change. The rules beside them say when a message may leave (quiet hours),
how long to wait before retrying one, and how to read a citizen's answer to the
callback survey.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from string import Formatter

from dispatch_center.core import lifecycle as lc
from dispatch_center.core.calendar import SHANGHAI

SIGNATURE = "【乐山12345】"


class Template(StrEnum):
    """The approved SMS templates."""

    receipt = "receipt"  # 受理回执
    dispatched = "dispatched"  # 已派单
    extension = "extension"  # 延期获批
    replied = "replied"  # 办结
    survey = "survey"  # 回访调查


#: Approved wording: the variables in braces are the only parts that change.
WORDING: dict[Template, str] = {
    Template.receipt: SIGNATURE + "您的诉求已受理，工单号{number}。"
    "可凭工单号和手机号后四位在{status_url}查询办理进度。",
    Template.dispatched: SIGNATURE + "您的诉求（工单{number}）已派至{unit}办理，请保持电话畅通。",
    Template.extension: SIGNATURE + "您的诉求（工单{number}）办理期限已延至{reply_by}，"
    "感谢您的耐心。",
    Template.replied: SIGNATURE + "您的诉求（工单{number}）已办结：{summary}",
    Template.survey: SIGNATURE + "请评价工单{number}的办理：回复1满意 2基本满意 3不满意，"
    "并注明是否解决（如“1 已解决”）。",
}

LABELS_ZH: dict[Template, str] = {
    Template.receipt: "受理回执",
    Template.dispatched: "已派单",
    Template.extension: "延期获批",
    Template.replied: "办结",
    Template.survey: "回访调查",
}

#: Plain words for the citizen (not the staff's terms).
PLAIN_STATUS: dict[str, str] = {
    lc.Status.received.value: "已受理，正在派单",
    lc.Status.dispatched.value: "已派至承办单位",
    lc.Status.accepted.value: "承办单位已签收，正在办理",
    lc.Status.in_progress.value: "正在办理",
    lc.Status.return_requested.value: "正在重新派单",
    lc.Status.replied.value: "已办结，等待回访",
    lc.Status.callback_done.value: "已办结，已回访",
    lc.Status.evaluated.value: "已办结，已评价",
    lc.Status.closed.value: "已办结",
    lc.Status.transferred_110.value: "已转公安110处理",
    lc.Status.merged.value: "已与相同诉求合并办理",
}
REPLIED_STATUSES = {
    lc.Status.replied.value,
    lc.Status.callback_done.value,
    lc.Status.evaluated.value,
    lc.Status.closed.value,
}

#: The unit's answer is cut to keep the 办结 text within three SMS parts.
SUMMARY_MAX = 120


def variables(template: Template) -> set[str]:
    """The variables a template needs.

    Examples
    --------
    >>> sorted(variables(Template.dispatched))
    ['number', 'unit']
    """
    return {name for _, name, _, _ in Formatter().parse(WORDING[template]) if name}


def render(template: Template, **values: str) -> str:
    """The message text: the template's approved wording with ``values`` filled in.

    Raises ``KeyError`` naming a missing variable; extra values are refused too, so a
    template's wording never changes by accident.

    Examples
    --------
    >>> render(Template.replied, number="LS20260101000001", summary="已清运。")
    '【乐山12345】您的诉求（工单LS20260101000001）已办结：已清运。'
    """
    need = variables(template)
    missing = need - set(values)
    if missing:
        raise KeyError(f"template {template.value} needs {sorted(missing)}")
    extra = set(values) - need
    if extra:
        raise KeyError(f"template {template.value} has no {sorted(extra)}")
    if "summary" in values and len(values["summary"]) > SUMMARY_MAX:
        values = {**values, "summary": values["summary"][: SUMMARY_MAX - 1] + "…"}
    return WORDING[template].format(**values)


@dataclass(frozen=True)
class QuietHours:
    """Hours (local time) in which nothing but urgent messages is sent; ``start > end``
    spans midnight.

    Examples
    --------
    >>> q = QuietHours(time(22), time(8))
    >>> q.holds(datetime(2026, 1, 1, 23, 30, tzinfo=SHANGHAI))
    True
    >>> q.holds(datetime(2026, 1, 1, 12, 0, tzinfo=SHANGHAI))
    False
    >>> q.ends_after(datetime(2026, 1, 1, 23, 30, tzinfo=SHANGHAI)).isoformat()
    '2026-01-02T08:00:00+08:00'
    """

    start: time
    end: time

    def holds(self, at: datetime) -> bool:
        """Whether ``at`` falls in the quiet hours."""
        t = at.astimezone(SHANGHAI).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end

    def ends_after(self, at: datetime) -> datetime:
        """When the quiet hours that hold at ``at`` end."""
        local = at.astimezone(SHANGHAI)
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        return end if end > local else end + timedelta(days=1)

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """``"22:00-08:00"``; an empty text means no quiet hours.

        Examples
        --------
        >>> QuietHours.parse("22:00-08:00").start
        datetime.time(22, 0)
        >>> QuietHours.parse("").holds(datetime(2026, 1, 1, 3, tzinfo=SHANGHAI))
        False
        """
        if not text.strip():
            return cls(time(0), time(0))
        m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
        if m is None:
            raise ValueError(f"quiet hours {text!r}: expected HH:MM-HH:MM")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        return cls(time(h1, m1), time(h2, m2))


def retry_delay(attempts: int, base_s: float = 30.0, cap_s: float = 3600.0) -> timedelta:
    """How long to wait after the ``attempts``-th failed try: doubling, capped.

    Examples
    --------
    >>> [retry_delay(n).total_seconds() for n in (1, 2, 3)]
    [30.0, 60.0, 120.0]
    >>> retry_delay(20).total_seconds()
    3600.0
    """
    return timedelta(seconds=min(cap_s, base_s * 2 ** max(0, attempts - 1)))


class Rating(StrEnum):
    """The citizen's rating, as the lifecycle spells it."""

    satisfied = "satisfied"
    basically_satisfied = "basically_satisfied"
    unsatisfied = "unsatisfied"


@dataclass(frozen=True)
class SurveyAnswer:
    """A survey reply read: the rating and whether it was solved (``None`` when the
    citizen did not say: then the rating decides).
    """

    rating: Rating
    solved: bool | None


_DIGIT = {"1": Rating.satisfied, "2": Rating.basically_satisfied, "3": Rating.unsatisfied}
_WORDS = (
    ("不满意", Rating.unsatisfied),
    ("基本满意", Rating.basically_satisfied),
    ("满意", Rating.satisfied),
)
_UNSOLVED = ("未解决", "没解决", "没有解决", "不解决", "否")
_SOLVED = ("已解决", "解决了", "解决", "是")


def read_survey_reply(text: str) -> SurveyAnswer | None:
    """Read a reply to the callback survey; ``None`` when it is unclear (a seat calls).

    One rating only: a digit 1-3 or its words; two different ratings are unclear.

    Examples
    --------
    >>> read_survey_reply("1")
    SurveyAnswer(rating=<Rating.satisfied: 'satisfied'>, solved=None)
    >>> read_survey_reply(" 3 未解决，路灯还是不亮")
    SurveyAnswer(rating=<Rating.unsatisfied: 'unsatisfied'>, solved=False)
    >>> read_survey_reply("2 已解决").solved
    True
    >>> read_survey_reply("你们什么时候来修？") is None
    True
    >>> read_survey_reply("1或3") is None
    True
    """
    t = text.strip().translate(str.maketrans("１２３", "123"))
    digits = set(re.findall(r"(?<!\d)[123](?!\d)", t))
    found: set[Rating] = {_DIGIT[d] for d in digits}
    rest = t
    for word, rating in _WORDS:
        if word in rest:
            found.add(rating)
            rest = rest.replace(word, "")
    if len(found) != 1:
        return None
    solved: bool | None = None
    if any(w in t for w in _UNSOLVED):
        solved = False
    elif any(w in t for w in _SOLVED):
        solved = True
    return SurveyAnswer(found.pop(), solved)


def solved_default(answer: SurveyAnswer) -> bool:
    """Solved unless the citizen said not, or rated it unsatisfied without saying.

    Examples
    --------
    >>> solved_default(SurveyAnswer(Rating.unsatisfied, None))
    False
    >>> solved_default(SurveyAnswer(Rating.satisfied, None))
    True
    """
    if answer.solved is not None:
        return answer.solved
    return answer.rating is not Rating.unsatisfied


def phone_last4(phone: str | None) -> str:
    """The last four digits of a phone number (``""`` when it has fewer).

    Examples
    --------
    >>> phone_last4("+86 138-1234-5678")
    '5678'
    """
    digits = re.sub(r"\D", "", phone or "")
    return digits[-4:] if len(digits) >= 4 else ""


_QUERY = re.compile(r"^\s*(?:查询|查|query)\s*[:：]?\s*([A-Za-z]{1,4}\d{6,20})\s*$", re.I)


def status_query(text: str | None) -> str | None:
    """The order number a "查询 LS…" message asks about, or ``None`` for any other text.

    Examples
    --------
    >>> status_query("查询 ls2026120500001")
    'LS2026120500001'
    >>> status_query("查询一下路灯什么时候修") is None
    True
    """
    m = _QUERY.match(text or "")
    return m.group(1).upper() if m else None
