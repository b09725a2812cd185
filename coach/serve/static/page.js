(function () {
  "use strict";
  var CFG = JSON.parse(document.getElementById("coach-config").textContent);
  var draft = document.getElementById("draft");
  var marks = document.getElementById("marks");
  var list = document.getElementById("findings");
  var checklist = document.getElementById("apology");
  var apologyNote = document.getElementById("apology-note");
  var score = document.getElementById("score");
  var status = document.getElementById("status");
  var applyAll = document.getElementById("apply-all");
  var tokenBox = document.getElementById("token-box");
  var tokenInput = document.getElementById("token");
  var timer = null, seq = 0, current = null;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // The API counts Unicode code points; the DOM counts UTF-16 units: map one to the other.
  function unitsOf(text) {
    var map = [], i = 0;
    while (i < text.length) {
      map.push(i);
      var c = text.charCodeAt(i);
      i += (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) ? 2 : 1;
    }
    map.push(i);
    return map;
  }

  function scoreClass(s) { return s >= 80 ? "s-green" : s >= 60 ? "s-amber" : "s-red"; }
  function label(f) { return (f.category === "apology" && f.element ? f.element : f.category).replace(/_/g, "-"); }
  function cat(c) { return CFG.categories.indexOf(c) >= 0 ? c : "other"; }
  function negative(f) { return CFG.negative.indexOf(f.category) >= 0; }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(lint, CFG.debounce);
  }

  function lint() {
    clearTimeout(timer);
    var text = draft.value, mine = ++seq;
    if (!text.trim()) { render(text, null); return; }
    var headers = {"Content-Type": "application/json"};
    var token = sessionStorage.getItem("coach-token");
    if (token) headers.Authorization = "Bearer " + token;
    status.textContent = "Checking…";
    fetch("v1/lint", {method: "POST", headers: headers, body: JSON.stringify({text: text})})
      .then(function (r) {
        return r.json().then(function (body) { return {status: r.status, body: body}; });
      })
      .then(function (answer) {
        if (mine !== seq) return;
        if (answer.status === 401) {
          tokenBox.hidden = false;
          status.textContent = "This server needs a token: enter it above.";
          return;
        }
        if (answer.status !== 200) {
          status.textContent = (answer.body.error && answer.body.error.message) || "The server refused the draft.";
          return;
        }
        if (draft.value === text) render(text, answer.body.results[0]);
      })
      .catch(function () { if (mine === seq) status.textContent = "Cannot reach coach serve."; });
  }

  function render(text, result) {
    current = result ? {text: text, result: result, units: unitsOf(text)} : null;
    drawMarks();
    drawFindings();
    drawApology();
    if (!result) {
      score.textContent = "–";
      score.className = "score";
      status.textContent = "";
      document.body.dataset.state = "empty";
      return;
    }
    score.textContent = result.score;
    score.className = "score " + scoreClass(result.score);
    var n = result.findings.length;
    status.textContent = (n ? n + (n === 1 ? " finding" : " findings") : "No findings") + ", score " + result.score + ".";
    document.body.dataset.state = "linted";
    document.body.dataset.linted = String(seq);
  }

  // Highlights: the draft's text, transparent, behind the textarea, cut where any finding
  // starts or ends; a rule finding paints its words, a model finding underlines its sentence.
  function drawMarks() {
    marks.textContent = "";
    if (!current) { marks.textContent = draft.value + "\n"; return; }
    var text = current.text, u = current.units, fs = current.result.findings;
    var cuts = [0, text.length];
    fs.forEach(function (f) { cuts.push(u[f.start], u[f.end]); });
    cuts = cuts.filter(function (c, i, a) { return a.indexOf(c) === i; }).sort(function (a, b) { return a - b; });
    for (var k = 0; k + 1 < cuts.length; k++) {
      var a = cuts[k], b = cuts[k + 1], piece = text.slice(a, b);
      var rule = null, model = null;
      fs.forEach(function (f, i) {
        if (u[f.start] <= a && b <= u[f.end]) {
          if (f.source === "model") { if (model === null) model = i; }
          else if (rule === null || negative(f) && !negative(fs[rule])) rule = i;
        }
      });
      if (rule === null && model === null) { marks.appendChild(document.createTextNode(piece)); continue; }
      var m = el("mark", "", piece);
      if (rule !== null) { m.classList.add("hl", "c-" + cat(fs[rule].category)); m.dataset.finding = rule; }
      if (model !== null) { m.classList.add("ml", "mc-" + cat(fs[model].category)); m.dataset.model = model; }
      marks.appendChild(m);
    }
    marks.appendChild(document.createTextNode("\n"));
  }

  function drawFindings() {
    list.textContent = "";
    var fs = current ? current.result.findings : [];
    applyAll.hidden = !fs.some(function (f) { return negative(f) && f.rewrites.length; });
    if (!fs.length) {
      list.appendChild(el("li", "none", current ? "No findings." : "Findings appear here as you type."));
      return;
    }
    fs.forEach(function (f, i) {
      var li = el("li", "finding " + (f.source === "model" ? "model" : "rule"));
      li.id = "finding-" + i;
      var head = el("div", "head");
      head.appendChild(el("span", "badge " + f.category, label(f)));
      if (f.source === "model") {
        head.appendChild(el("span", "tag mc-" + cat(f.category),
          "model" + (f.confidence === null ? "" : " · " + Math.round(f.confidence * 100) + "%")));
      }
      var quote = el("button", "quote", "“" + f.text + "”");
      quote.type = "button";
      quote.title = "Select these words in the draft";
      quote.addEventListener("click", function () { select(i); });
      head.appendChild(quote);
      li.appendChild(head);
      if (f.message) li.appendChild(el("p", "message", f.message));
      if (f.rewrites.length) {
        var rw = el("div", "rewrites");
        rw.appendChild(el("span", "try", "Try:"));
        f.rewrites.slice(0, 3).forEach(function (r) {
          var b = el("button", "rewrite", r);
          b.type = "button";
          b.title = "Replace “" + f.text + "” with this";
          b.addEventListener("click", function () { apply([{finding: f, rewrite: r}]); });
          rw.appendChild(b);
        });
        li.appendChild(rw);
      }
      li.appendChild(el("div", "rule-id", f.rule));
      list.appendChild(li);
    });
  }

  function drawApology() {
    checklist.textContent = "";
    var a = current ? current.result.apology : null;
    if (!a || !a.offered) {
      apologyNote.textContent = !a ? "" : (current.result.counts.non_apology
        ? "A non-apology stands where an apology should be."
        : "No apology offered (none may be needed).");
    } else {
      var pct = Math.round((a.completeness || 0) * 100);
      apologyNote.textContent = "Completeness " + pct + "%.";
    }
    CFG.elements.forEach(function (name) {
      var have = a && a.elements.indexOf(name) >= 0;
      var li = el("li", have ? "have" : "miss");
      li.dataset.element = name;
      li.appendChild(el("span", "mark", have ? "✓" : (a && a.offered ? "✗" : "·")));
      li.appendChild(el("span", "name", name));
      if (!have && a && a.offered && CFG.examples[name]) li.appendChild(el("span", "eg", "e.g. “" + CFG.examples[name] + "”"));
      checklist.appendChild(li);
    });
  }

  function select(i) {
    if (!current) return;
    var f = current.result.findings[i], u = current.units;
    draft.focus();
    draft.setSelectionRange(u[f.start], u[f.end]);
  }

  // Like the CLI's "Rewritten" draft: of overlapping findings the first wins; edits go in
  // last-first so earlier offsets stay valid. execCommand keeps the browser's undo (Ctrl+Z).
  function apply(changes) {
    if (!current || draft.value !== current.text) return;
    var u = current.units, lastEnd = -1, chosen = [];
    changes.sort(function (x, y) { return x.finding.start - y.finding.start || y.finding.end - x.finding.end; });
    changes.forEach(function (c) {
      if (c.finding.start < lastEnd) return;
      chosen.push(c);
      lastEnd = c.finding.end;
    });
    draft.focus();
    chosen.reverse().forEach(function (c) {
      var s = u[c.finding.start], e = u[c.finding.end];
      draft.setSelectionRange(s, e);
      var done = false;
      try { done = document.execCommand("insertText", false, c.rewrite); } catch (err) { done = false; }
      if (!done || draft.value.slice(s, s + c.rewrite.length) !== c.rewrite) draft.setRangeText(c.rewrite, s, e, "end");
    });
    grow();
    status.textContent = chosen.length === 1 ? "Applied “" + chosen[0].rewrite + "”." : "Applied " + chosen.length + " rewrites.";
    lint();
  }

  // The box grows with the draft instead of scrolling, so the highlights behind it wrap
  // exactly as its text does (a scrollbar would narrow one and not the other).
  function grow() {
    draft.style.height = "auto";
    draft.style.height = (draft.scrollHeight + draft.offsetHeight - draft.clientHeight) + "px";
  }

  draft.addEventListener("input", function () {
    if (current && draft.value !== current.text) marks.textContent = draft.value + "\n";
    grow();
    schedule();
  });
  window.addEventListener("resize", grow);
  applyAll.addEventListener("click", function () {
    if (!current) return;
    // The model marks whole sentences: coach rewrites them by template or gives advice, never a splice.
    apply(current.result.findings.filter(function (f) { return negative(f) && f.rewrites.length && f.source !== "model"; })
      .map(function (f) { return {finding: f, rewrite: f.rewrites[0]}; }));
  });
  document.getElementById("token-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    sessionStorage.setItem("coach-token", tokenInput.value.trim());
    tokenBox.hidden = true;
    lint();
  });
  render("", null);
  grow();
  if (draft.value) lint();
  document.body.dataset.ready = "1";
})();
