"""LLMs speak Scint: providers, tools, `ask` and process runs.

```python
import scint
from scint.llm import MockProvider

s = scint.open("memory://")
s.llm = MockProvider([{"program": 'create_context("notes"); notes.put(key="eggs", value=2)'}])
s.ask("put two eggs in my notes").program
```

`tools(session, kind, api)` and `session.handle(tool_call)` let any agent loop use Scint as its one tool;
`Session.ask` turns a request into one validated program; `<process>.run(max_steps=N)` lets a Process's model
work its goal step by step, spawning and running child processes. `OpenAIProvider` (needs `scint[llm]`) talks
to OpenAI or any OpenAI-compatible server; `MockProvider` replays scripted replies offline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scint.llm.ask import AskResult, aask, ask
from scint.llm.docs import cheat
from scint.llm.mock import MockProvider
from scint.llm.process import RunLimits, arun_process, arun_processes, run_process, run_thread
from scint.llm.provider import MalformedReply, Provider, Reply, Request, RunFailed, ToolCall, Usage
from scint.llm.tools import handle, program_grammar, to_tool_call, tools

if TYPE_CHECKING:
    from scint.llm.openai_provider import OpenAIProvider

__all__ = [
    "AskResult",
    "MalformedReply",
    "MockProvider",
    "OpenAIProvider",
    "Provider",
    "Reply",
    "Request",
    "RunFailed",
    "RunLimits",
    "ToolCall",
    "Usage",
    "aask",
    "arun_process",
    "arun_processes",
    "ask",
    "cheat",
    "handle",
    "program_grammar",
    "run_process",
    "run_thread",
    "to_tool_call",
    "tools",
]


def __getattr__(name: str) -> Any:
    if name == "OpenAIProvider":  # imported on first use: `import scint` never needs openai
        from scint.llm.openai_provider import OpenAIProvider

        return OpenAIProvider
    raise AttributeError(f"module 'scint.llm' has no attribute {name!r}")
