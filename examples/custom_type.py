"""A context type of your own: typed state, @scint.action methods (recorded) and @scint.query methods (read only).

Run: python examples/custom_type.py
"""

import scint


@scint.register
class Counter(scint.Context):
    """Counts things."""

    n: int = 0
    seen: list[str] = []

    @scint.action
    def incr(self, by: int = 1, who: str | None = None) -> int:
        """Add `by` to the counter and return the new value."""
        self.n += by
        if who is not None:
            self.seen.append(who)
        return self.n

    @scint.query
    def value(self) -> int:
        """The current count."""
        return self.n


with scint.open("memory://") as s:
    s.run('create_context("visits", type="Counter")')
    s.run('visits.incr(by=2, who="ada"); visits.incr(who="alan")')
    print("visits:", s.run("visits.value()").value)  # 3

    # The signature is the validation: a wrong type is refused before anything changes.
    try:
        s.run('visits.incr(by="lots")')
    except scint.BadArguments as exc:
        print("refused:", exc)

    # Only declared actions and queries are reachable from the language.
    try:
        s.run("visits.__init__()")
    except scint.ScintError as exc:
        print("refused:", type(exc).__name__)

    # The docstrings are the help text (and the LLM's documentation).
    print(s.run('help("Counter")').value)
    print(s.view("visits"))
