/* The DAG list (schedule, paused toggle, tags, last runs, next run) and import errors. */
"use strict";
(function (CF) {
  const { esc, enc, when, badge } = CF;

  CF.route(/^\/dags\/?$/, async function dagList() {
    CF.live({});
    const [dags, errors] = await Promise.all([CF.v2("/dags?limit=1000"),
                                              CF.v2("/importErrors?limit=1")]);
    const recent = await CF.api("/ui/recent_runs?" +
      dags.dags.map((d) => "dag_id=" + enc(d.dag_id)).join("&"));
    const banner = errors.total_entries ? `<div class="banner" id="import-error-banner">
        ${errors.total_entries} DAG file(s) failed to load.
        <a href="#/import-errors">See the import errors</a></div>` : "";
    const rows = dags.dags.map((d) => {
      const runs = (recent[d.dag_id] || []).map((r) =>
        `<a href="#/dags/${enc(d.dag_id)}/runs/${enc(r.dag_run_id)}" title="${esc(r.dag_run_id)}: ${esc(r.state)}"
            class="sq s-${esc(r.state)}" data-state="${esc(r.state)}"></a>`).join("");
      return `<tr data-dag="${esc(d.dag_id)}">
        <td><input type="checkbox" class="pause" ${d.is_paused ? "" : "checked"}
             title="${d.is_paused ? "paused: click to unpause" : "active: click to pause"}"></td>
        <td><a href="#/dags/${enc(d.dag_id)}">${esc(d.dag_id)}</a>
            <div class="muted">${esc(d.description || "")}</div></td>
        <td>${esc(d.timetable_summary || "None")}</td>
        <td>${d.tags.map((t) => `<span class="tag">${esc(t.name)}</span>`).join("")}</td>
        <td class="recent">${runs}</td>
        <td>${esc(when(d.next_dagrun_logical_date))}</td>
        <td><a href="#/dags/${enc(d.dag_id)}/trigger">Trigger</a></td></tr>`;
    }).join("");
    CF.main().innerHTML = `${banner}<h1>DAGs <span class="muted">(${dags.total_entries})</span></h1>
      <table id="dag-list"><thead><tr><th title="active">On</th><th>DAG</th><th>Schedule</th>
      <th>Tags</th><th>Recent runs</th><th>Next run</th><th></th></tr></thead>
      <tbody>${rows}</tbody></table>`;
    for (const box of document.querySelectorAll("input.pause")) {
      box.onchange = async () => {
        const id = box.closest("tr").dataset.dag;
        box.disabled = true;
        try {
          await CF.v2("/dags/" + enc(id), { method: "PATCH", body: { is_paused: !box.checked } });
        } catch (e) { CF.fail(e); box.checked = !box.checked; }
        box.disabled = false;
      };
    }
  });

  CF.route(/^\/import-errors\/?$/, async function importErrors() {
    CF.live({});
    const data = await CF.v2("/importErrors?limit=1000");
    CF.main().innerHTML = `<h1>Import errors</h1>
      ${data.import_errors.length ? "" : "<p>Every DAG file loaded.</p>"}
      ${data.import_errors.map((e) => `<h2>${esc(e.filename)}</h2>
        <p class="muted">${esc(when(e.timestamp))}</p>
        <pre class="code">${esc(e.stack_trace)}</pre>`).join("")}`;
  });
})(window.CF);
