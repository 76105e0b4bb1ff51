"""The ranking weights in force: read once with the settings, parsed like a request's own."""

from __future__ import annotations

import pytest

from dispatch_center.core.analysis.ranking import RankingWeights
from dispatch_center.reporting.ranking import parse_weights
from dispatch_center.settings import Settings


def test_weights_setting_keeps_the_environment_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPATCH_RANKING_WEIGHTS", "satisfaction=0.5,return=0")
    settings = Settings(demo=True)
    assert settings.ranking_weights == "satisfaction=0.5,return=0"
    w = parse_weights(settings.ranking_weights)
    assert (w.satisfaction, w.return_, w.on_time) == (0.5, 0.0, 0.2)


@pytest.mark.parametrize("value", ["", "  "])
def test_blank_weights_setting_means_the_defaults(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("DISPATCH_RANKING_WEIGHTS", value)
    settings = Settings(demo=True)
    assert settings.ranking_weights is None
    assert parse_weights(settings.ranking_weights) == RankingWeights()


def test_unknown_weight_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown weight 'speed'"):
        parse_weights("speed=1")
