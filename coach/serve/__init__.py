"""coach as a resident process: an HTTP API and web page (`coach serve`) and a language
server (`coach lsp`), so a reply box or an editor gets findings in milliseconds.

Thin by design: analysis is coach.analyzer.Analyzer, the JSON is coach.render.json_'s and
editor diagnostics are coach.checking's. Needs the `serve` extra (Starlette, uvicorn, pygls).
"""
