"""Container: put/get/delete/keys/items/update, and missing keys refused with the nearest keys named."""

from __future__ import annotations

import pytest

import scint


@pytest.fixture
def s(session: scint.Session) -> scint.Session:
    session.run('create_context("notes", type="Container")')
    return session


def test_put_get_replace(s: scint.Session) -> None:
    r = s.run('notes.put(key="milk", value={"qty": 2, "unit": "l"}); notes.get(key="milk")')
    assert r.values == (None, {"qty": 2, "unit": "l"})
    s.run('notes.put("milk", 3)')
    assert s.run('notes.get("milk")').value == 3
    assert s.view().get("notes") == {"data": {"milk": 3}}


@pytest.mark.parametrize(
    "literal, value",
    [
        ("null", None),
        ("true", True),
        ("-3e2", -300.0),
        ("2.5", 2.5),
        ('"Ω \\"q\\" \\n"', 'Ω "q" \n'),
        ("[1, [2, {}], null]", [1, [2, {}], None]),
        ('{"a": {b: [1,],},}', {"a": {"b": [1]}}),
        ("''", ""),
    ],
)
def test_any_json_value_round_trips(s: scint.Session, literal: str, value: object) -> None:
    s.run(f'notes.put(key="k", value={literal})')
    assert s.run('notes.get(key="k")').value == value
    assert s.view().get("notes")["data"]["k"] == value


def test_keys_and_items_are_sorted(s: scint.Session) -> None:
    s.run('notes.put(key="b", value=2); notes.put(key="a", value=1); notes.put(key="c", value=3)')
    assert s.run("notes.keys()").value == ["a", "b", "c"]
    items = s.run("notes.items()").value
    assert items == {"a": 1, "b": 2, "c": 3} and list(items) == ["a", "b", "c"]


def test_delete(s: scint.Session) -> None:
    s.run('notes.put(key="a", value=1); notes.put(key="b", value=2)')
    assert s.run('notes.delete(key="a")').value is None
    assert s.run("notes.keys()").value == ["b"]


def test_update_merges_a_dict_and_returns_it(s: scint.Session) -> None:
    s.run('notes.put(key="milk", value={"qty": 2, "unit": "l"})')
    r = s.run('notes.update(key="milk", patch={"qty": 3, "brand": "x"})')
    assert r.value == {"qty": 3, "unit": "l", "brand": "x"}
    assert s.run('notes.get("milk")').value == {"qty": 3, "unit": "l", "brand": "x"}


def test_update_of_a_non_dict_is_refused(s: scint.Session) -> None:
    s.run('notes.put(key="n", value=[1])')
    with pytest.raises(scint.ActionError, match=r'the value under "n" is not a dict; use put to replace it'):
        s.run('notes.update(key="n", patch={"a": 1})')
    with pytest.raises(scint.BadArguments, match=r"`patch` must be dict\[str, any\], not list"):
        s.run('notes.update(key="n", patch=[1])')


@pytest.mark.parametrize("action", ['get(key="mlk")', 'delete(key="mlk")', 'update(key="mlk", patch={})'])
def test_missing_key_names_the_nearest(s: scint.Session, action: str) -> None:
    s.run('notes.put(key="milk", value={}); notes.put(key="eggs", value=1)')
    version = s.version
    with pytest.raises(scint.ActionError, match=r'notes has no key "mlk"; did you mean `milk`\?') as info:
        s.run(f"notes.{action}")
    assert info.value.statement == 1
    assert s.version == version


def test_missing_key_lists_keys_when_nothing_is_close(s: scint.Session) -> None:
    s.run('notes.put(key="milk", value=1); notes.put(key="eggs", value=1)')
    with pytest.raises(scint.ActionError, match=r'notes has no key "zzz"; its keys are "eggs", "milk"'):
        s.run('notes.get(key="zzz")')


def test_missing_key_in_an_empty_container(s: scint.Session) -> None:
    with pytest.raises(scint.ActionError, match=r'notes has no key "a"; it is empty'):
        s.run('notes.delete(key="a")')


def test_missing_key_lists_at_most_eight_keys(s: scint.Session) -> None:
    s.run("; ".join(f'notes.put(key="k{i:02}", value={i})' for i in range(20)))
    with pytest.raises(scint.ActionError) as info:
        s.run('notes.get(key="zzzzzz")')
    assert '"k07" ...' in str(info.value) and '"k08"' not in str(info.value)


def test_argument_types_are_checked(s: scint.Session) -> None:
    with pytest.raises(scint.BadArguments, match=r"notes\.put\(\): `key` must be str, not int 1"):
        s.run("notes.put(key=1, value=1)")
    with pytest.raises(scint.BadArguments, match=r"missing the argument `value`"):
        s.run('notes.put(key="a")')


def test_a_container_can_be_created_with_data(session: scint.Session) -> None:
    session.run('create_context("c", type="Container", data={"a": [1]})')
    assert session.run('c.get(key="a")').value == [1]


def test_queries_record_nothing(s: scint.Session) -> None:
    s.run('notes.put(key="a", value=1)')
    version = s.version
    r = s.run('notes.get(key="a"); notes.keys(); notes.items()')
    assert r.events == () and r.version == version == s.version


def test_messages_stay_short_whatever_the_keys(s: scint.Session) -> None:
    long_key = "ab" * 5_000
    s.run(f'notes.put(key="{long_key}", value=1)')
    for missing in (long_key[:-1] + "c", "zz" * 5_000, "x"):
        with pytest.raises(scint.ActionError) as info:
            s.run(f'notes.get(key="{missing}")')
        assert len(str(info.value)) < 400
    s.run('create_context("c", type="Composer")')
    with pytest.raises(scint.ActionError) as info:
        s.run(f'c.run(name="{long_key}")')
    assert len(str(info.value)) < 400
