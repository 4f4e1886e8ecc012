/* A DAG's page: grid (runs x tasks), graph with live states, code, trigger form from Params. */
"use strict";
(function (CF) {
  const { esc, enc, when, badge, COLORS } = CF;

  function tabs(dagId, on) {
    return `<div class="tabs">${["grid", "graph", "code", "trigger"].map((t) =>
      `<a href="#/dags/${enc(dagId)}/${t}" class="${t === on ? "on" : ""}" id="tab-${t}">${t[0].toUpperCase() + t.slice(1)}</a>`).join("")}</div>`;
  }

  async function header(dagId, on) {
    const d = await CF.v2("/dags/" + enc(dagId) + "/details");
    return `<h1>${esc(d.dag_id)} ${d.is_paused ? '<span class="tag">paused</span>' : ""}</h1>
      <div class="muted">${d.description ? esc(d.description) + " · " : ""}schedule ${esc(d.timetable_summary || "None")}
      · next run ${esc(when(d.next_dagrun_logical_date) || "none")}
      ${d.tags.map((t) => `<span class="tag">${esc(t.name)}</span>`).join("")}</div>${tabs(dagId, on)}`;
  }

  CF.route(/^\/dags\/([^/]+)(?:\/grid)?\/?$/, async function gridView(dagId) {
    CF.live({ dag_id: dagId });
    const [head, g] = await Promise.all([header(dagId, "grid"), CF.api("/ui/grid/" + enc(dagId))]);
    const runHead = g.runs.map((r) => `<th><a href="#/dags/${enc(dagId)}/runs/${enc(r.dag_run_id)}"
        title="${esc(r.dag_run_id)} ${esc(r.state)}" data-run="${esc(r.dag_run_id)}" data-state="${esc(r.state)}"
        class="runbar s-${esc(r.state)}" style="height:${8 + Math.min(40, dur(r) / 2)}px"></a></th>`).join("");
    let lastGroup = null;
    const body = [];
    g.tasks.forEach((t, i) => {
      if (t.group && t.group !== lastGroup) {
        body.push(`<tr class="group"><td class="tname">▾ ${esc(t.group)}</td>${g.runs.map(() => "<td></td>").join("")}</tr>`);
      }
      lastGroup = t.group;
      // 25,000 cells for a big DAG: small markup, titles and links made on demand.
      const cells = g.cells[i].map((code, j) => {
        const cls = code < 0 ? "cell" : "cell s-" + g.states[code];
        return `<td><i class="${cls}${t.mapped ? " mapped" : ""}" data-i="${i}" data-j="${j}"></i></td>`;
      }).join("");
      const name = t.group ? t.task_id.slice(t.group.length + 1) : t.task_id;
      body.push(`<tr><td class="tname" style="padding-left:${t.group ? 18 : 2}px">${esc(name)}${t.mapped ? " [ ]" : ""}</td>${cells}</tr>`);
    });
    CF.main().innerHTML = `${head}
      ${g.runs.length ? "" : '<p>No runs yet. <a href="#/dags/' + enc(dagId) + '/trigger">Trigger one</a>.</p>'}
      <table class="grid" id="grid"><thead><tr><th></th>${runHead}</tr></thead><tbody>${body.join("")}</tbody></table>`;
    const table = document.getElementById("grid");
    const cellOf = (ev) => ev.target.classList && ev.target.classList.contains("cell") && ev.target.dataset.i !== undefined
      ? [g.tasks[+ev.target.dataset.i], +ev.target.dataset.i, +ev.target.dataset.j] : null;
    table.onmouseover = (ev) => {
      const found = cellOf(ev);
      if (!found || ev.target.title) return;
      const [t, i, j] = found, code = g.cells[i][j];
      const counts = t.mapped && g.mapped[t.task_id] ? g.mapped[t.task_id][j] : null;
      ev.target.title = `${t.task_id} · ${g.runs[j].dag_run_id}: ${code < 0 ? "no status" : g.states[code]}` +
        (counts ? " · " + Object.entries(counts).map(([s, n]) => `${n} ${s}`).join(", ") : "");
    };
    table.onclick = (ev) => {
      const found = cellOf(ev);
      if (!found || g.cells[found[1]][found[2]] < 0) return;
      location.hash = `#/dags/${enc(dagId)}/runs/${enc(g.runs[found[2]].dag_run_id)}/tasks/${enc(found[0].task_id)}`;
    };
  });

  function dur(r) {
    return r.start_date ? ((r.end_date ? new Date(r.end_date) : new Date()) - new Date(r.start_date)) / 1000 : 0;
  }

  /* Longest-path layers left to right; edges as curves. */
  function drawGraph(tasks) {
    const layer = {}, byId = {};
    tasks.forEach((t) => { byId[t.task_id] = t; });
    const depth = (id) => layer[id] !== undefined ? layer[id] :
      (layer[id] = Math.max(-1, ...byId[id].upstream.filter((u) => byId[u]).map(depth)) + 1);
    tasks.forEach((t) => depth(t.task_id));
    const columns = [];
    tasks.forEach((t) => { (columns[layer[t.task_id]] = columns[layer[t.task_id]] || []).push(t); });
    const W = 170, H = 34, GX = 50, GY = 12, pos = {};
    columns.forEach((col, x) => col.forEach((t, y) => { pos[t.task_id] = [x * (W + GX) + 10, y * (H + GY) + 10]; }));
    const width = columns.length * (W + GX) + 20;
    const height = Math.max(...columns.map((c) => c.length)) * (H + GY) + 20;
    const edges = tasks.flatMap((t) => t.upstream.filter((u) => pos[u]).map((u) => {
      const [x1, y1] = pos[u], [x2, y2] = pos[t.task_id];
      return `<path d="M${x1 + W},${y1 + H / 2} C${x1 + W + GX / 2},${y1 + H / 2} ${x2 - GX / 2},${y2 + H / 2} ${x2},${y2 + H / 2}"
        fill="none" stroke="#8a96a3"/>`;
    }));
    const nodes = tasks.map((t) => {
      const [x, y] = pos[t.task_id], s = t.state || "none";
      return `<g class="node" data-task="${esc(t.task_id)}" data-state="${esc(s)}">
        <rect x="${x}" y="${y}" width="${W}" height="${H}" rx="5" fill="#fff" stroke="${COLORS[s] || "#c8d0d8"}" stroke-width="3"/>
        <text x="${x + 8}" y="${y + 15}">${esc(t.task_id.length > 24 ? t.task_id.slice(0, 23) + "…" : t.task_id)}</text>
        <text x="${x + 8}" y="${y + 28}" fill="#5f6b7a">${esc(t.operator || "")} · ${esc(s)}</text></g>`;
    });
    return `<svg id="graph" width="${width}" height="${height}">${edges.join("")}${nodes.join("")}</svg>`;
  }
  CF.drawGraph = drawGraph;

  CF.route(/^\/dags\/([^/]+)\/graph\/?$/, async function graphView(dagId) {
    CF.live({ dag_id: dagId });
    const runs = await CF.v2(`/dags/${enc(dagId)}/dagRuns?order_by=-id&limit=1`);
    const latest = runs.dag_runs[0];
    const [head, g] = await Promise.all([header(dagId, "graph"),
      CF.api(`/ui/graph/${enc(dagId)}` + (latest ? "?dag_run_id=" + enc(latest.dag_run_id) : ""))]);
    CF.main().innerHTML = `${head}<p class="muted">${latest ? "States of run " + esc(latest.dag_run_id) : "No runs yet"}</p>
      <div style="overflow:auto">${drawGraph(g.tasks)}</div>`;
  });

  CF.route(/^\/dags\/([^/]+)\/code\/?$/, async function codeView(dagId, again) {
    if (again === true) return;
    const [head, src] = await Promise.all([header(dagId, "code"), CF.v2("/dagSources/" + enc(dagId))]);
    CF.main().innerHTML = `${head}<pre class="code" id="code">${esc(src.content)}</pre>`;
  });

  /* The trigger form: one field per Param, checked here and by the server. */
  function field(name, p) {
    const s = p.schema || {}, id = "param-" + name, v = p.value;
    let input;
    if (s.enum) {
      input = `<select id="${id}" name="${esc(name)}">${s.enum.map((o) =>
        `<option ${o === v ? "selected" : ""} value="${esc(JSON.stringify(o))}">${esc(o)}</option>`).join("")}</select>`;
    } else if (s.type === "boolean") {
      input = `<input type="checkbox" id="${id}" name="${esc(name)}" ${v ? "checked" : ""}>`;
    } else if (s.type === "integer" || s.type === "number") {
      input = `<input type="number" id="${id}" name="${esc(name)}" value="${esc(v)}" step="${s.type === "integer" ? 1 : "any"}">`;
    } else if (s.type === "string" || (v !== null && typeof v === "string")) {
      input = `<input type="text" id="${id}" name="${esc(name)}" value="${esc(v)}">`;
    } else {
      input = `<textarea id="${id}" name="${esc(name)}" rows="3" cols="50">${esc(JSON.stringify(v))}</textarea>`;
    }
    return `<div class="form-row" data-param="${esc(name)}"><label for="${id}">${esc(name)}</label>
      ${input} <span class="muted">${esc(p.description || "")}</span><div class="error"></div></div>`;
  }

  function readField(name, p, el) {
    const s = p.schema || {};
    if (s.enum) return JSON.parse(el.value);
    if (s.type === "boolean") return el.checked;
    if (s.type === "integer" || s.type === "number") {
      if (el.value.trim() === "") throw new Error("a number is required");
      const n = Number(el.value);
      if (Number.isNaN(n) || (s.type === "integer" && !Number.isInteger(n))) throw new Error(`must be ${s.type === "integer" ? "an integer" : "a number"}`);
      if (s.minimum !== undefined && n < s.minimum) throw new Error(`must be at least ${s.minimum}`);
      if (s.maximum !== undefined && n > s.maximum) throw new Error(`must be at most ${s.maximum}`);
      return n;
    }
    if (el.tagName === "TEXTAREA") {
      try { return JSON.parse(el.value); } catch (e) { throw new Error("not valid JSON"); }
    }
    const t = el.value;
    if (s.minLength !== undefined && t.length < s.minLength) throw new Error(`must have at least ${s.minLength} characters`);
    if (s.maxLength !== undefined && t.length > s.maxLength) throw new Error(`must have at most ${s.maxLength} characters`);
    if (s.pattern && !new RegExp(s.pattern).test(t)) throw new Error(`must match ${s.pattern}`);
    return t;
  }

  CF.route(/^\/dags\/([^/]+)\/trigger\/?$/, async function triggerView(dagId, again) {
    if (again === true) return;  // a live change must not wipe what is being typed
    const [head, d] = await Promise.all([header(dagId, "trigger"), CF.v2("/dags/" + enc(dagId) + "/details")]);
    const params = d.params || {};
    CF.main().innerHTML = `${head}<form id="trigger-form">
      ${Object.keys(params).length ? Object.entries(params).map(([n, p]) => field(n, p)).join("") : "<p>This DAG has no params.</p>"}
      <div class="form-row"><label for="logical-date">Logical date (optional, UTC)</label>
        <input id="logical-date" type="datetime-local" step="1"></div>
      <div class="error" id="trigger-error"></div>
      <button class="primary" type="submit" id="trigger-submit">Trigger</button></form>`;
    document.getElementById("trigger-form").onsubmit = async (ev) => {
      ev.preventDefault();
      const conf = {}; let ok = true;
      for (const [name, p] of Object.entries(params)) {
        const row = document.querySelector(`[data-param="${CSS.escape(name)}"]`);
        row.querySelector(".error").textContent = "";
        try { conf[name] = readField(name, p, row.querySelector("input,select,textarea")); }
        catch (e) { row.querySelector(".error").textContent = e.message; ok = false; }
      }
      if (!ok) return;
      const body = { conf };
      const ld = document.getElementById("logical-date").value;
      if (ld) body.logical_date = ld + "Z";
      try {
        const run = await CF.v2(`/dags/${enc(dagId)}/dagRuns`, { method: "POST", body });
        location.hash = `#/dags/${enc(dagId)}/runs/${enc(run.dag_run_id)}`;
      } catch (e) {
        document.getElementById("trigger-error").textContent = e.message;
      }
    };
  });
})(window.CF);
