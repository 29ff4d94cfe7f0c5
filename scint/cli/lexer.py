"""A Pygments lexer for Scint, for the REPL's highlighting and for showing programs."""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, include
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Text, Whitespace

__all__ = ["BUILTINS", "ScintLexer"]

BUILTINS = ("create_context", "drop_context", "contexts", "help")


class ScintLexer(RegexLexer):
    """Scint programs: `context.action(key=value)`, `name = call`, `$refs`, comments, strings, numbers."""

    name = "Scint"
    aliases = ["scint"]
    filenames = ["*.scint"]
    mimetypes = ["text/x-scint"]

    _name = r"[A-Za-z_][A-Za-z0-9_]*"

    tokens = {
        "root": [
            (r"\s+", Whitespace),
            (r"#.*?$", Comment.Single),
            include("strings"),
            (r"-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?", Number),
            (r"(true|false|null)\b", Keyword.Constant),
            (r"\$(?:_|" + _name + r")", Name.Variable),
            (r"(" + "|".join(BUILTINS) + r")(?=\s*\()", Name.Builtin),
            (r"history(?=\s*\.)", Name.Builtin),
            (r"(self)(?=\s*\.)", Name.Builtin.Pseudo),
            (r"(" + _name + r")(\s*)(=)(?!=)", bygroups(Name.Attribute, Whitespace, Operator)),
            (_name + r"(?=\s*\()", Name.Function),
            (_name + r"(?=\s*\.)", Name.Namespace),
            (_name, Name),
            (r"[()\[\]{},;:.]", Punctuation),
            (r".", Text),
        ],
        "strings": [
            (r'"""', String, "tdq"),
            (r"'''", String, "tsq"),
            (r'"', String, "dq"),
            (r"'", String, "sq"),
        ],
        "tdq": [(r'"""', String, "#pop"), (r"\\.", String.Escape), (r'[^"\\]+|"', String)],
        "tsq": [(r"'''", String, "#pop"), (r"\\.", String.Escape), (r"[^'\\]+|'", String)],
        "dq": [(r'"', String, "#pop"), (r"\\.", String.Escape), (r'[^"\\\n]+', String), (r"\n", String, "#pop")],
        "sq": [(r"'", String, "#pop"), (r"\\.", String.Escape), (r"[^'\\\n]+", String), (r"\n", String, "#pop")],
    }
