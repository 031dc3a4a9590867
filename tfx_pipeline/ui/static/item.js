// Item pages (#/item/<id>): the item and its nearest items as each agent of the live model
// sees them (an unknown user whose history is the item; cold items included).
"use strict";

(() => {
  const { el, api, num, coldBadge, itemLink, message, section } = UI;

  function neighbourList(rows, agent) {
    return el(
      "ol",
      { class: "neighbours" },
      rows.map((it) =>
        el(
          "li",
          {},
          itemLink(it.item_id),
          " ",
          el("span", { class: "title" }, it.title),
          " ",
          coldBadge(it),
          " ",
          el("span", { class: "muted" }, num(agent ? it.contributions[agent] : it.score)),
        ),
      ),
    );
  }

  UI.route("item", async (args) => {
    const id = args[0] || "";
    const { ok, data } = await api("items/" + encodeURIComponent(id), { n: 10 });
    if (!ok) return message(data.error, "bad");
    const item = data.item;
    const head = el(
      "div",
      {},
      el("h1", { id: "item-title" }, item.title || item.item_id),
      el(
        "p",
        {},
        "item ",
        el("code", {}, item.item_id),
        " · ",
        item.genres || "no genres",
        " · ",
        coldBadge(item),
        " · ",
        el(
          "a",
          { href: "#/explorer?history=" + encodeURIComponent(item.item_id) },
          "use as a history",
        ),
      ),
    );
    const lists = [section("Blend (the model's score)", neighbourList(data.blend, null))].concat(
      data.agent_names.map((name) =>
        section(
          "As " + name + " sees it",
          data.flat.includes(name)
            ? message("the same contribution to all its best items: nothing to rank them by")
            : neighbourList(data.by_agent[name], name),
        ),
      ),
    );
    return [
      head,
      el(
        "p",
        { class: "muted" },
        "Nearest items for an unknown user whose history is this item, " +
          "ordered by each agent's contribution (" +
          data.pool +
          " items scored).",
      ),
      el("div", { class: "cards", id: "neighbours" }, lists),
    ];
  });
})();
