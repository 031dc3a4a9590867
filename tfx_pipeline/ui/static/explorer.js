// Explorer (#/explorer?user=U&history=I,J&k=10&off=A): the live model's top-k with titles and
// each agent's contribution, and the top-k re-blended with agents switched off.
"use strict";

(() => {
  const { el, api, num, color, badge, coldBadge, table, message, section, chart, itemLink } = UI;

  function split(text) {
    return (text || "").split(/[\s,]+/).filter(Boolean);
  }

  function go(params) {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params))
      if (v !== undefined && v !== null) query.set(k, v);
    location.hash = "#/explorer?" + query;
  }

  function searchBox(historyInput) {
    const results = el("div", { id: "search-results" });
    let timer = null;
    const input = el("input", {
      type: "text",
      class: "wide",
      placeholder: "find items by title…",
      "aria-label": "find items by title",
      on: {
        input: () => {
          clearTimeout(timer);
          timer = setTimeout(async () => {
            const { ok, data } = await api("search", { q: input.value, limit: 8 });
            if (!ok) return results.replaceChildren(message(data.error, "bad"));
            results.replaceChildren(
              ...data.items.map((item) =>
                el(
                  "div",
                  {},
                  el(
                    "button",
                    {
                      type: "button",
                      class: "small",
                      on: {
                        click: () => {
                          historyInput.value = split(historyInput.value)
                            .concat([item.item_id])
                            .join(", ");
                        },
                      },
                    },
                    "+ history",
                  ),
                  " ",
                  itemLink(item.item_id),
                  " ",
                  item.title,
                  " ",
                  coldBadge(item),
                ),
              ),
            );
          }, 200);
        },
      },
    });
    return el("div", {}, input, results);
  }

  function form(query, users) {
    const user = el("input", {
      type: "text",
      name: "user",
      value: query.get("user") || "",
      list: "known-users",
      placeholder: "empty = unknown user",
    });
    const history = el("input", {
      type: "text",
      name: "history",
      class: "wide",
      value: query.get("history") || "",
      placeholder: "item ids, e.g. 50, 181",
    });
    const k = el("input", {
      type: "number",
      name: "k",
      class: "narrow",
      min: 1,
      max: 200,
      value: query.get("k") || "10",
    });
    const datalist = el(
      "datalist",
      { id: "known-users" },
      users.map((u) => el("option", { value: u })),
    );
    const submit = (event) => {
      event.preventDefault();
      go({
        user: user.value.trim(),
        history: split(history.value).join(","),
        k: k.value,
        off: query.get("off"),
      });
    };
    return section(
      "Ask the live model",
      el(
        "form",
        { class: "query", id: "explorer-form", on: { submit } },
        el("label", {}, "user id", user),
        el("label", {}, "history (item ids)", history),
        el("label", {}, "k", k),
        el("button", { type: "submit" }, "Recommend"),
        datalist,
      ),
      el("h3", {}, "add items to the history"),
      searchBox(history),
    );
  }

  function toggles(names, off, query) {
    return el(
      "div",
      { class: "toggles", id: "agent-toggles" },
      el("span", { class: "muted" }, "agents:"),
      names.map((name, i) => {
        const box = el("input", {
          type: "checkbox",
          checked: !off.includes(name),
          dataset: { agent: name },
          on: {
            change: () => {
              const next = box.checked ? off.filter((n) => n !== name) : off.concat([name]);
              go({
                user: query.get("user") || "",
                history: query.get("history") || "",
                k: query.get("k") || "10",
                off: next.join(","),
              });
            },
          },
        });
        const swatch = el("span", { class: "swatch" });
        swatch.style.background = color(i);
        return el("label", {}, box, swatch, name);
      }),
    );
  }

  // One stacked bar per item, one segment per agent in `names`; colours follow `all` (the
  // model's agent order) so an agent keeps its colour when others are switched off.
  function contributionChart(id, items, names, all) {
    return chart(
      id,
      {
        type: "bar",
        data: {
          labels: items.map((it) => it.rank + ". " + (it.title || it.item_id).slice(0, 40)),
          datasets: names.map((n) => ({
            label: n,
            backgroundColor: color((all || names).indexOf(n)),
            data: items.map((it) => it.contributions[n]),
          })),
        },
        options: {
          indexAxis: "y",
          scales: {
            x: { stacked: true, title: { display: true, text: "contribution to the score" } },
            y: { stacked: true },
          },
        },
      },
      "tall",
    );
  }

  function resultTable(id, items, names, extra) {
    const headers = ["rank", "item", "title", "genres", "train", "score", ...names, "sum"];
    if (extra) headers.splice(1, 0, ...extra.headers);
    const rows = items.map((it) => {
      const cells = [
        String(it.rank),
        itemLink(it.item_id),
        el("td", { class: "wrap title" }, it.title),
        el("td", { class: "muted" }, it.genres),
        coldBadge(it),
        el("td", { class: "num score" }, num(it.score)),
        ...names.map((n) =>
          el("td", { class: "num", dataset: { agent: n } }, num(it.contributions[n])),
        ),
        el("td", { class: "num" }, num(it.contribution_sum)),
      ];
      if (extra) cells.splice(1, 0, ...extra.cells(it));
      return cells;
    });
    return table(headers, rows, { id });
  }

  async function switchedOff(query, off) {
    const { ok, data } = await api("switch-off", {
      user: query.get("user") || "",
      history: split(query.get("history")),
      k: query.get("k") || "10",
      off,
    });
    if (!ok) return section("Without " + off.join(", "), message(data.error, "bad"));
    const change = (it) => [
      el("td", {}, String(it.previous_rank), it.entered ? [" ", badge("new", "good")] : ""),
      el(
        "td",
        { class: "num" },
        it.change > 0 ? "▲" + it.change : it.change < 0 ? "▼" + -it.change : "=",
      ),
    ];
    const dropped = data.dropped.map((it) =>
      el(
        "li",
        {},
        itemLink(it.item_id),
        " ",
        it.title,
        el("span", { class: "muted" }, " was " + it.previous_rank + ", now " + it.new_rank),
      ),
    );
    return section(
      "Without " + data.off.join(", ") + ": re-blended from the other agents",
      el(
        "p",
        { class: "muted" },
        "Scores are the sum of the remaining agents' contributions over the " +
          data.pool +
          " best items (" +
          (data.method === "score"
            ? "rescored through the score signature"
            : "contributions of recommend for this history") +
          ").",
      ),
      resultTable("switched-off-table", data.items, data.agent_names, {
        headers: ["was", "change"],
        cells: change,
      }),
      dropped.length
        ? el("div", {}, el("h3", {}, "left the top-" + data.k), el("ul", {}, dropped))
        : "",
      contributionChart(
        "switched-off-chart",
        data.items,
        data.agent_names.filter((n) => !off.includes(n)),
        data.agent_names,
      ),
    );
  }

  UI.route("explorer", async (args, query) => {
    const status = await api("status");
    if (!status.ok) return message(status.data.error, "bad");
    const server = status.data.server;
    if (!server.available) {
      return section(
        "Explorer",
        message(server.message + (server.target ? " (" + server.target + ")" : ""), "bad"),
      );
    }
    const parts = [form(query, status.data.catalogue.example_users || [])];
    if (!query.has("user") && !query.has("history")) {
      parts.push(
        message(
          "Type a user id, a history of items, or both (an unknown user is scored from the " +
            "history alone, and with neither by popularity).",
        ),
      );
      return parts;
    }
    const { ok, data } = await api("recommend", {
      user: query.get("user") || "",
      history: split(query.get("history")),
      k: query.get("k") || "10",
    });
    if (!ok) return parts.concat([message(data.error, "bad")]);
    const off = split(query.get("off")).filter((n) => data.agent_names.includes(n));
    const who = data.user_id ? "user " + data.user_id : "an unknown user";
    const history = data.history.length
      ? [
          " with history ",
          ...data.history.flatMap((h, i) => [
            i ? ", " : "",
            itemLink(h.item_id),
            h.title ? " (" + h.title + ")" : "",
          ]),
        ]
      : [];
    parts.push(
      section(
        "Top-" + data.items.length + " for " + who,
        el("p", {}, ...history),
        toggles(data.agent_names, off, query),
        el(
          "div",
          { class: "split" },
          resultTable("recommendations-table", data.items, data.agent_names),
          contributionChart("contributions-chart", data.items, data.agent_names),
        ),
      ),
    );
    if (off.length) parts.push(await switchedOff(query, off));
    return parts;
  });
})();
