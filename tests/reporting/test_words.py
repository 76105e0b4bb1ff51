"""Words of the requests: the shipped stop words and jieba, offline."""

from __future__ import annotations

import pytest


def test_stop_words_and_offline_tokenizer(monkeypatch: pytest.MonkeyPatch) -> None:
    # No network: jieba's dictionary is inside the wheel.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import socket

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the tokenizer tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    from dispatch_center.reporting.words import count_words, stop_words, tokenize

    assert {"的", "反映", "问题"} <= stop_words()
    words = tokenize("反映小区门口垃圾堆积的问题，三天无人清运")
    assert "垃圾" in words and "清运" in words
    assert not {"的", "反映", "问题"} & set(words)
    counts = count_words(["垃圾堆积垃圾", "小区垃圾无人清运"])
    assert counts["垃圾"] == 2  # once per request
