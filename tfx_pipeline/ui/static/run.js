// One run (#/run/<id>): decisions, component durations, training curves, evaluation, model card.
"use strict";

(() => {
  const { el, api, num, time, duration, color, badge, yesNo, table, message, section, chart } = UI;

  function componentsSection(components) {
    const rows = components.map((c) => [
      c.node_id,
      badge(c.state, c.state === "FAILED" ? "bad" : ""),
      el("td", { class: "num" }, duration(c.duration_s)),
      el("td", { class: "muted", title: c.type }, c.type.split(".").pop()),
    ]);
    const bars = chart("run-durations", {
      type: "bar",
      data: {
        labels: components.map((c) => c.node_id),
        datasets: [
          {
            label: "seconds",
            data: components.map((c) => c.duration_s),
            backgroundColor: color(0),
          },
        ],
      },
      options: { indexAxis: "y", plugins: { legend: { display: false } } },
    });
    return section(
      "Components",
      el(
        "div",
        { class: "grid" },
        el(
          "div",
          {},
          table(["component", "state", "duration", "type"], rows, { id: "components-table" }),
        ),
        bars,
      ),
    );
  }

  // {run folder: {tag: [[step, value]]}} -> one chart of losses and one of alphas per folder.
  function curvesSection(curves, card) {
    let runs = Object.entries(curves || {}).filter(([name]) => name !== "eval");
    if (!runs.length && card && card.epochs) runs = fromCard(card.epochs);
    if (!runs.length)
      return section("Training curves", message("no TensorBoard scalars in this run"));
    const charts = [];
    for (const [name, tags] of runs) {
      for (const prefix of ["loss", "alpha"]) {
        const keys = Object.keys(tags).filter((t) => t === prefix || t.startsWith(prefix + "_"));
        if (!keys.length) continue;
        const steps = [...new Set(keys.flatMap((k) => tags[k].map((p) => p[0])))].sort(
          (a, b) => a - b,
        );
        charts.push(
          el(
            "div",
            {},
            el("h3", {}, prefix + " per epoch: " + name),
            chart("curve-" + name.replace(/\W+/g, "-") + "-" + prefix, {
              type: "line",
              data: {
                labels: steps.map((s) => s + 1),
                datasets: keys.map((k, i) => {
                  const byStep = new Map(tags[k]);
                  return {
                    label: k,
                    data: steps.map((s) => byStep.get(s) ?? null),
                    borderColor: color(i),
                    backgroundColor: color(i),
                    pointRadius: 2,
                  };
                }),
              },
              options: {
                spanGaps: true,
                scales: { x: { title: { display: true, text: "epoch" } } },
              },
            }),
          ),
        );
      }
    }
    return section(
      "Training curves (TensorBoard logs of the ModelRun)",
      el("div", { class: "grid" }, charts),
    );
  }

  function fromCard(epochs) {
    const byStage = {};
    for (const row of epochs) {
      const tags = (byStage[row.stage || "train"] = byStage[row.stage || "train"] || {});
      for (const [key, value] of Object.entries(row)) {
        if (key !== "stage" && key !== "epoch")
          (tags[key] = tags[key] || []).push([row.epoch - 1, value]);
      }
    }
    return Object.entries(byStage);
  }

  function evaluationSection(evaluation) {
    if (!evaluation) return section("Evaluation", message("the evaluator did not run"));
    const roles = ["candidate", "baseline", "popularity"].filter((r) => evaluation[r]);
    // "ndcg@10", "ndcg@50", "ndcg@100", "recall@10", ...: by name, then by cut-off.
    const byCutoff = (a, b) => {
      const [na, ka] = a.split("@");
      const [nb, kb] = b.split("@");
      return na === nb ? Number(ka) - Number(kb) : na < nb ? -1 : 1;
    };
    const metrics = Object.keys(evaluation.candidate || {})
      .filter((k) => k.includes("@"))
      .sort(byCutoff);
    const rows = metrics.map((m) => [
      m,
      ...roles.map((r) => el("td", { class: "num" }, num(evaluation[r][m]))),
    ]);
    const parts = [
      el("p", {}, evaluation.reason || ""),
      table(["metric", ...roles], rows, { id: "evaluation-table" }),
      chart("evaluation-chart", {
        type: "bar",
        data: {
          labels: metrics,
          datasets: roles.map((r, i) => ({
            label: r,
            backgroundColor: color(i),
            data: metrics.map((m) => evaluation[r][m]),
          })),
        },
      }),
    ];
    const perAgent = (evaluation.candidate || {}).per_agent;
    if (perAgent) {
      const names = Object.keys(perAgent);
      const keys = metrics.filter((m) => names.some((n) => perAgent[n][m] !== undefined));
      parts.push(
        el("h3", {}, "each agent alone (candidate)"),
        table(
          ["agent", ...keys],
          names.map((n) => [
            n,
            ...keys.map((m) => el("td", { class: "num" }, num(perAgent[n][m]))),
          ]),
        ),
      );
    }
    if (!evaluation.baseline)
      parts.push(message("no baseline: the first model is compared with popularity only"));
    return section("Evaluation against the baseline", ...parts);
  }

  function cardSection(card) {
    if (!card) return section("Model card", message("no model card (the trainer did not finish)"));
    const alpha = Object.entries(card.alpha || {})
      .map(([k, v]) => k + " " + num(v, 3))
      .join(", ");
    const training = card.training || {};
    const facts = [
      ["agents", (card.agents || []).join(", ")],
      ["alpha", alpha],
      ["data span", JSON.stringify(card.data_span || {})],
      ["counts", JSON.stringify(card.counts || {})],
      [
        "training",
        duration(training.seconds_total) +
          " on " +
          (training.workers || 1) +
          " worker(s), " +
          (training.strategy || ""),
      ],
      [
        "warm start",
        card.warm_start ? JSON.stringify(card.warm_start) : "no (trained from scratch)",
      ],
    ];
    return section(
      "Model card",
      el(
        "dl",
        { class: "facts" },
        facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]),
      ),
      el(
        "details",
        {},
        el("summary", {}, "model_card.json"),
        el("pre", {}, JSON.stringify(card, null, 2)),
      ),
    );
  }

  function decisionsSection(s) {
    const rows = [
      [
        "model blessing (evaluator)",
        yesNo(s.blessed, "blessed", "not blessed"),
        s.blessing_message,
      ],
      [
        "infra blessing (infra validator)",
        yesNo(s.infra_blessed, "blessed", "not blessed"),
        s.infra_message,
      ],
      [
        "push (pusher)",
        yesNo(s.pushed, "pushed", "not pushed"),
        s.push_message || (s.model_version ? "version " + s.model_version : ""),
      ],
    ];
    return section(
      "Decisions",
      table(
        ["decision", "outcome", "message"],
        rows.map(([a, b, c]) => [a, b, el("td", { class: "wrap" }, c || "")]),
        { id: "decisions-table" },
      ),
    );
  }

  UI.route("run", async (args) => {
    const { ok, data } = await api("runs/" + encodeURIComponent(args[0] || "latest"));
    if (!ok) return message(data.error, "bad");
    const s = data.summary;
    const head = el(
      "div",
      {},
      el("h1", {}, "Run " + s.run_id),
      el(
        "p",
        { class: "muted" },
        s.pipeline +
          " · " +
          s.state +
          " · started " +
          time(s.start) +
          " · " +
          duration(s.duration_s) +
          " · span " +
          num(s.span) +
          " · rows read " +
          num(s.rows_read) +
          ", quarantined " +
          num(s.rows_quarantined),
      ),
    );
    return [
      head,
      decisionsSection(s),
      componentsSection(data.components),
      curvesSection(data.curves, data.model_card),
      evaluationSection(data.evaluation),
      cardSection(data.model_card),
    ];
  });
})();
