/* shopbot web chat widget. Plain ES2020, no dependencies, CSP-safe (no eval, no inline styles). */
(function () {
  "use strict";
  if (document.getElementById("shopbot-chat")) return;

  const script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  if (!script) return;
  const ORIGIN = new URL(script.src, location.href).origin;
  const EN = {
    open: "Chat with us", close: "Close the chat", placeholder: "Type a message…", send: "Send",
    connecting: "Connecting…", offline: "Offline — your messages are sent when the connection is back.",
    slow: "One moment — sending shortly.", unread: "new messages",
  };
  const CONFIG = /*SHOPBOT_CONFIG*/null || {
    title: "Chat", colour: "#1f6feb", avatar: null, lang: "en", languages: ["en"], ui: { en: EN },
  };

  const PAGE = script.dataset.mode === "page";
  let start = script.dataset.start || "";
  if (PAGE) {
    try { start = new URL(location.href).searchParams.get("start") || start; } catch (e) { /* keep */ }
  }

  // ---- language -------------------------------------------------------------------------
  const langs = Array.from(navigator.languages || [navigator.language || ""]).filter(Boolean);
  const offered = CONFIG.languages || [];
  let lang = CONFIG.lang || "en";
  for (const l of langs) {
    const p = l.toLowerCase().split("-")[0];
    if (offered.includes(p)) { lang = p; break; }
  }
  const ui = Object.assign({}, EN, (CONFIG.ui || {})[CONFIG.lang], (CONFIG.ui || {})[lang]);

  // ---- token storage --------------------------------------------------------------------
  const KEY = "shopbot:" + ORIGIN;
  let memToken = "";
  function getToken() {
    try { return localStorage.getItem(KEY) || memToken; } catch (e) { return memToken; }
  }
  function setToken(t) {
    memToken = t;
    try { localStorage.setItem(KEY, t); } catch (e) { /* memory only */ }
  }

  // ---- helpers --------------------------------------------------------------------------
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function safeUrl(u) {
    if (typeof u !== "string" || !u) return null;
    if (u[0] === "/" && u[1] !== "/" && u[1] !== "\\") return ORIGIN + u;
    if (/^https:\/\//i.test(u)) return u;
    if (u.startsWith(ORIGIN + "/")) return u;
    return null;
  }
  function newId() {
    const b = crypto.getRandomValues(new Uint8Array(8));
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }
  function textColour(hex) {
    let h = String(hex).replace("#", "");
    if (h.length === 3) h = h.replace(/./g, "$&$&");
    const n = [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16) / 255)
      .map((c) => (c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4)));
    const lum = 0.2126 * n[0] + 0.7152 * n[1] + 0.0722 * n[2];
    return lum > 0.179 ? "#000000" : "#ffffff";
  }
  function svg(d) {
    const NS = "http://www.w3.org/2000/svg";
    const s = document.createElementNS(NS, "svg");
    s.setAttribute("viewBox", "0 0 24 24");
    s.setAttribute("aria-hidden", "true");
    s.setAttribute("focusable", "false");
    const p = document.createElementNS(NS, "path");
    p.setAttribute("d", d);
    s.appendChild(p);
    return s;
  }

  // ---- DOM ------------------------------------------------------------------------------
  const host = el("div");
  host.id = "shopbot-chat";
  // The seller's own CSS (a `div { … }` rule) must not reach the host.
  host.style.setProperty("all", "initial");
  const shadow = host.attachShadow({ mode: "open" });
  const link = el("link");
  link.rel = "stylesheet";
  link.href = ORIGIN + "/widget.css";
  const root = el("div", "sb-root" + (PAGE ? " sb-page" : ""));
  root.hidden = true; // until the stylesheet is in
  link.onload = link.onerror = () => { root.hidden = false; };
  const colour = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(CONFIG.colour || "") ? CONFIG.colour : "#1f6feb";
  root.style.setProperty("--sb-accent", colour);
  root.style.setProperty("--sb-accent-text", textColour(colour));
  shadow.append(link, root);

  let launcher = null;
  let badge = null;
  if (!PAGE) {
    launcher = el("button", "sb-launcher");
    launcher.type = "button";
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", "sb-panel");
    launcher.setAttribute("aria-label", ui.open);
    launcher.title = ui.open;
    launcher.appendChild(svg("M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"));
    root.appendChild(launcher);
  }

  const panel = el("section", "sb-panel");
  panel.id = "sb-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", CONFIG.title || "Chat");
  panel.lang = lang;
  panel.hidden = !PAGE;

  const header = el("div", "sb-header");
  const av = safeUrl(CONFIG.avatar);
  if (av) {
    const img = el("img", "sb-avatar");
    img.src = av;
    img.alt = "";
    header.appendChild(img);
  }
  header.appendChild(el("div", "sb-title", CONFIG.title || ""));
  let closeBtn = null;
  if (!PAGE) {
    closeBtn = el("button", "sb-close");
    closeBtn.type = "button";
    closeBtn.setAttribute("aria-label", ui.close);
    closeBtn.title = ui.close;
    closeBtn.appendChild(svg("M6 6l12 12M18 6L6 18"));
    header.appendChild(closeBtn);
  }

  const log = el("div", "sb-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  const status = el("div", "sb-status");
  status.setAttribute("role", "status");
  const form = el("form", "sb-form");
  const input = el("textarea", "sb-input");
  input.rows = 1;
  input.maxLength = 4000;
  input.placeholder = ui.placeholder;
  input.setAttribute("aria-label", ui.placeholder);
  input.dir = "auto";
  input.enterKeyHint = "send";
  const send = el("button", "sb-send", ui.send);
  send.type = "submit";
  send.disabled = true;
  form.append(input, send);
  panel.append(header, log, status, form);
  root.appendChild(panel);

  function mount() { document.body.appendChild(host); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);

  // ---- state ----------------------------------------------------------------------------
  let ws = null;
  let ready = false;        // welcome received on the current socket
  let idle = false;         // closed with 4000: reconnect on activity only
  let everWelcomed = false;
  let hadToken = false;
  let attempt = 0;
  let retryTimer = 0;
  let lastId = 0;
  let unread = 0;
  let quietUntil = 0;       // history replay right after the first welcome: not "unread"
  let stick = true;         // log scrolled to the bottom
  let focusUntil = 0;       // after a press's ack, answers may still move focus
  let focused = null;       // element we last moved focus to
  const queue = [];         // {f: frame, el?: own bubble, grp?: button group, slow?: timer}
  const byShows = new Map();

  // ---- status line ----------------------------------------------------------------------
  function setStatus() {
    let t = "";
    if (!ready && !idle) t = everWelcomed || !navigator.onLine ? ui.offline : ui.connecting;
    else if (queue.some((q) => q.slow)) t = ui.slow;
    if (status.textContent !== t) status.textContent = t;
  }

  // ---- connection -----------------------------------------------------------------------
  function connect() {
    clearTimeout(retryTimer);
    retryTimer = 0;
    if (ws) return;
    idle = false;
    ready = false;
    setStatus();
    let s;
    try {
      s = new WebSocket(ORIGIN.replace(/^http/, "ws") + "/ws");
    } catch (e) {
      retry();
      return;
    }
    ws = s;
    s.onopen = () => {
      const token = getToken();
      hadToken = !!token;
      s.send(JSON.stringify({ t: "hello", token, after: lastId, langs, start }));
    };
    s.onmessage = (ev) => {
      let f;
      try { f = JSON.parse(ev.data); } catch (e) { return; }
      if (f && typeof f === "object") onFrame(f);
    };
    s.onclose = (ev) => {
      if (ws !== s) return;
      ws = null;
      ready = false;
      for (const q of queue) { clearTimeout(q.slow); q.slow = 0; }
      if (ev.code === 4000) { idle = true; setStatus(); return; }
      retry();
    };
  }
  function retry() {
    ws = null;
    setStatus();
    if (retryTimer) return;
    const base = Math.min(30000, 1000 * Math.pow(2, attempt++));
    retryTimer = setTimeout(connect, base * (0.75 + Math.random() * 0.5));
  }
  function activity() { if (idle && !ws) connect(); }

  window.addEventListener("online", () => { if (retryTimer && !ws) connect(); });
  window.addEventListener("offline", setStatus);
  window.addEventListener("focus", activity);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && (idle || retryTimer) && !ws) connect();
  });
  root.addEventListener("pointerdown", activity);
  root.addEventListener("keydown", activity);
  root.addEventListener("focusin", activity);

  function sendFrame(f) {
    if (ws && ready && ws.readyState === 1) ws.send(JSON.stringify(f));
  }
  function enqueue(q) {
    queue.push(q);
    if (!ws) connect(); else sendFrame(q.f);
  }

  // ---- frames ---------------------------------------------------------------------------
  function onFrame(f) {
    switch (f.t) {
      case "welcome":
        if (typeof f.token === "string" && f.token) setToken(f.token);
        if (!everWelcomed && hadToken) quietUntil = Date.now() + 1500;
        everWelcomed = true;
        ready = true;
        attempt = 0;
        for (const q of queue) sendFrame(q.f);
        setStatus();
        break;
      case "msg":
        onMsg(f);
        break;
      case "ack": {
        const i = queue.findIndex((q) => q.f.id === f.id);
        if (i < 0) break;
        const [q] = queue.splice(i, 1);
        clearTimeout(q.slow);
        if (q.el) q.el.classList.remove("sb-pending");
        if (q.grp) {
          q.grp.removeAttribute("aria-busy");
          for (const b of q.grp.querySelectorAll(".sb-busy")) b.classList.remove("sb-busy");
          focusUntil = Date.now() + 1500;
          if (inLog()) moveFocus();
        }
        setStatus();
        break;
      }
      case "own":
        if (typeof f.text === "string") addOwn(f.text);
        break;
      case "slow": {
        const q = queue.find((x) => x.f.id === f.id);
        if (!q) break;
        clearTimeout(q.slow);
        q.slow = setTimeout(() => { q.slow = 0; sendFrame(q.f); setStatus(); },
          Math.max(100, Number(f.retry_ms) || 1000));
        setStatus();
        break;
      }
    }
  }

  function nearBottom() { return log.scrollHeight - log.scrollTop - log.clientHeight < 60; }
  function toBottom() { log.scrollTop = log.scrollHeight; }
  log.addEventListener("scroll", () => { stick = nearBottom(); }, { passive: true });
  function grew() { if (stick) toBottom(); }

  function onMsg(f) {
    const id = Number(f.id);
    if (!(id > lastId)) return;
    lastId = id;
    const key = String(f.shows != null ? f.shows : f.id);
    let m = byShows.get(key);
    const stay = stick || nearBottom();
    let hadFocus = -1;
    if (m && m.contains(shadow.activeElement)) {
      hadFocus = Array.prototype.indexOf.call(m.querySelectorAll(".sb-btn"), shadow.activeElement);
    }
    if (m) {
      m.replaceChildren();
    } else {
      m = el("div", "sb-msg sb-bot");
      m.dataset.id = key;
      byShows.set(key, m);
      log.appendChild(m);
      if (!PAGE && panel.hidden && Date.now() > quietUntil) { unread++; showBadge(); }
    }
    m.fid = id;
    const src = safeUrl(f.image);
    if (src) {
      const img = el("img", "sb-img");
      img.loading = "lazy";
      img.decoding = "async";
      img.alt = typeof f.alt === "string" ? f.alt : "";
      img.src = src;
      img.addEventListener("load", grew);
      m.appendChild(img);
    }
    if (typeof f.text === "string" && f.text) {
      const p = el("p", "sb-text", f.text);
      p.dir = "auto";
      m.appendChild(p);
    }
    const file = f.file && safeUrl(f.file.url);
    if (file) {
      const a = el("a", "sb-file", String(f.file.name || "download"));
      a.href = file;
      a.download = String(f.file.name || "");
      a.rel = "noopener";
      a.target = "_blank";
      m.appendChild(a);
    }
    if (Array.isArray(f.buttons) && f.buttons.length) {
      const g = el("div", "sb-buttons");
      for (const b of f.buttons) {
        const btn = el("button", "sb-btn", String(b.label));
        btn.type = "button";
        btn.sbRow = b.row;
        btn.sbI = b.i;
        g.appendChild(btn);
      }
      m.appendChild(g);
    }
    if (hadFocus >= 0 && !queue.some((q) => q.grp)) { // no press waiting: keep the place
      const bs = m.querySelectorAll(".sb-btn");
      (bs[Math.min(hadFocus, bs.length - 1)] || input).focus();
    }
    if (stay) { stick = true; toBottom(); }
    if (Date.now() < focusUntil && (shadow.activeElement === focused || inLog())) moveFocus();
  }

  // focus is nowhere in the widget (a replaced button) or on a message button: answers may move it
  function inLog() { const a = shadow.activeElement; return !a || log.contains(a); }
  function moveFocus() {
    if (panel.hidden) return;
    let best = null;
    for (const m of log.querySelectorAll(".sb-bot")) {
      if (m.querySelector(".sb-btn") && (!best || m.fid > best.fid)) best = m;
    }
    focused = best ? best.querySelector(".sb-btn") : input;
    focused.focus({ preventScroll: !best });
  }

  function addOwn(text) {
    const m = el("div", "sb-msg sb-own");
    const p = el("p", "sb-text", text);
    p.dir = "auto";
    m.appendChild(p);
    log.appendChild(m);
    stick = true;
    toBottom();
    return m;
  }

  // ---- input ----------------------------------------------------------------------------
  function update() { send.disabled = !input.value.trim(); }
  input.addEventListener("input", update);
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit();
    }
  });
  form.addEventListener("submit", (e) => { e.preventDefault(); submit(); });
  function submit() {
    const text = input.value.trim().slice(0, 4000);
    if (!text) return;
    input.value = "";
    update();
    const m = addOwn(text);
    m.classList.add("sb-pending");
    enqueue({ f: { t: "text", id: newId(), text }, el: m });
    input.focus();
  }

  log.addEventListener("click", (e) => {
    const btn = e.target.closest && e.target.closest(".sb-btn");
    if (!btn) return;
    const g = btn.parentNode;
    if (g.getAttribute("aria-busy") === "true") return;
    const m = btn.closest(".sb-msg");
    g.setAttribute("aria-busy", "true");
    btn.classList.add("sb-busy");
    enqueue({ f: { t: "press", id: newId(), row: btn.sbRow, i: btn.sbI, msg: m.dataset.id }, grp: g });
  });

  // ---- open / close ---------------------------------------------------------------------
  function showBadge() {
    if (!launcher) return;
    if (!unread) {
      if (badge) { badge.remove(); badge = null; }
      launcher.setAttribute("aria-label", ui.open);
      return;
    }
    if (!badge) {
      badge = el("span", "sb-badge");
      badge.setAttribute("aria-hidden", "true");
      launcher.appendChild(badge);
    }
    badge.textContent = unread > 9 ? "9+" : String(unread);
    launcher.setAttribute("aria-label", ui.open + " (" + unread + " " + ui.unread + ")");
  }
  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    root.classList.add("sb-open");
    unread = 0;
    showBadge();
    if (!ws) connect();
    stick = true;
    toBottom();
    input.focus();
  }
  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    root.classList.remove("sb-open");
    launcher.focus();
  }
  if (!PAGE) {
    launcher.addEventListener("click", () => (panel.hidden ? open() : close()));
    closeBtn.addEventListener("click", close);
    panel.addEventListener("keydown", (e) => {
      if (e.key === "Escape") { e.preventDefault(); close(); }
    });
  }

  // Connect now in page mode, for a returning customer, or with a deep link; otherwise on first open.
  if (PAGE || getToken() || start) connect();
})();
