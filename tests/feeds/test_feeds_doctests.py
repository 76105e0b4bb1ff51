"""The ``Examples`` in feeds' docstrings run and stay true."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import feeds

MODULES = sorted(m.name for m in pkgutil.walk_packages(feeds.__path__, prefix="feeds."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
