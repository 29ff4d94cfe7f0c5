"""Long work reports progress; the session lists what programs may call."""

from __future__ import annotations

from pathlib import Path

import scint


def test_replay_and_load_report_progress(tmp_path: Path) -> None:
    with scint.open("memory://") as s:
        s.run('create_context("n")')
        for chunk in range(3):
            s.run("\n".join(f'n.put(key="k{i}", value={i})' for i in range(chunk * 5000, chunk * 5000 + 5000)))
        seen: list[int] = []
        view = s.replay(progress=seen.append)
        assert seen[-1] == s.version == 15_001 and seen == sorted(seen) and len(seen) >= 3
        assert view.render("json") == s.view().render("json")
        s.export(tmp_path / "h.jsonl")
        pairs: list[tuple[int, int]] = []
        with scint.load(tmp_path / "h.jsonl", progress=lambda done, total: pairs.append((done, total))) as loaded:
            assert loaded.version == 15_001
        assert pairs[-1] == (15_001, 15_001) and all(t == 15_001 for _, t in pairs) and len(pairs) >= 3


def test_language_lists_public_calls_only() -> None:
    with scint.open("memory://") as s:
        lang = s.language()
        assert {"create_context", "drop_context", "contexts", "help"} <= set(lang["functions"])
        assert {"log", "branch", "checkout", "branches", "diff", "at"} <= set(lang["history"])
        assert "put" in lang["types"]["Container"]
        process = lang["types"]["Process"]
        assert {"add_task", "spawn", "run"} <= set(process) and "record" not in process
        assert "set_status" not in process
