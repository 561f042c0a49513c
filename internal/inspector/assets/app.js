// The thingsim inspector: a live list of arrivals, one arrival in full, a chart per measurement of
// a device, and the endpoint's answer. Every captured string reaches the page through textContent
// or an attribute, never as markup.
"use strict";
(function () {
  const keepInPage = 1000;
  const token = document.querySelector('meta[name="thingsim-token"]').content;
  const readOnly = document.querySelector('meta[name="thingsim-read-only"]').content === "true";
  const $ = (id) => document.getElementById(id);
  const list = $("list");
  let total = 0, selected = 0;
  const devices = new Set();
  let chart = { device: "", series: new Map(), through: 0, pending: null, plotted: new Set() };

  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === "text") e.textContent = v;
      else if (k === "class") e.className = v;
      else if (k.startsWith("data-")) e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const c of children) if (c != null) e.append(c);
    return e;
  }
  const verdictWords = { valid: "token valid", invalid: "token invalid", missing: "no token", unknown_plug: "unknown plug UUID",
    unchecked: "not checked", too_large: "too large", unreadable: "unreadable" };
  const answerWords = (s) => s.dropped ? "dropped" : (s.status ? String(s.status) : "no answer");
  const clock = (t) => { const d = new Date(t); return isNaN(d) ? t : d.toLocaleTimeString(undefined, { hour12: false }) + "." + String(d.getMilliseconds()).padStart(3, "0"); };

  // The list holds the newest keepInPage arrivals and draws only the rows on screen (plus a few
  // either side), so that it costs the same however fast arrivals come.
  const rowHeight = 46; // px, as app.css sets it
  let rows = []; // summaries, newest first
  const byID = new Map();
  let shown = []; // the rows that pass the filters
  let renderQueued = false;
  const viewport = $("viewport");

  function setTotal(n) {
    total = Math.max(total, n);
    $("count").textContent = total.toLocaleString() + (total === 1 ? " arrival" : " arrivals");
    $("count").dataset.total = String(total);
  }

  function item(s) {
    const li = el("li", { "data-id": String(s.id), "data-device": s.device || "", "data-verdict": s.verdict, "data-status": s.dropped ? "dropped" : String(s.status || "") },
      el("span", { class: "verdict-" + s.verdict, text: verdictWords[s.verdict] || s.verdict }),
      el("span", { class: "answer", text: "→ " + answerWords(s) }),
      el("span", { class: "time", text: clock(s.time) }),
      el("span", { class: "meta", text: [s.device || "no device", s.method + " " + s.target, s.plug_uuid ? "plug " + s.plug_uuid : "no plug UUID",
        s.layout, s.records + (s.records === 1 ? " record" : " records"), s.size + " bytes"].concat(s.outcome ? [s.outcome] : []).join(" · ") }));
    if (s.id === selected) li.classList.add("selected");
    li.addEventListener("click", () => show(s.id));
    return li;
  }

  // add takes arrivals in any order (a catch-up brings older ones after newer live ones).
  function add(batch) {
    const fresh = batch.filter((s) => !byID.has(s.id));
    if (!fresh.length) return;
    for (const s of fresh) {
      byID.set(s.id, s);
      noteDevice(s);
    }
    fresh.sort((x, y) => y.id - x.id);
    rows = rows.length && fresh[fresh.length - 1].id > rows[0].id ? fresh.concat(rows) : fresh.concat(rows).sort((x, y) => y.id - x.id);
    for (const s of rows.splice(keepInPage)) byID.delete(s.id);
    if (chart.device) {
      const mine = fresh.filter((s) => s.device === chart.device && byID.has(s.id));
      if (chart.pending) chart.pending.push(...mine);
      else for (const s of mine) plot(chart, s.points || []);
    }
    setTotal(fresh[0].id);
    queueRender();
  }

  function noteDevice(s) {
    if (s.device && !devices.has(s.device)) {
      devices.add(s.device);
      $("filter-device").append(el("option", { value: s.device, text: s.device }));
      $("chart-device").append(el("option", { value: s.device, text: s.device }));
    }
  }

  function queueRender() {
    if (!renderQueued) {
      renderQueued = true;
      setTimeout(render, 50);
    }
  }

  function render() {
    renderQueued = false;
    const d = $("filter-device").value, v = $("filter-verdict").value, st = $("filter-status").value.trim();
    shown = rows.filter((s) => (!d || s.device === d) && (!v || s.verdict === v) &&
      (!st || (s.dropped ? "dropped" : String(s.status || "")).startsWith(st)));
    const first = Math.max(0, Math.floor(viewport.scrollTop / rowHeight) - 5);
    const count = Math.ceil(viewport.clientHeight / rowHeight) + 10;
    list.style.height = shown.length * rowHeight + "px";
    list.style.paddingTop = first * rowHeight + "px";
    list.replaceChildren(...shown.slice(first, first + count).map(item));
    const filtered = d || v || st;
    $("shown").textContent = (rows.length < total ? "the newest " + rows.length.toLocaleString() + " of " + total.toLocaleString() + " arrivals" : "") +
      (filtered ? (rows.length < total ? "; " : "") + shown.length.toLocaleString() + " match the filters" : "");
  }
  viewport.addEventListener("scroll", queueRender);
  for (const id of ["filter-device", "filter-verdict"]) $(id).addEventListener("change", render);
  $("filter-status").addEventListener("input", render);

  // catchUp merges the newest arrivals into the list after a (re)connection. One at a time; a
  // call during one runs once more after it.
  let catching = null, again = false;
  async function catchUp() {
    if (catching) { again = true; return catching; }
    catching = (async () => {
      do {
        again = false;
        const r = await fetch("/api/messages?limit=" + keepInPage);
        if (!r.ok) break;
        const l = await r.json();
        setTotal(l.total);
        add(l.messages);
      } while (again);
    })();
    try { await catching; } finally { catching = null; }
  }

  function section(title, ...children) { return [el("h3", { text: title }), ...children]; }
  function table(head, rows) {
    return el("table", {}, el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { text: h })))), el("tbody", {}, ...rows));
  }
  function copyButton(label, text) {
    const b = el("button", { type: "button", text: label, disabled: !text });
    b.addEventListener("click", async () => {
      try { await navigator.clipboard.writeText(text); b.textContent = "copied"; }
      catch (e) { b.textContent = "select it below"; }
      setTimeout(() => { b.textContent = label; }, 1500);
    });
    return b;
  }

  async function show(id) {
    selected = id;
    for (const li of list.querySelectorAll("li.selected")) li.classList.remove("selected");
    const li = list.querySelector('li[data-id="' + id + '"]');
    if (li) li.classList.add("selected");
    const r = await fetch("/api/messages/" + id);
    const pane = $("detail");
    if (!r.ok) { pane.replaceChildren(el("p", { text: "message " + id + ": " + (await r.text()) })); return; }
    const m = await r.json();
    if (selected !== id) return;
    const parts = [el("h2", { text: "#" + m.id + " " + m.method + " " + m.target })];
    parts.push(el("p", {}, el("span", { class: "verdict-" + m.verdict, "data-verdict": m.verdict, id: "detail-verdict", text: verdictWords[m.verdict] || m.verdict }),
      " → " + answerWords(m) + " · " + m.time + (m.outcome ? " · " + m.outcome : "")));
    if (m.forward) parts.push(el("p", { id: "forward", text: "relayed to " + m.forward.url + " → " +
      (m.forward.status || "-") + " in " + m.forward.duration_ms + " ms" + (m.forward.error ? " (" + m.forward.error + ")" : "") }));
    parts.push(...section("Token", el("p", { id: "token", text: m.token || "(none)" }),
      m.token_cause ? el("p", { id: "token-cause", text: "likely cause: " + m.token_cause }) : null));
    parts.push(...section("Headers, as they arrived", table(["name", "value"], m.headers.map((h) => el("tr", {}, el("td", { text: h.name }), el("td", { text: h.value }))))));
    parts.push(...section("Records, resolved (" + m.layout + " layout)",
      m.senml_error ? el("p", { class: "verdict-invalid", text: m.senml_error }) : null,
      table(["base name", "name", "unit", "value", "time"], m.rows.map((row) => el("tr", { "data-name": row.name, "data-value": row.value },
        el("td", { text: row.device }), el("td", { text: row.name }), el("td", { text: row.unit }), el("td", { text: row.value + (row.sum ? " (sum " + row.sum + ")" : "") }), el("td", { text: row.time }))))));
    if (m.findings.length) parts.push(...section("Validator's findings", el("ul", { id: "findings" }, ...m.findings.map((f) => el("li", { text: f })))));
    if (m.attempts && m.attempts.length) parts.push(...section("Attempts", el("ul", {}, ...m.attempts.map((a) => el("li", { text: "#" + a.attempt + " " + (a.status || a.error || "") + " in " + a.duration_ms + " ms" })))));
    if (m.note) parts.push(el("p", { id: "note", text: m.note }));
    parts.push(...section("Body" + (m.body_truncated ? " (over the size limit: not kept)" : ""),
      m.note && m.body == null && !m.body_base64 ? null : el("pre", { id: "raw", text: m.body != null ? m.body : "base64: " + m.body_base64 }),
      m.pretty ? el("details", {}, el("summary", { text: "pretty" }), el("pre", { id: "pretty", text: m.pretty })) : null));
    const download = el("a", { href: "/api/messages/" + m.id + "/record", text: "download the record", download: "message-" + m.id + ".jsonl" });
    parts.push(...section("Send it again", el("div", { class: "buttons" }, copyButton("copy as thingsim replay", m.replay), copyButton("copy as curl", m.curl), download),
      el("details", {}, el("summary", { text: "thingsim replay" }), el("pre", { id: "replay", text: m.replay })),
      el("details", {}, el("summary", { text: "curl" }), el("pre", { id: "curl", text: m.curl }))));
    pane.replaceChildren(...parts.filter((p) => p != null));
  }

  // Charts: one per numeric measurement of the chosen device, time on x.
  // plot adds points to the chosen device's charts; an arrival's points count once, however
  // they came (the first fetch, live, a catch-up).
  function plot(c, points) {
    if (c !== chart) return; // another device was chosen meanwhile
    points = points.filter((p) => !c.plotted.has(p.id));
    for (const p of points) c.plotted.add(p.id);
    for (const p of points) {
      let s = chart.series.get(p.name);
      if (!s) {
        const box = el("div", { class: "chart", "data-measurement": p.name, "data-points": "0" }, el("h4", { text: p.name + (p.unit ? " (" + p.unit + ")" : "") }));
        $("chart-area").append(box);
        s = { box, xs: [], ys: [], u: null };
        chart.series.set(p.name, s);
      }
      let i = s.xs.length;
      while (i > 0 && s.xs[i - 1] > p.t) i--;
      s.xs.splice(i, 0, p.t);
      s.ys.splice(i, 0, p.v);
      s.dirty = true;
    }
    // Drawn at most ten times a second, by a timer rather than an animation frame, which a
    // hidden page never gets.
    if (!chart.drawing) {
      chart.drawing = true;
      setTimeout(() => { chart.drawing = false; draw(); }, 100);
    }
  }
  function draw() {
    for (const [name, s] of chart.series) {
      if (!s.dirty) continue;
      s.dirty = false;
      if (!s.u) {
        s.u = new uPlot({ width: 420, height: 180, scales: { x: { time: true } }, legend: { show: false },
          series: [{}, { label: name, stroke: "#0969da", points: { show: true, size: 4 } }] }, [s.xs, s.ys], s.box);
      } else {
        s.u.setData([s.xs, s.ys]);
      }
      s.box.dataset.points = String(s.xs.length);
    }
  }
  // chartCatchUp fetches the points of arrivals the live stream left out, at most once a second.
  async function chartCatchUp(c) {
    if (c.catching) return;
    c.catching = true;
    setTimeout(async () => {
      const r = await fetch("/api/points?device=" + encodeURIComponent(c.device) + "&after=" + c.through);
      c.catching = false;
      if (!r.ok || c !== chart) return;
      const p = await r.json();
      c.through = Math.max(c.through, p.through);
      plot(c, p.points);
    }, 1000);
  }

  $("chart-device").addEventListener("change", async () => {
    for (const s of chart.series.values()) if (s.u) s.u.destroy();
    $("chart-area").replaceChildren();
    const c = chart = { device: $("chart-device").value, series: new Map(), through: 0, pending: [], plotted: new Set() };
    if (!c.device) return;
    const r = await fetch("/api/points?device=" + encodeURIComponent(c.device));
    const p = r.ok ? await r.json() : { through: 0, points: [] };
    if (chart !== c) return; // another device was chosen meanwhile
    c.through = p.through;
    plot(c, p.points);
    for (const s of c.pending) plot(c, s.points || []);
    c.pending = null;
  });

  // The endpoint's answer, changed live.
  function showAnswer(a) {
    $("answer-state").textContent = "now: " + (a.script ? a.script : String(a.status || 200) + " to every valid request") + (a.delay !== "0s" ? ", after " + a.delay : "");
    $("answer-state").dataset.script = a.script;
  }
  async function setupControl() {
    if (readOnly) return;
    const r = await fetch("/api/answer");
    if (!r.ok) return;
    const a = await r.json();
    if (!a.editable) return;
    $("control").hidden = false;
    $("script").value = a.script;
    $("delay").value = a.delay;
    showAnswer(a);
    $("apply").addEventListener("click", async () => {
      const r = await fetch("/api/answer", { method: "POST", headers: { "Content-Type": "application/json", "X-Thingsim-Token": token },
        body: JSON.stringify({ script: $("script").value, delay: $("delay").value }) });
      if (r.ok) showAnswer(await r.json());
      else $("answer-state").textContent = await r.text();
    });
  }

  function listen() {
    const es = new EventSource("/api/events");
    es.addEventListener("hello", async (e) => {
      $("live").textContent = "live"; $("live").className = "on";
      setTotal(JSON.parse(e.data).total);
      await catchUp();
    });
    es.addEventListener("messages", (e) => {
      const b = JSON.parse(e.data);
      add(b.messages);
      setTotal(b.total);
      if (b.missed) {
        const m = $("missed");
        m.dataset.missed = String(Number(m.dataset.missed || 0) + b.missed);
        m.textContent = Number(m.dataset.missed).toLocaleString() + " arrivals came while this page could not keep up: not shown live (the newest are)";
        m.hidden = false;
      }
      if ((b.missed || b.skipped) && chart.device && !chart.pending) chartCatchUp(chart);
    });
    es.addEventListener("answer", (e) => showAnswer(JSON.parse(e.data)));
    es.onerror = () => { $("live").textContent = "disconnected, retrying…"; $("live").className = "off"; };
  }

  setupControl();
  listen();
})();
