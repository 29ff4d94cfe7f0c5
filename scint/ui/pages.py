"""The HTML pages of the web view, drawn on the server from the dicts of scint.ui.data. Every piece of text that
comes from a store (keys, values, program text, actors, branch and context names) passes through `esc`: values
are user and model data. No web framework here: each function returns a string."""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import quote, urlencode

__all__ = ["branches_svg", "page"]

VALUE_CHARS = 300  # characters of one value shown inline; longer ones are collapsed
NAV = (("/", "Branches"), ("/log", "Log"), ("/state", "State"), ("/diff", "Diff"), ("/processes", "Processes"))


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def href(path: str, **params: Any) -> str:
    """A link with its parameters encoded (values are user data), escaped for an attribute."""
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return esc(path + ("?" + query if query else ""))


def page(title: str, body: str, *, stamp: str, csrf: str, store: str, proposals: bool = True) -> str:
    nav = "".join(f'<a href="{p}">{esc(label)}</a>' for p, label in NAV)
    if proposals:
        nav += '<a href="/proposals">Proposals</a>'
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width'><title>{esc(title)} · scint</title>"
        f"<meta name='scint-csrf' content='{esc(csrf)}'>"
        "<link rel='icon' href='/static/favicon.svg' type='image/svg+xml'>"
        "<link rel='stylesheet' href='/static/scint.css'><script src='/static/scint.js' defer></script></head>"
        f"<body><header><b class='logo'>scint</b><nav>{nav}</nav><span class='store'>{esc(store)}</span>"
        "<span id='live' class='live' title='updates while other processes write'>live</span></header>"
        f"<main id='main' data-stamp='{esc(stamp)}'><h1>{esc(title)}</h1>{body}</main></body></html>"
    )


def value_html(value: Any, width: int = VALUE_CHARS) -> str:
    """A value as JSON text: whole when short, else its head with the whole behind a <details>."""
    text = json.dumps(value, ensure_ascii=False, indent=None, default=str)
    if len(text) <= width:
        return f"<code>{esc(text)}</code>"
    head = text[:width]
    whole = text if len(text) <= 20 * width else text[: 20 * width] + f"… ({len(text):,} characters in all)"
    return (
        f"<details class='value'><summary><code>{esc(head)}…</code> <i>{len(text):,} chars</i></summary>"
        f"<pre>{esc(whole)}</pre></details>"
    )


def state_href(branch: str, version: int) -> str:
    return href("/state", ref=f"{branch}@{version}")


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def error_html(message: str) -> str:
    return f"<p class='error'>{esc(message)}</p>"


# -- branches ------------------------------------------------------------------------------------------------


def branches_svg(branches: list[dict[str, Any]], width: int = 760) -> str:
    """Each branch a lane from its fork point to its head, joined to its base lane at the fork version; drawn
    on a common version axis (no layout engine: lanes in order of their base, then name)."""
    if not branches:
        return ""
    by_name = {b["name"]: b for b in branches}
    order: list[str] = []

    def visit(name: str) -> None:
        order.append(name)
        for child in sorted(n for n, b in by_name.items() if b["base"] == name and n not in order):
            visit(child)

    for root in sorted(n for n, b in by_name.items() if b["base"] not in by_name):
        visit(root)
    top = max(max(b["version"], b["at"]) for b in branches) or 1
    left, right, lane = 150, 60, 34

    def x(v: int) -> float:
        return left + (width - left - right) * v / top

    parts = []
    for i, name in enumerate(order):
        b, y = by_name[name], 24 + i * lane
        start, end = x(b["at"]), x(b["version"])
        link = href("/log", branch=name)
        cls = "lane current" if b.get("current") else "lane"
        parts.append(
            f"<a href='{link}'><text x='8' y='{y + 4}' class='name'>{esc(name)}</text></a>"
            f"<line x1='{start:.1f}' y1='{y}' x2='{max(end, start + 2):.1f}' y2='{y}' class='{cls}'/>"
            f"<a href='{state_href(name, b['version'])}'><circle cx='{end:.1f}' cy='{y}' r='5' "
            f"class='head'><title>{esc(name)}@{b['version']}</title></circle></a>"
            f"<text x='{end + 9:.1f}' y='{y + 4}' class='ver'>{b['version']}</text>"
        )
        if b["base"] in by_name:
            by = 24 + order.index(b["base"]) * lane
            parts.append(
                f"<path d='M{start:.1f},{by} C{start:.1f},{(by + y) / 2:.1f} {start:.1f},{y} {start + 8:.1f},{y}' "
                f"class='fork'/><a href='{state_href(b['base'], b['at'])}'><circle cx='{start:.1f}' "
                f"cy='{by}' r='4' class='forkpt'><title>{esc(name)} forks {esc(b['base'])} at {b['at']}</title>"
                "</circle></a>"
            )
    height = 24 + len(order) * lane
    return (
        f"<svg class='branches' width='{width}' height='{height}' viewBox='0 0 {width} {height}' "
        f"role='img' aria-label='branches'>{''.join(parts)}</svg>"
    )


def branches_body(data: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td><a href='{href('/log', branch=b['name'])}'>{esc(b['name'])}</a>{' (current)' * b['current']}</td>"
        f"<td>{esc(b['base'] or '')}</td><td>{b['at']}</td>"
        f"<td><a href='{state_href(b['name'], b['version'])}'>{b['version']}</a></td></tr>"
        for b in data["branches"]
    )
    return (
        branches_svg(data["branches"])
        + f"<table><tr><th>branch</th><th>base</th><th>fork at</th><th>head</th></tr>{rows}</table>"
    )


# -- log -----------------------------------------------------------------------------------------------------


def event_html(e: dict[str, Any]) -> str:
    args = json.dumps(e["args"], ensure_ascii=False, default=str)
    short = args if len(args) <= 160 else args[:160] + f"… ({len(args):,} chars)"
    call = f"{e['path'] + '.' if e['path'] else ''}{e['action']}({short})"
    return f"<li><span class='v'>{e['version']}</span> <code>{esc(call)}</code></li>"


def log_body(data: dict[str, Any]) -> str:
    branch = data["branch"]
    rows = []
    for e in data["entries"]:
        ref = f"{branch}@{e['version']}"
        first = e["version"] - e["events_total"]  # the state just before the program
        events = "".join(event_html(ev) for ev in e["events"][-50:])
        more = e["events_total"] - min(len(e["events"]), 50)
        if more > 0:
            events = f"<li>… {more} earlier events</li>" + events
        rows.append(
            f"<tr class='entry'><td><a href='{href('/state', ref=ref)}'>{e['version']}</a></td>"
            f"<td class='time'>{esc(e['time'][:19].replace('T', ' '))}</td><td>{esc(e['actor'])}</td>"
            f"<td><pre class='program'>{esc(e['source'])}</pre>"
            f"<details><summary>{plural(e['events_total'], 'event')}</summary>"
            f"<ul class='events'>{events}</ul></details></td>"
            f"<td><a class='difflink' href='{href('/diff', a=branch + '@' + str(first), b=ref)}'>diff</a></td></tr>"
        )
    table = (
        "<table class='log'><tr><th>version</th><th>time (UTC)</th><th>actor</th><th>program</th><th></th></tr>"
        + "".join(rows)
        + "</table>"
        if rows
        else "<p>No programs yet.</p>"
    )
    nav = ""
    if data["before"] is not None:
        nav += f"<a href='{href('/log', branch=branch)}'>newest</a> "
    if data["older"] is not None:
        nav += f"<a class='older' href='{href('/log', branch=branch, before=data['older'])}'>older</a>"
    return f"<p>branch <b>{esc(branch)}</b>, head version {data['version']}</p>{table}<p class='pager'>{nav}</p>"


# -- state ---------------------------------------------------------------------------------------------------


def state_body(data: dict[str, Any], rendered: str) -> str:
    branch = data["branch"]
    steps = []
    if data["prev"] is not None:
        steps.append(f"<a class='prev' href='{state_href(branch, data['prev'])}'>← {data['prev']}</a>")
    steps.append(f"<b>{esc(branch)}@{data['version']}</b> (head {data['head']})")
    if data["next"] is not None:
        steps.append(f"<a class='next' href='{state_href(branch, data['next'])}'>{data['next']} →</a>")
    outline = "".join(
        f"<li class='d{min(p.count('.'), 4)}'><b>{esc(p)}</b> <i>{esc(c['type'])}</i> "
        f"<span class='size'>{plural(len(c['state']), 'field')}</span></li>"
        for p, c in list(data["contexts"].items())[:500]
    )
    if len(data["contexts"]) > 500:
        outline += f"<li>… {len(data['contexts']) - 500} more contexts</li>"
    form = (
        "<form class='ref' method='get' action='/state'><input name='ref' placeholder='main@5, what-if, 12' "
        f"value='{esc(data['ref'])}'><button>show</button></form>"
    )
    return (
        f"{form}<p class='steps'>{' '.join(steps)}</p><ul class='outline'>{outline}</ul>"
        f"<pre class='state'>{esc(rendered)}</pre>"
    )


# -- diff ----------------------------------------------------------------------------------------------------


def diff_form(a: str, b: str) -> str:
    return (
        "<form class='ref' method='get' action='/diff'>"
        f"<input name='a' placeholder='main@5' value='{esc(a)}'> → "
        f"<input name='b' placeholder='what-if' value='{esc(b)}'><button>compare</button></form>"
    )


def diff_body(data: dict[str, Any] | None, a: str, b: str) -> str:
    if data is None:
        return diff_form(a, b) + "<p>Give two refs: a branch (<code>what-if</code>), <code>branch@N</code> or N.</p>"
    out = [diff_form(a, b), f"<p>from <b>{esc(data['a'])}</b> to <b>{esc(data['b'])}</b></p>"]
    if not (data["added"] or data["removed"] or data["changed"]):
        out.append("<p class='same'>No difference.</p>")
    for label, cls in (("added", "add"), ("removed", "del")):
        if data[label]:
            items = "".join(f"<li class='{cls}'>{esc(p)} <i>{esc(t)}</i></li>" for p, t in data[label].items())
            out.append(f"<h2>{label}</h2><ul>{items}</ul>")
    if data["changed"]:
        out.append("<h2>changed</h2>")
        for path, fields in data["changed"].items():
            rows = "".join(f"<tr><td>{esc(k)}</td><td>{value_html(v)}</td></tr>" for k, v in fields.items())
            out.append(f"<h3>{esc(path)}</h3><table class='diff'>{rows}</table>")
    return "".join(out)


# -- processes -------------------------------------------------------------------------------------------------


def processes_body(data: dict[str, Any]) -> str:
    if not data["processes"]:
        return "<p>No processes on this branch.</p>"
    rows = "".join(
        f"<tr><td><a href='{href('/processes/' + quote(p['path']))}'>{esc(p['path'])}</a></td>"
        f"<td class='status'>{esc(p['status'])}</td><td>{esc(p['goal'] or '')}</td><td>{esc(p['model'] or '')}</td>"
        f"<td>{p['steps']}</td><td>{value_html(p['budget'] or {}, 80)}</td><td>{len(p['tasks'])}</td></tr>"
        for p in data["processes"]
    )
    return (
        "<table><tr><th>process</th><th>status</th><th>goal</th><th>model</th><th>transcript</th><th>budget</th>"
        f"<th>tasks</th></tr>{rows}</table>"
    )


def process_body(p: dict[str, Any]) -> str:
    tasks = "".join(
        f"<li><span class='status'>{esc(t['status'])}</span> {esc(t['path'])}: {esc(t['title'])}</li>"
        for t in p["tasks"]
    )
    items = "".join(
        f"<li><b>{esc(item.get('role', item.get('kind', '')) if isinstance(item, dict) else '')}</b> "
        f"{value_html(item.get('content', item) if isinstance(item, dict) else item, 600)}</li>"
        for item in p["transcript"]
    )
    shown = len(p["transcript"])
    note = f" (the newest {shown} of {p['transcript_total']})" if p["transcript_total"] > shown else ""
    state = "".join(f"<tr><td>{esc(k)}</td><td>{value_html(v)}</td></tr>" for k, v in p["state"].items())
    messages = ""
    if p.get("messages") is not None:
        messages = f"<h2>messages</h2>{value_html(p['messages'], 2000)}"
    transcript = f"<ol class='transcript'>{items}</ol>" if items else "<p>empty</p>"
    return (
        f"<p>status <b class='status'>{esc(p['status'])}</b>; goal: {esc(p['goal'] or '')}</p>"
        f"<h2>tasks</h2><ul>{tasks or '<li>none</li>'}</ul>{messages}"
        f"<h2>transcript{esc(note)}</h2>{transcript}<h2>state</h2><table>{state}</table>"
    )


# -- proposals -------------------------------------------------------------------------------------------------


def proposals_body(data: dict[str, Any], *, csrf: str, read_only: bool) -> str:
    if not data["available"] or not data["proposals"]:
        return f"<p>There are no {esc(data['status'])} proposals.</p>"
    rows = []
    for p in data["proposals"]:
        pid = str(p.get("id", "")) if isinstance(p, dict) else str(p)
        buttons = ""
        if not read_only:
            base = f"/api/proposals/{quote(pid, safe='')}"
            buttons = (
                f"<form method='post' action='{esc(base)}/approve'><input type='hidden' name='csrf' "
                f"value='{esc(csrf)}'><button>approve</button></form>"
                f"<form method='post' action='{esc(base)}/reject'><input type='hidden' name='csrf' "
                f"value='{esc(csrf)}'><input name='reason' placeholder='reason' required><button>reject</button></form>"
            )
        if isinstance(p, dict) and isinstance(p.get("program"), str):
            error = f"<p class='error'>{esc(str(p['error']))}</p>" if p.get("error") else ""
            detail = (
                f"<td>{esc(str(p.get('proposer', '')))}</td><td>{esc(str(p.get('version', '')))}</td>"
                f"<td><pre class='program'>{esc(p['program'])}</pre>{error}</td>"
            )
        else:  # another shape of proposal: shown as data
            detail = f"<td colspan='3'>{value_html(p, 600)}</td>"
        rows.append(f"<tr><td>{esc(pid)}</td>{detail}<td>{buttons}</td></tr>")
    head = "<tr><th>id</th><th>proposer</th><th>version</th><th>program</th><th></th></tr>"
    return f"<table class='proposals'><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"
