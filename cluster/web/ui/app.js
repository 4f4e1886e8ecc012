/* chordflow web UI: hash routes, API calls with the session cookie, live updates (SSE). */
"use strict";
window.CF = (function () {
  const COLORS = {
    success: "#008000", failed: "#d0021b", running: "#32cd32", queued: "#808080",
    upstream_failed: "#ffa500", skipped: "#ff69b4", up_for_retry: "#ffd700",
    up_for_reschedule: "#40e0d0", mapped: "#7e57c2", none: "#c8d0d8",
  };
  const routes = [];
  let source = null, sourceKey = null, redraw = null, pending = false;
  const main = () => document.getElementById("main");

  function esc(v) {
    return String(v === null || v === undefined ? "" : v).replace(/[&<>"']/g,
      (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }
  const enc = encodeURIComponent;
  function when(t) { return t ? new Date(t).toISOString().replace("T", " ").slice(0, 19) : ""; }
  function dur(a, b) {
    if (!a) return "";
    const s = ((b ? new Date(b) : new Date()) - new Date(a)) / 1000;
    return s < 60 ? s.toFixed(1) + " s" : (s / 60).toFixed(1) + " min";
  }
  function badge(state) {
    const s = state || "none";
    return `<span class="state s-${esc(s)}" data-state="${esc(s)}">${esc(s)}</span>`;
  }

  class ApiError extends Error {
    constructor(status, detail) {
      super(typeof detail === "string" ? detail : JSON.stringify(detail));
      this.status = status; this.detail = detail;
    }
  }

  async function api(path, opts = {}) {
    const init = { method: opts.method || "GET", credentials: "same-origin",
                   headers: { Accept: "application/json" } };
    if (opts.body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(opts.body);
    }
    const res = await fetch(path, init);
    if (res.status === 401 && !opts.anonymous) { showLogin(); throw new ApiError(401, "log in"); }
    const text = await res.text();
    const data = text ? JSON.parse(text) : null;
    if (!res.ok) throw new ApiError(res.status, data && data.detail !== undefined ? data.detail : text);
    return data;
  }
  const v2 = (path, opts) => api("/api/v2" + path, opts);

  function route(pattern, view) { routes.push([pattern, view]); }

  async function render() {
    const hash = location.hash.replace(/^#/, "") || "/dags";
    for (const [pattern, view] of routes) {
      const m = hash.match(pattern);
      if (m) {
        const args = m.slice(1).map((v) => (v === undefined ? undefined : decodeURIComponent(v)));
        redraw = (again) => view(...args, again);
        try { await redraw(); } catch (e) { if (e.status !== 401) fail(e); }
        return;
      }
    }
    main().innerHTML = `<h1>Not found</h1><p>No page at ${esc(hash)}.</p>`;
  }

  function fail(e) {
    main().insertAdjacentHTML("afterbegin", `<div class="banner">${esc(e.message || e)}</div>`);
  }

  /* Live: one event stream per scope; a `change` redraws the page (coalesced). */
  function live(params) {
    const key = new URLSearchParams(params || {}).toString();
    if (source && sourceKey === key) return;
    if (source) source.close();
    sourceKey = key;
    source = new EventSource("/ui/events?" + key);
    const dot = document.getElementById("live");
    source.onopen = () => dot.classList.add("on");
    source.onerror = () => dot.classList.remove("on");
    source.addEventListener("change", () => {
      if (pending || !redraw) return;
      pending = true;
      setTimeout(async () => {
        pending = false;
        try { await redraw(true); } catch (e) { /* the next change retries */ }
      }, 50);
    });
  }

  function showLogin() {
    if (source) { source.close(); source = null; sourceKey = null; }
    document.getElementById("nav").hidden = true;
    main().innerHTML = `
      <form class="login" id="login-form">
        <h1>Log in to chordflow</h1>
        <input name="username" id="username" placeholder="user name" autocomplete="username" required>
        <input name="password" id="password" type="password" placeholder="password"
               autocomplete="current-password" required>
        <div class="error" id="login-error"></div>
        <button class="primary" type="submit">Log in</button>
      </form>`;
    document.getElementById("login-form").onsubmit = async (ev) => {
      ev.preventDefault();
      const f = ev.target;
      try {
        await api("/auth/login", { method: "POST", anonymous: true,
          body: { username: f.username.value, password: f.password.value } });
        start();
      } catch (e) {
        document.getElementById("login-error").textContent =
          e.status === 401 ? "Wrong user name or password." : e.message;
      }
    };
  }

  async function start() {
    let me;
    try { me = await api("/auth/me", { anonymous: true }); } catch (e) { return showLogin(); }
    document.getElementById("nav").hidden = false;
    document.getElementById("whoami").textContent = me.username;
    document.getElementById("logout").onclick = async () => {
      await api("/auth/logout", { method: "POST", anonymous: true });
      showLogin();
    };
    CF.config = await api("/ui/config");
    window.onhashchange = render;
    render();
  }

  return { api, v2, route, render, live, esc, enc, when, dur, badge, start, fail, COLORS,
           ApiError, main, config: {} };
})();
