"""Errors are written for people and for LLMs: where, what was expected, and what would be right.

Run: python examples/errors.py
"""

import scint

with scint.open("memory://") as s:
    s.run('create_context("notes"); notes.put(key="milk", value=2)')
    attempts = [
        'notes.put(key="eggs" value=6)',  # a syntax error: line, column, caret, what was expected
        'nots.put(key="eggs", value=6)',  # an unknown context: did you mean?
        "notes.pot(key=1)",  # an unknown action
        "notes.put(key=1, value=2)",  # a mistyped argument
        'notes.put(key="eggs", value=6)\nnotes.get(key="egs")',  # the context refuses; nothing is recorded
    ]
    for text in attempts:
        try:
            s.run(text)
        except scint.ScintError as exc:
            print(f"{type(exc).__name__}: {exc}\n")
    assert s.run("notes.keys()").value == ["milk"]  # a failing program changed nothing
    print("still", s.run("notes.keys()").value, "at version", s.version)
