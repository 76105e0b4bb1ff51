"""The reading rule (dispatch_center.core.visibility) over Leshan's real unit tree."""

from __future__ import annotations

import pytest

from dispatch_center.core.roles import Role
from dispatch_center.core.visibility import CITY_WIDE_ROLES, UnitTree, scope_for
from dispatch_center.geography.model import default_geography
from dispatch_center.reference.seed import bundled_units


@pytest.fixture(scope="module")
def tree() -> UnitTree:
    """The units the center seeds: its own, then the geography's (as at start-up)."""
    units = [*bundled_units(), *default_geography().units()]
    return UnitTree({u["code"]: u["parent_code"] for u in units})


def test_a_subtree_is_every_unit_whose_chain_passes_through_it(tree: UnitTree) -> None:
    codes = [u["code"] for u in [*bundled_units(), *default_geography().units()]]
    for unit in ("511102", "511102S01", "511102-ZJJ", "511100-JTJ", "511132"):
        expected = {c for c in codes if unit in tree.chain(c)}
        assert tree.subtree(unit) == expected, unit


def test_tiers_see_down_never_across(tree: UnitTree) -> None:
    county = scope_for(Role.handler, "511102", tree)
    town = scope_for(Role.handler, "511102S01", tree)
    village = next(c for c in tree.subtree("511102S01") if c != "511102S01")
    assert county.sees_unit("511102S01") and county.sees_unit(village)
    assert county.sees_unit("511102-ZJJ") and not county.sees_unit("511111")
    assert town.sees_unit(village) and not town.sees_unit("511102")
    assert not town.sees_unit("511102S02") and not town.sees_unit("511102-ZJJ")
    assert scope_for(Role.handler, village, tree).units == {village}
    assert not county.sees_unit("511100-JTJ"), "a city department is not the county's"


def test_the_centers_roles_see_the_city_and_a_new_role_fails_closed(tree: UnitTree) -> None:
    assert {r for r in Role if scope_for(r, "511102", tree).city_wide} == CITY_WIDE_ROLES
    assert Role.handler not in CITY_WIDE_ROLES
    assert scope_for(Role.handler, None, tree).units == frozenset()
