"""Writes the stores in this folder with the Scint of before the lean event format (JSON-form events, full topics
in LMDB): run it with that Scint first on the path, e.g. from a checkout of main at 3873420:

    PYTHONPATH=/path/to/old/checkout python tests/store/v1_stores/make.py

It writes `lmdb/` and `store.db` (the same programs on both) and `expected.json`: what that Scint reads from them
(log, views, replays, export lines). tests/store/test_old_stores.py opens copies with today's Scint and compares.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import scint

HERE = Path(__file__).resolve().parent

PROGRAMS = [
    ('create_context("notes")', {}),
    ('notes.put(key="a", value=1)', {}),
    ('notes.put(\'b\', [1, 2.5, true, null, {"x": "é\\n"}])', {}),  # positional, single quotes: not canonical
    ('notes.put(key="c", value="two")\nx = notes.get(key="c")\nnotes.put(key="d", value=$x)', {}),
    ('notes.put(key="e", value=$v)', {"params": {"v": {"deep": [1, 2, 3]}}}),
    ('notes.put(key="f", value=-0.0)\nnotes.put(key="g", value=1e100)', {"actor": "llm:model", "request": {"q": "x"}}),
    ('create_context("flows", type="Composer")', {}),
    ('flows.define(name="twice", params=["k"], body="notes.put(key=$k, value=1)\\nnotes.put(key=$k, value=2)")', {}),
    ('flows.run(name="twice", k="w")', {}),
    ("\n".join(f'notes.put(key="k{i % 7}", value="{"v" * 40}{i}")' for i in range(120)), {}),  # a snapshot
    ('history.branch(name="side")', {}),
    ('notes.put(key="h", value=[])\n', {}),
]


def main() -> None:
    expected: dict[str, object] = {}
    for name, url, path in (
        ("lmdb", f"lmdb:///{HERE}/lmdb", HERE / "lmdb"),
        ("sqlite", f"sqlite:///{HERE}/store.db", HERE / "store.db"),
    ):
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        with scint.open(url) as s:
            for text, kwargs in PROGRAMS:
                s.run(text, **kwargs)
            s.branch("other", at=5)
            export = HERE / f"{name}.jsonl"
            s.export(str(export))
            got = {
                "version": s.version,
                "log": [e.as_dict() for e in s.log()],
                "views": {str(v): s.view(at=v).render("json") for v in range(s.version + 1) if _seen(s, v)},
                "replay": s.replay().render("json"),
                "export": export.read_text().splitlines(),
                "diff": s.diff("main", "other").as_dict(),
            }
            export.unlink()
        for extra in ("lock.mdb",):
            (path / extra).unlink(missing_ok=True) if path.is_dir() else None
        expected[name] = got
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n")
    print("wrote", HERE, "with", scint.__file__, file=sys.stderr)


def _seen(s: scint.Session, version: int) -> bool:
    try:
        s.view(at=version)
    except scint.HistoryError:
        return False
    return True


if __name__ == "__main__":
    main()
