"""Inline CSS, script and colors for the `coach score` HTML page, so it works offline from one file."""

from __future__ import annotations

import base64
import hashlib

from ..models import APOLOGY_ELEMENTS

#: Label colors, light enough for the black label text displaCy draws on them.
CATEGORY_COLORS = {"blocking": "#ff8a8a", "non_apology": "#f08cf0", "advocacy": "#7ed99b", "apology": "#6fd6d6"}
OTHER_COLOR = "#ffd36e"
#: displaCy keys colors by upper-cased label; apology findings are labelled by element.
DISPLACY_COLORS = {
    **{k.upper(): v for k, v in CATEGORY_COLORS.items()},
    **{e.upper(): CATEGORY_COLORS["apology"] for e in APOLOGY_ELEMENTS},
}

CSS = """
:root { --fg: #1d2330; --muted: #667085; --line: #e4e7ec; --bg: #f7f8fa; --card: #fff;
  --red: #d92d20; --magenta: #c11574; --green: #079455; --teal: #0e9384; --amber: #dc6803; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg); background: var(--bg); }
header, main { max-width: 1100px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 24px; }
h1 { margin: 0 0 4px; font-size: 26px; }
h2 { margin: 32px 0 10px; font-size: 19px; }
.meta, .note, .src, .model { color: var(--muted); }
.model { font-style: italic; }
.totals { display: flex; flex-wrap: wrap; gap: 10px; margin-top: 14px; }
.total { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: 8px 14px; min-width: 120px; }
.total b { display: block; font-size: 22px; }
.total span { color: var(--muted); font-size: 13px; }
table { border-collapse: collapse; width: 100%; background: var(--card);
  border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: right;
  vertical-align: top; }
th { background: #eef0f4; font-size: 13px; }
.scroll { overflow-x: auto; }
table.agents td { white-space: nowrap; }
table.agents td:first-child { white-space: normal; }
table.sortable th { cursor: pointer; user-select: none; }
th:first-child, td:first-child, .text { text-align: left; }
tfoot td { font-weight: 600; background: #f2f4f7; }
td.rule { text-align: left; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px;
  word-break: break-all; }
.rewrite { color: var(--green); }
mark.placeholder { background: #fde68a; color: #713f12; border-radius: 3px; padding: 0 2px;
  outline: 1px dashed #b45309; }
.rewritten { margin-top: 6px; padding: 6px 10px; border-left: 3px solid var(--green); }
.rewritten .who { color: var(--green); }
.legend { color: var(--muted); font-size: 13px; }
.score { display: inline-block; min-width: 2.6em; text-align: center; border-radius: 6px;
  font-weight: 700; color: #fff; padding: 0 4px; }
.s-red { background: var(--red); } .s-amber { background: var(--amber); }
.s-green { background: var(--green); }
svg.chart { width: 100%; max-width: 720px; height: auto; background: var(--card);
  border: 1px solid var(--line); border-radius: 8px; }
svg.chart text { font: 12px system-ui, sans-serif; fill: var(--muted); }
#filter { padding: 6px 10px; width: 320px; max-width: 100%; border: 1px solid var(--line);
  border-radius: 6px; font: inherit; }
details.conv { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  margin: 10px 0; }
details.conv > summary { cursor: pointer; padding: 8px 12px; }
.turns { padding: 0 14px 10px; }
.turn { border-left: 3px solid var(--line); padding: 4px 10px; margin: 8px 0; }
.turn.agent { border-left-color: #84adff; }
.turn.customer { border-left-color: #d0d5dd; background: #fafafa; }
.who { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
.plain { white-space: pre-wrap; word-wrap: break-word; }
.spans { word-wrap: break-word; }
ul.findings { margin: 4px 0; padding-left: 18px; font-size: 14px; }
ul.findings ul { margin: 0; padding-left: 16px; list-style: none; }
.badge { display: inline-block; border-radius: 4px; padding: 0 6px; font-size: 12px;
  font-weight: 700; color: #000; background: #ffd36e; }
.badge.blocking { background: #ff8a8a; } .badge.non_apology { background: #f08cf0; }
.badge.advocacy { background: #7ed99b; } .badge.apology { background: #6fd6d6; }
.flag { color: var(--magenta); font-weight: 600; }
"""

#: Sortable tables, a conversation filter, and a ready flag tests use to prove the script ran.
SCRIPT = """
(function () {
  var q = document.getElementById("filter");
  if (q) q.addEventListener("input", function () {
    var v = q.value.toLowerCase();
    document.querySelectorAll("details.conv").forEach(function (d) {
      d.hidden = v !== "" && d.getAttribute("data-search").indexOf(v) < 0;
    });
  });
  document.querySelectorAll("table.sortable thead th").forEach(function (th, i) {
    th.addEventListener("click", function () {
      var body = th.closest("table").tBodies[0], asc = th.dataset.dir !== "asc";
      th.dataset.dir = asc ? "asc" : "desc";
      var key = function (r) { var c = r.cells[i]; return c.dataset.v || c.textContent; };
      Array.from(body.rows).sort(function (a, b) {
        var x = key(a), y = key(b), nx = parseFloat(x), ny = parseFloat(y);
        var c = isNaN(nx) || isNaN(ny) ? x.localeCompare(y) : nx - ny;
        return asc ? c : -c;
      }).forEach(function (r) { body.appendChild(r); });
    });
  });
  document.body.dataset.ready = "1";
})();
"""


def csp() -> str:
    """A policy that blocks every network load and any script but ours, should escaping ever slip."""
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
    return (
        f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
