// Agents (#/agents): alpha per agent across trained models, and each agent's share of the
// contributions behind the live model's recommendations.
"use strict";

(() => {
  const { el, api, num, pct, color, yesNo, table, message, section, chart } = UI;

  function alphaSection(models) {
    if (!models.length)
      return section("Agent weights (alpha) per model", message("no trained model yet"));
    const agents = [...new Set(models.flatMap((m) => m.agents))];
    const lines = chart("alpha-chart", {
      type: "line",
      data: {
        labels: models.map((m) => m.label),
        datasets: agents.map((a, i) => ({
          label: a,
          borderColor: color(i),
          backgroundColor: color(i),
          data: models.map((m) => (a in m.alpha ? m.alpha[a] : null)),
        })),
      },
      options: { spanGaps: true, scales: { y: { title: { display: true, text: "alpha" } } } },
    });
    const rows = models.map((m) => [
      el("td", {}, el("a", { href: "#/run/" + encodeURIComponent(m.run_id) }, m.label)),
      yesNo(m.blessed, "blessed", "not blessed"),
      ...agents.map((a) => el("td", { class: "num" }, num(m.alpha[a], 3))),
    ]);
    return section(
      "Agent weights (alpha) per model, oldest first",
      lines,
      table(["model", "blessing", ...agents], rows, { id: "alpha-table" }),
    );
  }

  function sharesSection(shares, why) {
    if (!shares)
      return section("Agents' share of the served contributions", message(why || "not available"));
    const names = shares.agent_names;
    const bars = chart("shares-chart", {
      type: "doughnut",
      data: {
        labels: names,
        datasets: [
          {
            data: names.map((n) => shares.share[n]),
            backgroundColor: names.map((_, i) => color(i)),
          },
        ],
      },
      options: { plugins: { legend: { position: "right" } } },
    });
    const rows = names.map((n, i) => [
      el("td", {}, el("span", { class: "swatch", style: null, dataset: { agent: n } }), " ", n),
      el("td", { class: "num" }, pct(shares.share[n])),
      el("td", { class: "num" }, num(shares.mean[n])),
    ]);
    const swatched = table(["agent", "share of |contribution|", "mean contribution"], rows, {
      id: "shares-table",
    });
    swatched.querySelectorAll(".swatch").forEach((s, i) => {
      s.style.background = color(i);
    });
    return section(
      "Agents' share of the served contributions",
      el(
        "p",
        { class: "muted" },
        "Top-" +
          shares.k +
          " of " +
          shares.users +
          " users (" +
          shares.users_from +
          "), recomputed on the live model: " +
          shares.items +
          " recommended items.",
      ),
      el("div", { class: "grid" }, bars, swatched),
    );
  }

  UI.route("agents", async () => {
    const { ok, data } = await api("agents");
    if (!ok) return message(data.error, "bad");
    return [alphaSection(data.models), sharesSection(data.shares, data.shares_message)];
  });
})();
