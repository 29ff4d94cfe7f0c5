"""LLMs use Scint as their one tool. This runs offline with scint.llm.MockProvider, a scripted model; set
OPENAI_API_KEY (and OPENAI_BASE_URL for a local OpenAI-compatible server) and drop `s.llm = ...` to use a real one.

Run: python examples/llm_mock.py
"""

import json

import scint
from scint.llm import MockProvider, ToolCall, tools

with scint.open("memory://") as s:
    s.run('create_context("notes"); create_context("research", type="Thread")')

    # 1. ask: natural language -> one program -> validated -> run atomically, recorded as actor llm:<model>.
    #    A program that fails goes back to the model with the error; it tries again.
    s.llm = MockProvider(['notes.put(key="eggs", vale=2)', 'notes.put(key="eggs", value=2)'])
    answer = s.ask("put two eggs in my notes")
    print("the model wrote:", answer.program, f"({answer.attempts} attempts)")
    print("the error it was shown:", s.llm.history[1].messages[-1]["content"].splitlines()[0])
    print(s.log(limit=1)[0].actor, "->", s.run('notes.get(key="eggs")').value)

    # 2. Tools for any agent loop: one `scint` tool whose description is the cheat sheet (or, kind="custom",
    #    a grammar specialised to the contexts that exist), and session.handle() to run the model's call.
    [tool] = tools(s, kind="function", api="chat")
    print("tool:", tool["function"]["name"], "-", len(tool["function"]["description"]), "characters of cheat sheet")
    print(s.handle(ToolCall.function('notes.put(key="ham", value=1); notes.keys()')))
    print(s.handle(ToolCall.function("notes.put(key=1)")))  # an error the model can act on

    # 3. A Process works its goal step by step through the tool, then answers.
    s.run('research.spawn(name="lit", goal="note two papers")')
    s.llm = MockProvider(
        [
            {"program": 'self.add_task(title="find papers"); self.t1.start()'},
            {"program": 'self.t1.complete(result=["Attention", "LoRA"])'},
            "I noted two papers: Attention and LoRA.",
        ]
    )
    print("answer:", s.run("research.lit.run(max_steps=5)").value)
    print(json.dumps(s.view("research.lit").get("research.lit.t1"), indent=1))
