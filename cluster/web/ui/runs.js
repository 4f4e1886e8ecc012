/* A run (task table, Gantt, clear / mark / cancel) and a task instance (logs of every try
   followed live, rendered templates, XCom, tries, Flower link). */
"use strict";
(function (CF) {
  const { esc, enc, when, dur, badge } = CF;

  function gantt(tis) {
    const started = tis.filter((t) => t.start_date);
    if (!started.length) return "<p class='muted'>Nothing has started yet.</p>";
    const t0 = Math.min(...started.map((t) => new Date(t.start_date)));
    const t1 = Math.max(...started.map((t) => t.end_date ? new Date(t.end_date) : Date.now()));
    const span = Math.max(t1 - t0, 1), W = 600, H = 18;
    const rows = started.map((t, i) => {
      const a = new Date(t.start_date) - t0, b = (t.end_date ? new Date(t.end_date) : Date.now()) - t0;
      const x = 200 + (a / span) * W, w = Math.max(2, ((b - a) / span) * W);
      return `<text x="0" y="${i * (H + 4) + 13}">${esc(t.task_id + (t.map_index >= 0 ? `[${t.map_index}]` : ""))}</text>
        <rect x="${x}" y="${i * (H + 4)}" width="${w}" height="${H}" rx="3" fill="${CF.COLORS[t.state || "none"]}">
        <title>${esc(t.task_id)}: ${esc(when(t.start_date))} → ${esc(when(t.end_date))} (${esc(dur(t.start_date, t.end_date))})</title></rect>`;
    });
    return `<svg id="gantt" width="${200 + W + 10}" height="${started.length * (H + 4)}">${rows.join("")}</svg>
      <div class="muted">${esc(when(new Date(t0)))} — ${(span / 1000).toFixed(2)} s</div>`;
  }

  async function act(fn) {
    try { await fn(); await CF.render(); } catch (e) { CF.fail(e); }
  }

  CF.route(/^\/dags\/([^/]+)\/runs\/([^/]+)\/?$/, async function runView(dagId, runId) {
    CF.live({ dag_id: dagId, dag_run_id: runId });
    const base = `/dags/${enc(dagId)}/dagRuns/${enc(runId)}`;
    const [run, tis] = await Promise.all([CF.v2(base), CF.v2(base + "/taskInstances?limit=10000")]);
    const rows = tis.task_instances.map((t) => `<tr data-task="${esc(t.task_id)}" data-map="${t.map_index}">
      <td><a href="#/dags/${enc(dagId)}/runs/${enc(runId)}/tasks/${enc(t.task_id)}${t.map_index >= 0 ? "/" + t.map_index : ""}">${esc(t.task_id)}</a>${t.map_index >= 0 ? ` [${t.map_index}]` : ""}</td>
      <td class="ti-state">${badge(t.state)}</td><td>${t.try_number}</td><td>${esc(t.operator || "")}</td>
      <td>${esc(when(t.start_date))}</td><td>${esc(dur(t.start_date, t.end_date))}</td>
      <td>${t.map_index >= 0 ? "" : `<button class="clear-task">Clear</button>
          <button class="mark" data-to="success">Mark success</button>
          <button class="mark danger" data-to="failed">Mark failed</button>`}</td></tr>`).join("");
    const open = run.state === "queued" || run.state === "running";
    CF.main().innerHTML = `<h1><a href="#/dags/${enc(dagId)}">${esc(dagId)}</a> / ${esc(runId)}
        <span id="run-state">${badge(run.state)}</span></h1>
      <div class="muted">${esc(run.run_type)} · logical date ${esc(when(run.logical_date))} · started ${esc(when(run.start_date))}
        · ${esc(dur(run.start_date, run.end_date))} · conf <code>${esc(JSON.stringify(run.conf))}</code></div>
      <div class="actions">
        <label><input type="checkbox" id="with-downstream" checked> downstream</label>
        <label><input type="checkbox" id="with-upstream"> upstream</label>
        <button id="clear-run">Clear run</button>
        <button id="mark-run-success">Mark run success</button>
        <button id="cancel-run" class="danger" ${open ? "" : "disabled"}>Cancel run</button>
      </div>
      <h2>Task instances</h2>
      <table id="task-table"><thead><tr><th>Task</th><th>State</th><th>Try</th><th>Operator</th>
        <th>Started</th><th>Duration</th><th></th></tr></thead><tbody>${rows}</tbody></table>
      <h2>Gantt</h2>${gantt(tis.task_instances)}
      <h2>Graph</h2><div style="overflow:auto" id="run-graph"></div>`;
    CF.api(`/ui/graph/${enc(dagId)}?dag_run_id=${enc(runId)}`).then((g) => {
      document.getElementById("run-graph").innerHTML = CF.drawGraph(g.tasks);
    });
    const flags = () => ({ include_downstream: document.getElementById("with-downstream").checked,
                           include_upstream: document.getElementById("with-upstream").checked });
    document.getElementById("clear-run").onclick = () => act(() =>
      CF.v2(base + "/clear", { method: "POST", body: { dry_run: false, only_failed: false } }));
    document.getElementById("mark-run-success").onclick = () => act(() =>
      CF.v2(base, { method: "PATCH", body: { state: "success" } }));
    document.getElementById("cancel-run").onclick = () => act(() =>
      CF.v2(base, { method: "PATCH", body: { state: "failed" } }));
    for (const b of document.querySelectorAll("button.clear-task")) {
      b.onclick = () => act(() => CF.v2(`/dags/${enc(dagId)}/clearTaskInstances`, { method: "POST",
        body: { dry_run: false, only_failed: false, dag_run_id: runId,
                task_ids: [b.closest("tr").dataset.task], ...flags() } }));
    }
    for (const b of document.querySelectorAll("button.mark")) {
      b.onclick = () => act(() => CF.v2(base + "/taskInstances/" + enc(b.closest("tr").dataset.task),
        { method: "PATCH", body: { new_state: b.dataset.to, ...flags() } }));
    }
  });

  /* Task instance: the chosen try's log is read with continuation tokens while it runs. */
  const follow = { key: null, token: null, timer: null, busy: false, again: undefined };

  CF.route(/^\/dags\/([^/]+)\/runs\/([^/]+)\/tasks\/([^/]+?)(?:\/(\d+))?(?:\/try\/(\d+))?\/?$/,
    async function taskView(dagId, runId, taskId, mapIndex, tryNo, again) {
      CF.live({ dag_id: dagId, dag_run_id: runId });
      const mi = mapIndex === undefined ? -1 : Number(mapIndex);
      const base = `/dags/${enc(dagId)}/dagRuns/${enc(runId)}/taskInstances/${enc(taskId)}`;
      const ti = await CF.v2(base + (mi >= 0 ? "/" + mi : ""));
      const chosen = tryNo ? Number(tryNo) : Math.max(ti.try_number, 1);
      const key = `${base}/${mi}/${chosen}`;
      if (again === true && follow.key === key && document.getElementById("log")) {
        document.getElementById("ti-state").innerHTML = badge(ti.state);
        return pull(base, mi, chosen, ti.state);
      }
      const xcoms = await CF.v2(base + "/xcomEntries" + (mi >= 0 ? "?map_index=" + mi : ""));
      const values = await Promise.all(xcoms.xcom_entries.map((x) =>
        CF.v2(`${base}/xcomEntries/${enc(x.key)}?map_index=${x.map_index}`)));
      const here = `#/dags/${enc(dagId)}/runs/${enc(runId)}/tasks/${enc(taskId)}${mi >= 0 ? "/" + mi : ""}`;
      const tries = Array.from({ length: Math.max(ti.try_number, 1) }, (_, i) => i + 1);
      const flower = CF.config.flower_url ? `<a id="flower-link" target="_blank" rel="noopener"
          href="${esc(CF.config.flower_url)}/tasks?search=${enc(dagId + "." + taskId)}">Open in Flower</a>` : "";
      CF.main().innerHTML = `<h1><a href="#/dags/${enc(dagId)}">${esc(dagId)}</a> /
          <a href="#/dags/${enc(dagId)}/runs/${enc(runId)}">${esc(runId)}</a> / ${esc(taskId)}${mi >= 0 ? ` [${mi}]` : ""}
          <span id="ti-state">${badge(ti.state)}</span></h1>
        <div class="muted">${esc(ti.operator || "")} · try ${ti.try_number} of ${ti.max_tries + 1}
          · host ${esc(ti.hostname || "-")} · started ${esc(when(ti.start_date))} · ${esc(dur(ti.start_date, ti.end_date))}
          · pool ${esc(ti.pool)} · queue ${esc(ti.queue || "celery")} ${flower}</div>
        ${ti.error ? `<div class="banner" id="ti-error">${esc(ti.error)}</div>` : ""}
        <h2>Logs</h2><div class="tabs" id="tries">${tries.map((n) =>
          `<a href="${here}/try/${n}" class="${n === chosen ? "on" : ""}" data-try="${n}">Try ${n}</a>`).join("")}</div>
        <pre class="log" id="log"></pre>
        <h2>Rendered templates</h2>${Object.keys(ti.rendered_fields).length ? `<table id="rendered">${Object.entries(ti.rendered_fields).map(([k, v]) =>
          `<tr><th>${esc(k)}</th><td><pre>${esc(typeof v === "string" ? v : JSON.stringify(v, null, 2))}</pre></td></tr>`).join("")}</table>` : "<p class='muted'>None recorded.</p>"}
        <h2>XCom</h2>${values.length ? `<table id="xcom"><tr><th>Key</th><th>Map index</th><th>Value</th></tr>${values.map((x) =>
          `<tr><td>${esc(x.key)}</td><td>${x.map_index}</td><td><code>${esc(JSON.stringify(x.value))}</code></td></tr>`).join("")}</table>` : "<p class='muted'>No XCom.</p>"}`;
      follow.key = key; follow.token = null;
      return pull(base, mi, chosen, ti.state);
    });

  async function pull(base, mi, tryNo, state) {
    clearTimeout(follow.timer);
    if (follow.busy) { follow.again = state; return; }  // one reader at a time per log
    follow.busy = true;
    const key = follow.key;
    try {
      const q = new URLSearchParams({ map_index: mi });
      if (follow.token) q.set("token", follow.token);
      const page = await CF.v2(`${base}/logs/${tryNo}?${q}`);
      const log = document.getElementById("log");
      if (follow.key !== key || !log) return;
      if (page.content.length) log.textContent += page.content.join("\n") + "\n";
      follow.token = page.continuation_token;
    } finally { follow.busy = false; }
    if (follow.again !== undefined) {
      const next = follow.again; follow.again = undefined;
      return pull(base, mi, tryNo, next);
    }
    if (state === "running" || state === "queued" || state === null || state === "up_for_retry") {
      follow.timer = setTimeout(() => pull(base, mi, tryNo, state), 500);
    }
  }
})(window.CF);
