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
  var rewrittenBox = document.getElementById("rewritten-box");
  var rewrittenText = document.getElementById("rewritten");
  // What a rewrite cannot know and the agent must fill in: "[what you can offer]" (coach.rewrite.PLACEHOLDER).
  var PLACEHOLDER = /\[[^\[\]\n]{1,60}\]/g;
  var tokenBox = document.getElementById("token-box");
  var tokenInput = document.getElementById("token");
  var timer = null, seq = 0, current = null, note = "";

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
    drawRewritten();
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
    status.textContent = note + (n ? n + (n === 1 ? " finding" : " findings") : "No findings") + ", score " + result.score + ".";
    note = "";
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
    applyAll.hidden = !sentenceEdits().length;
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
      var edit = editFor(f);
      if (edit && edit.advice) li.appendChild(el("p", "advice", edit.advice));
      var others = f.rewrites.filter(function (r) { return r !== f.rewrite; });
      if (f.rewrite || others.length) {
        var rw = el("div", "rewrites");
        rw.appendChild(el("span", "try", "Try:"));
        if (f.rewrite && edit) {
          var s = el("button", "rewrite sentence");
          s.type = "button";
          withPlaceholders(s, edit.text);
          s.title = edit.placeholders.length ? "Use this sentence, then fill in " + blanks(edit.text).join(", ")
            : "Use this sentence";
          s.addEventListener("click", function () { apply([{start: edit.start, end: edit.end, text: edit.text}]); });
          rw.appendChild(s);
        }
        others.slice(0, f.rewrite ? 2 : 3).forEach(function (r) {
          var b = el("button", "rewrite");
          b.type = "button";
          withPlaceholders(b, r);
          // a whole-sentence template goes over the sentence, a word swap over the words
          var whole = /[.!?]$/.test(r.trim()) && edit;
          b.title = whole ? "Use this sentence" : "Replace “" + f.text + "” with this";
          b.addEventListener("click", function () {
            apply([whole ? {start: edit.start, end: edit.end, text: r} : {start: f.start, end: f.end, text: r}]);
          });
          rw.appendChild(b);
        });
        li.appendChild(rw);
      }
      li.appendChild(el("div", "rule-id", f.rule));
      list.appendChild(li);
    });
  }

  // The sentence rewrite (or advice) that answers a finding: its rule among the edit's rules, spans touching.
  function editFor(f) {
    var edits = current ? current.result.edits || [] : [];
    for (var k = 0; k < edits.length; k++) {
      var e = edits[k];
      if (e.rules.indexOf(f.rule) >= 0 && e.start <= f.end && f.start <= e.end) return e;
    }
    return null;
  }

  function sentenceEdits() {
    return (current ? current.result.edits || [] : []).filter(function (e) { return !e.advice; });
  }

  function blanks(text) { return text.match(PLACEHOLDER) || []; }

  // `text` into `node`, each placeholder in a <mark class="placeholder">: something to fill in, not finished words.
  function withPlaceholders(node, text) {
    var at = 0, m;
    PLACEHOLDER.lastIndex = 0;
    while ((m = PLACEHOLDER.exec(text)) !== null) {
      node.appendChild(document.createTextNode(text.slice(at, m.index)));
      node.appendChild(el("mark", "placeholder", m[0]));
      at = m.index + m[0].length;
    }
    node.appendChild(document.createTextNode(text.slice(at)));
  }

  // The draft as `coach lint` rewrites it, placeholders marked.
  function drawRewritten() {
    rewrittenText.textContent = "";
    var r = current ? current.result.rewritten : null;
    rewrittenBox.hidden = r === null || r === undefined;
    if (!rewrittenBox.hidden) withPlaceholders(rewrittenText, r);
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

  // Changes are {start, end, text} in code points, as the API counts. Like the CLI's "Rewritten"
  // draft: of overlapping changes the first wins; they go in last-first so earlier offsets stay
  // valid. execCommand keeps the browser's undo (Ctrl+Z). A placeholder is never left as if it
  // were finished: the first one is selected, so typing replaces it, and the status names them.
  function apply(changes) {
    if (!current || draft.value !== current.text) return;
    var u = current.units, lastEnd = -1, chosen = [];
    changes.sort(function (x, y) { return x.start - y.start || y.end - x.end; });
    changes.forEach(function (c) {
      if (c.start < lastEnd) return;
      chosen.push(c);
      lastEnd = c.end;
    });
    draft.focus();
    var firstAt = chosen.length ? u[chosen[0].start] : 0;
    chosen.slice().reverse().forEach(function (c) {
      var s = u[c.start], e = u[c.end];
      draft.setSelectionRange(s, e);
      var done = false;
      try { done = document.execCommand("insertText", false, c.text); } catch (err) { done = false; }
      if (!done || draft.value.slice(s, s + c.text.length) !== c.text) draft.setRangeText(c.text, s, e, "end");
    });
    grow();
    var toFill = [];
    chosen.forEach(function (c) { toFill = toFill.concat(blanks(c.text)); });
    if (toFill.length) {
      var at = draft.value.indexOf(toFill[0], firstAt);
      if (at >= 0) draft.setSelectionRange(at, at + toFill[0].length);
      note = "Fill in " + toFill.join(", ") + " before sending. ";
      status.textContent = note;
    } else {
      status.textContent = chosen.length === 1 ? "Applied “" + chosen[0].text + "”." : "Applied " + chosen.length + " rewrites.";
    }
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
    apply(sentenceEdits().map(function (e) { return {start: e.start, end: e.end, text: e.text}; }));
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
