"""The page `coach serve` answers GET / with: one self-contained HTML file (inline CSS and
script, no external asset, works offline) in the HTML report's colours."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from html import escape
from importlib import resources

from ..models import APOLOGY_ELEMENTS, NEGATIVE_CATEGORIES
from ..render import html_assets
from ..scoring import ELEMENT_EXAMPLES

#: Milliseconds of quiet typing before the draft is linted.
DEBOUNCE_MS = 250

TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>coach — check a reply</title>
<style>{css}</style>
</head>
<body>
<header>
<h1>coach</h1>
<p class="meta">Type or paste a reply. Blocking language and non-apologies are highlighted as you
type; click a suggestion to use it.</p>
<p class="legend" aria-hidden="true">{legend}</p>
</header>
<main class="page">
<section>
<label class="big" for="draft">Your reply</label>
<div class="wrap">
<div id="backdrop" aria-hidden="true"><div id="marks"></div></div>
<textarea id="draft" autofocus spellcheck="true" aria-describedby="status"
 placeholder="e.g. Sorry for any inconvenience, but there's nothing I can do."></textarea>
</div>
<p id="status" role="status" aria-live="polite"></p>
<div id="token-box" hidden>
<form id="token-form"><label for="token">Token</label> <input id="token" type="password"
 autocomplete="off"> <button type="submit">Use</button></form>
</div>
</section>
<aside>
<div class="scorebox">Score <span id="score" class="score">–</span></div>
<h2>Findings</h2>
<button type="button" id="apply-all" class="all" hidden>Use the rewritten reply</button>
<ol id="findings" aria-live="off"></ol>
<div id="rewritten-box" hidden>
<h2>Rewritten</h2>
<p id="rewritten" class="rewritten"></p>
<p class="legend"><mark class="placeholder">[like this]</mark> a placeholder: fill it in with your own words</p>
</div>
<h2>Apology</h2>
<p id="apology-note"></p>
<ul id="apology"></ul>
</aside>
</main>
<script type="application/json" id="coach-config">{config}</script>
<script>{script}</script>
</body>
</html>
"""


def _static(name: str) -> str:
    return resources.files("coach.serve").joinpath("static", name).read_text(encoding="utf-8")


def category_css() -> str:
    """--c (highlight) and --mc (model underline) per category, from the HTML report's palette."""
    colors = {**html_assets.CATEGORY_COLORS, "other": html_assets.OTHER_COLOR}
    return "\n".join(f".c-{name} {{ --c: {color}; }} .mc-{name} {{ --mc: {color}; }}" for name, color in colors.items())


def _legend() -> str:
    names = {"blocking": "blocking", "non_apology": "non-apology", "advocacy": "advocacy", "apology": "apology element"}
    items = [f'<span><i class="c-{k}"></i> {escape(v)}</span>' for k, v in names.items()]
    items.append('<span><i class="ml mc-blocking"></i> sentence marked by the model</span>')
    return "".join(items)


def _config() -> str:
    config = {
        "debounce": DEBOUNCE_MS,
        "categories": list(html_assets.CATEGORY_COLORS),
        "negative": sorted(NEGATIVE_CATEGORIES),
        "elements": list(APOLOGY_ELEMENTS),
        "examples": dict(ELEMENT_EXAMPLES),
    }
    # `</` cannot end the script element early when written as `<\\/`.
    return json.dumps(config, ensure_ascii=False).replace("</", "<\\/")


@functools.lru_cache(maxsize=1)
def render_page() -> bytes:
    css = html_assets.CSS + category_css() + "\n" + _static("page.css")
    return TEMPLATE.format(css=css, legend=_legend(), config=_config(), script=_static("page.js")).encode("utf-8")


@functools.lru_cache(maxsize=1)
def page_headers() -> dict[str, str]:
    """A policy that allows only our own script and calls to this server, should escaping slip."""
    digest = base64.b64encode(hashlib.sha256(_static("page.js").encode("utf-8")).digest()).decode("ascii")
    policy = (
        f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; "
        "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }
