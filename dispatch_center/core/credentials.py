"""How strong a password or a signing key must be (pure; no network, no list to fetch).

A password (:func:`password_problem`) is refused when it is

- shorter than :data:`MIN_PASSWORD_LENGTH` characters, or has fewer than 5 different ones;
- predictable: a repeated unit (``abcabcabcabc``), or mostly runs of repeated, consecutive
  or keyboard-adjacent characters (``aaaaaaaaaa``, ``1234567890``, ``qwertyuiop``): fewer
  than :data:`MIN_FREE_CHARACTERS` characters outside such runs;
- the username, or contains it;
- one of the common passwords of :data:`COMMON_PASSWORDS` (Chinese users' favourites
  included), also written with capitals, look-alike digits (``p@ssw0rd``), digits and
  signs around it (``Password123!``) or up to three characters added (``5201314520``).

A signing key (:func:`signing_key_problem`, ``DISPATCH_SECRET_KEY``) is refused when it is
shorter than 32 characters, a known placeholder, has fewer than 8 different characters,
repeats a shorter unit (``changeme`` × 4), or is mostly placeholder words.

Examples
--------
>>> password_problem("aaaaaaaaaa", "admin")
'repeats a shorter pattern'
>>> password_problem("Leshan-harbour-7781", "duty") is None
True
>>> signing_key_problem("changeme" * 4)
'repeats a shorter pattern'
"""

from __future__ import annotations

import re

MIN_PASSWORD_LENGTH = 10
MIN_FREE_CHARACTERS = 4
MIN_KEY_LENGTH = 32

#: The most used passwords (worldwide and in China's leaked lists), and this center's own
#: words, compared after normalising (lower case, look-alike digits read as letters,
#: digits and signs around the word dropped).
_COMMON = """
    123456 123456789 12345678 1234567890 111111 000000 666666 888888 123123 654321
    password passwd passw0rd p@ssword p@ssw0rd admin administrator root toor guest user
    login welcome letmein changeme secret default master qwerty qwertyuiop asdfgh asdfghjkl
    zxcvbnm qazwsx qweasd 1qaz2wsx zaq12wsx 1q2w3e4r 1q2w3e4r5t abc abcd abc123 abcdef
    iloveyou iloveu love lovely woaini woaini1314 aini1314 5201314 1314520 520520
    wangyi woshishui nihao zhangwei wangwei liwei dragon monkey shadow sunshine princess
    football baseball superman batman trustno1 starwars whatever freedom hello hellokitty
    michael jennifer computer internet server system test testing demo sample example
    leshan dispatch dispatcher hotline zhihui diaodu zhongxin
"""
COMMON_PASSWORDS = frozenset(_COMMON.split())

PLACEHOLDER_KEYS = frozenset(
    {"", "changeme", "change-me", "change_me", "secret", "please-change-me"}
)
_PLACEHOLDER_WORDS = re.compile(
    r"change|please|secret|password|passwd|default|example|sample|placeholder|replace"
    r"|your|key|token|signing|dispatch|test|demo|todo|me|my|the|x{3,}|[-_.\s]",
    re.IGNORECASE,
)
_LOOKALIKES = str.maketrans({"@": "a", "4": "a", "0": "o", "1": "i", "3": "e", "$": "s", "5": "s"})
_KEYBOARD_ROWS = ("`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./")


def password_problem(password: str, username: str = "") -> str | None:
    """Why ``password`` is too weak for ``username``'s account, or None when it will do.

    Examples
    --------
    >>> password_problem("short1!")
    'is shorter than 10 characters'
    >>> password_problem("aabbaabbab")
    'has fewer than 5 different characters'
    >>> password_problem("1234567890abc")
    'is mostly a run of repeated, consecutive or keyboard-adjacent characters'
    >>> password_problem("duty-officer-2026", "duty")
    'contains the username'
    >>> password_problem("P@ssw0rd2026!")
    'is a common password'
    >>> password_problem("test-password-123") is None
    True
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"is shorter than {MIN_PASSWORD_LENGTH} characters"
    if _period(password.casefold()) is not None:
        return "repeats a shorter pattern"
    if len(set(password)) < 5:
        return "has fewer than 5 different characters"
    if _free_characters(password.casefold()) < MIN_FREE_CHARACTERS:
        return "is mostly a run of repeated, consecutive or keyboard-adjacent characters"
    name = username.strip().casefold()
    if len(name) >= 3 and (name in password.casefold() or name[::-1] in password.casefold()):
        return "contains the username"
    if _is_common(password):
        return "is a common password"
    return None


def signing_key_problem(key: str) -> str | None:
    """Why ``key`` is too weak to sign tokens with, or None when it will do.

    Examples
    --------
    >>> signing_key_problem("")
    'is not set'
    >>> signing_key_problem("short")
    'is shorter than 32 characters'
    >>> signing_key_problem("please-change-me-to-a-secret-key-0")
    'is mostly placeholder words'
    >>> signing_key_problem("abbabaabbaababbabaababbaabbabaab")
    'has fewer than 8 different characters'
    >>> signing_key_problem("q0H3v_Pn2c8Y-rWbL1tK6uZxFj4aMdSe") is None
    True
    """
    if not key.strip():
        return "is not set"
    if key.strip().casefold() in PLACEHOLDER_KEYS:
        return "is a placeholder"
    if len(key) < MIN_KEY_LENGTH:
        return f"is shorter than {MIN_KEY_LENGTH} characters"
    if _period(key) is not None:
        return "repeats a shorter pattern"
    if len(set(key)) < 8:
        return "has fewer than 8 different characters"
    if len(_PLACEHOLDER_WORDS.sub("", key)) < 16:
        return "is mostly placeholder words"
    if _free_characters(key.casefold()) < MIN_KEY_LENGTH // 4:
        return "is mostly a run of repeated, consecutive or keyboard-adjacent characters"
    return None


def _period(text: str) -> int | None:
    """The length of the shorter unit ``text`` repeats (at least twice), or None.

    Examples
    --------
    >>> _period("abcabcab"), _period("abcdefgh")
    (3, None)
    """
    for size in range(1, len(text) // 2 + 1):
        if all(text[i] == text[i % size] for i in range(len(text))):
            return size
    return None


def _step(a: str, b: str) -> bool:
    """Whether ``b`` follows ``a`` predictably: the same, next or previous character, or a
    neighbour on the same keyboard row.
    """
    if abs(ord(a) - ord(b)) <= 1:
        return True
    for row in _KEYBOARD_ROWS:
        i, j = row.find(a), row.find(b)
        if i >= 0 and j >= 0 and abs(i - j) == 1:
            return True
    return False


def _free_characters(text: str) -> int:
    """How many characters are not part of a predictable run of three or more.

    Examples
    --------
    >>> _free_characters("1234567890"), _free_characters("x9!kq1234")
    (0, 5)
    """
    if not text:
        return 0
    free = 0
    run = 1
    for i in range(1, len(text) + 1):
        if i < len(text) and _step(text[i - 1], text[i]):
            run += 1
            continue
        if run < 3:
            free += run
        run = 1
    return free


def _is_common(password: str) -> bool:
    """Whether ``password`` is a common one, however dressed up."""
    lowered = password.casefold()
    plain = lowered.translate(_LOOKALIKES)
    candidates = {lowered, plain}
    for word in (lowered, plain):
        stripped = re.sub(r"^[\W\d_]+|[\W\d_]+$", "", word)
        if stripped:
            candidates.add(stripped)
    if candidates & COMMON_PASSWORDS:
        return True
    # A common password with a few characters added anywhere (5201314 + 520).
    return any(
        len(word) >= 6 and word in text and len(text.replace(word, "", 1)) < MIN_FREE_CHARACTERS
        for text in (lowered, plain)
        for word in COMMON_PASSWORDS
    )
