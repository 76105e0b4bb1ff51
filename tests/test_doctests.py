"""The ``Examples`` in every module's docstrings run and stay true.

An example that no longer matches the code is a wrong piece of documentation; running them
all keeps the numpydoc examples honest (a hash or a date typed from memory fails here).
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import dispatch_center
import feeds
import geo
import modes
import wallboard

# The ASGI entry builds an app from the environment at import; it has no examples.
SKIP = {"dispatch_center.asgi"}
MODULES = sorted(
    m.name
    for pkg in (dispatch_center, feeds, geo, modes, wallboard)
    for m in pkgutil.walk_packages(pkg.__path__, prefix=pkg.__name__ + ".")
    if m.name not in SKIP
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
