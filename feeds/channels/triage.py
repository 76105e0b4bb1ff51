"""A first guess at what a free-text request is about and where, for the seat to confirm.

E-mail, SMS, WeChat and letters arrive as free text. The guess (keywords → taxonomy code,
place names → address) lets the draft be routed at once; ``extra["auto_classified"]`` tells
the seat it is a guess.
"""

from __future__ import annotations

from feeds.simkit import PLACES

# (keywords, request type, taxonomy code); the first match wins, so specific words come first.
KEYWORDS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("滑坡", "泥石", "山洪", "塌方"), "help", "flood.landslide"),
    (("积水", "内涝", "淹了", "被淹"), "help", "flood.waterlogging"),
    (("困人", "关在电梯"), "help", "housing.lift"),
    (("物业",), "complaint", "housing.property"),
    (("电梯",), "help", "housing.lift"),
    (("停水", "水压", "自来水"), "help", "water.supply"),
    (("下水道", "排水", "堵塞", "污水冒"), "help", "water.drainage"),
    (("停电", "供电"), "help", "utility.power"),
    (("燃气", "天然气", "煤气"), "help", "utility.gas"),
    (("噪音", "噪声", "扰民"), "complaint", "environment.noise"),
    (("垃圾", "脏乱"), "report", "urban.sanitation"),
    (("占道", "摆摊", "流动摊贩"), "report", "urban.street_vendor"),
    (("路灯",), "report", "urban.streetlight"),
    (("违建", "违章搭建"), "report", "urban.illegal_building"),
    (("欠薪", "拖欠工资", "工资"), "complaint", "social.wages"),
    (("社保", "养老金", "医保"), "consultation", "social.pension"),
    (("景区", "门票", "导游", "大佛", "峨眉山"), "complaint", "tourism.complaint"),
    (("堵车", "拥堵"), "help", "traffic.congestion"),
    (("公交", "出租车"), "complaint", "traffic.public_transport"),
    (("食品", "过期", "变质"), "report", "market.food"),
    (("价格", "乱收费", "涨价"), "complaint", "market.price"),
    (("退款", "维权", "消费"), "complaint", "market.consumer"),
    (("学校", "学生", "老师"), "complaint", "education.school"),
    (("医院", "看病"), "complaint", "health.hospital"),
    (("户口", "身份证", "户籍"), "consultation", "police.household"),
)
COUNTIES = (
    "市中区",
    "沙湾区",
    "五通桥区",
    "金口河区",
    "犍为县",
    "井研县",
    "夹江县",
    "沐川县",
    "峨边彝族自治县",
    "峨边",
    "马边彝族自治县",
    "马边",
    "峨眉山市",
)


def guess_category(text: str) -> tuple[str, str]:
    """(request type, taxonomy code) from keywords; ``("help", "other")`` when nothing matches.

    Examples
    --------
    >>> guess_category("我家小区门口积水很深")
    ('help', 'flood.waterlogging')
    >>> guess_category("你好")
    ('help', 'other')
    """
    for words, rtype, code in KEYWORDS:
        if any(w in text for w in words):
            return rtype, code
    if any(w in text for w in ("请问", "咨询", "怎么办理", "如何")):
        return "consultation", "government.service"
    return "help", "other"


def guess_address(text: str) -> str | None:
    """The most specific Leshan place named in ``text``, or None.

    Examples
    --------
    >>> guess_address("沙湾区嘉农镇某村道路被淹")
    '沙湾区嘉农镇'
    """
    for p in sorted(PLACES, key=lambda p: -len(p.name)):
        if p.name in text:
            return p.name
    for c in COUNTIES:
        if c in text:
            return "乐山市" + c
    return None
