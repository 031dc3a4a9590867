// Core of the page: DOM helpers, the JSON API, charts and the hash router.
// Every string from the API goes into the page as text (createTextNode / textContent), never
// as HTML: item titles and ids are user data.
"use strict";

const UI = (() => {
  const PALETTE = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
  ];
  const routes = {};
  let charts = [];
  let renderId = 0;

  // el("a", {href: "#/x", class: "c"}, "text", child) -> element; strings become text nodes.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "on") {
        for (const [event, handler] of Object.entries(value))
          node.addEventListener(event, handler);
      } else if (key === "dataset") {
        Object.assign(node.dataset, value);
      } else {
        node.setAttribute(key, value === true ? "" : String(value));
      }
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  async function api(path, params) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params || {})) {
      for (const v of [].concat(value))
        if (v !== undefined && v !== null && v !== "") query.append(key, v);
    }
    const url = "/api/" + path + (query.toString() ? "?" + query : "");
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      const data = await response.json();
      return { ok: response.ok, status: response.status, data };
    } catch (err) {
      return { ok: false, status: 0, data: { error: "the app did not answer: " + err } };
    }
  }

  function num(value, digits = 4) {
    if (value === null || value === undefined || Number.isNaN(value)) return "–";
    if (typeof value !== "number") return String(value);
    if (Number.isInteger(value) && Math.abs(value) < 1e6) return String(value);
    return value.toFixed(digits).replace(/^-(0\.0+)$/, "$1"); // no "-0.0000"
  }

  function pct(value) {
    return value === null || value === undefined ? "–" : (100 * value).toFixed(1) + "%";
  }

  function time(seconds) {
    if (!seconds) return "–";
    return new Date(seconds * 1000).toISOString().replace("T", " ").slice(0, 19) + " UTC";
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    return seconds < 120 ? seconds.toFixed(1) + " s" : (seconds / 60).toFixed(1) + " min";
  }

  function color(index) {
    return PALETTE[index % PALETTE.length];
  }

  function badge(text, kind) {
    return el("span", { class: "badge " + (kind || "") }, text);
  }

  function yesNo(value, yes, no) {
    if (value === null || value === undefined) return badge("–", "muted");
    return value ? badge(yes || "yes", "good") : badge(no || "no", "bad");
  }

  function coldBadge(item) {
    if (item.cold === null || item.cold === undefined) return "";
    return item.cold
      ? badge("cold", "cold")
      : el("span", { class: "muted" }, item.train_count + " in train");
  }

  function table(headers, rows, attrs) {
    return el(
      "table",
      attrs || {},
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          headers.map((h) => el("th", {}, h)),
        ),
      ),
      el(
        "tbody",
        {},
        rows.map((cells) =>
          el(
            "tr",
            {},
            cells.map((c) => (c instanceof Node && c.tagName === "TD" ? c : el("td", {}, c))),
          ),
        ),
      ),
    );
  }

  function message(text, kind) {
    return el("p", { class: "message " + (kind || "") }, text);
  }

  function section(title, ...children) {
    return el("section", {}, el("h2", {}, title), ...children);
  }

  // A canvas in a sized box, drawn by Chart.js; destroyed on the next page render.
  function chart(id, config, height) {
    const canvas = el("canvas", { id, role: "img", "aria-label": id });
    const box = el("div", { class: "chart " + (height === "tall" ? "tall" : "normal") }, canvas);
    const owner = renderId;
    let tries = 0;
    const draw = () => {
      if (owner !== renderId) return; // The page was left before it was drawn.
      if (!canvas.isConnected) {
        if (++tries < 50) requestAnimationFrame(draw);
        return;
      }
      config.options = Object.assign(
        { responsive: true, maintainAspectRatio: false, animation: false },
        config.options || {},
      );
      charts.push(new Chart(canvas, config));
    };
    requestAnimationFrame(draw);
    return box;
  }

  function link(href, text) {
    return el("a", { href }, text);
  }

  function itemLink(itemId) {
    return link("#/item/" + encodeURIComponent(itemId), itemId);
  }

  function route(name, render) {
    routes[name] = render;
  }

  function parseHash() {
    const hash = location.hash.replace(/^#\/?/, "");
    const [pathPart, queryPart] = hash.split("?");
    const parts = pathPart.split("/").filter(Boolean).map(decodeURIComponent);
    return {
      name: parts[0] || "runs",
      args: parts.slice(1),
      query: new URLSearchParams(queryPart || ""),
    };
  }

  async function render() {
    const id = ++renderId;
    const { name, args, query } = parseHash();
    const view = document.getElementById("view");
    charts.forEach((c) => c.destroy());
    charts = [];
    view.setAttribute("aria-busy", "true");
    view.dataset.route = name;
    view.replaceChildren(message("loading…", "muted"));
    document
      .querySelectorAll("nav a")
      .forEach((a) =>
        a.classList.toggle(
          "active",
          a.dataset.nav === name ||
            (name === "run" && a.dataset.nav === "runs") ||
            (name === "item" && a.dataset.nav === "explorer"),
        ),
      );
    const page = routes[name];
    let content;
    try {
      content = page ? await page(args, query) : message("no page " + name, "bad");
    } catch (err) {
      content = message("this page failed to render: " + err, "bad");
    }
    if (id !== renderId) return; // A newer navigation won.
    view.replaceChildren(...[].concat(content));
    requestAnimationFrame(() =>
      requestAnimationFrame(() => {
        if (id === renderId) view.setAttribute("aria-busy", "false");
      }),
    );
  }

  async function showStatus() {
    const box = document.getElementById("status");
    const { ok, data } = await api("status");
    if (!ok) {
      box.replaceChildren(badge("app error", "bad"));
      return;
    }
    const server = data.server;
    const served = server.available
      ? "model " + server.model_name + " v" + server.serving_version
      : server.target
        ? "model server unavailable"
        : "no model server";
    box.replaceChildren(
      badge(served, server.available ? "good" : "muted"),
      " ",
      el("span", { class: "muted" }, data.catalogue.items + " items"),
    );
    box.title = server.message || server.target || "";
  }

  function start() {
    if (window.Chart) {
      Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    }
    window.addEventListener("hashchange", render);
    showStatus();
    render();
  }

  document.addEventListener("DOMContentLoaded", start);
  return {
    el,
    api,
    num,
    pct,
    time,
    duration,
    color,
    badge,
    yesNo,
    coldBadge,
    table,
    message,
    section,
    chart,
    link,
    itemLink,
    route,
    render,
  };
})();
