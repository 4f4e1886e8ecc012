/* Variables, connections (passwords masked by the server) and pools. */
"use strict";
(function (CF) {
  const { esc } = CF;

  function table(id, head, rows) {
    return `<table id="${id}"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead>
      <tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
  }

  CF.route(/^\/variables\/?$/, async function variables(again) {
    if (again === true) return;
    const data = await CF.v2("/variables?limit=10000");
    CF.main().innerHTML = `<h1>Variables</h1>` + table("variables", ["Key", "Value", "Description", "Encrypted"],
      data.variables.map((v) => [v.key, v.value, v.description || "", v.is_encrypted ? "yes" : "no"]));
  });

  CF.route(/^\/connections\/?$/, async function connections(again) {
    if (again === true) return;
    const data = await CF.v2("/connections?limit=10000");
    CF.main().innerHTML = `<h1>Connections</h1>` + table("connections",
      ["Conn id", "Type", "Host", "Port", "Schema", "Login", "Password", "Extra"],
      data.connections.map((c) => [c.connection_id, c.conn_type, c.host || "", c.port || "",
        c.schema || "", c.login || "", c.password || "", c.extra || ""]));
  });

  CF.route(/^\/pools\/?$/, async function pools() {
    CF.live({});
    const data = await CF.v2("/pools?limit=10000");
    CF.main().innerHTML = `<h1>Pools</h1>` + table("pools", ["Pool", "Slots", "Running", "Open", "Description"],
      data.pools.map((p) => [p.name, p.slots, p.running_slots, p.open_slots, p.description || ""]));
  });
})(window.CF);
