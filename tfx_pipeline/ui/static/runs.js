// Runs (#/runs): every pipeline run from ML Metadata with its data, gate and push decision.
"use strict";

(() => {
  const { el, api, num, time, color, badge, yesNo, table, message, section, chart } = UI;

  // The evaluator records "<role>_<metric>" (candidate_ndcg_at_10, baseline_..., popularity_...).
  function gate(metrics) {
    const name = Object.keys(metrics || {}).find((k) => k.startsWith("candidate_"));
    if (!name) return { name: "", candidate: null, baseline: null, popularity: null };
    const metric = name.slice("candidate_".length);
    return {
      name: metric.replace("_at_", "@"),
      candidate: metrics["candidate_" + metric],
      baseline: metrics["baseline_" + metric],
      popularity: metrics["popularity_" + metric],
    };
  }

  function pushCell(run) {
    const cell = el("td", { class: "wrap" }, yesNo(run.pushed, "pushed", "not pushed"));
    // The pusher's message repeats the outcome first ("not pushed: <why>"): keep the why.
    const why = (run.push_message || "").replace(/^(not pushed|pushed)[:.]?\s*/i, "");
    if (why) cell.append(" ", el("span", { class: "muted" }, why));
    return cell;
  }

  UI.route("runs", async () => {
    const { ok, data } = await api("runs");
    if (!ok) return message(data.error, "bad");
    if (!data.runs.length) return section("Pipeline runs", message(data.message));
    const gated = data.runs.map((r) => gate(r.metrics));
    const metric = (gated.find((g) => g.name) || {}).name || "metric";
    const rows = data.runs.map((r, i) => [
      el("td", {}, el("a", { href: "#/run/" + encodeURIComponent(r.run_id) }, r.run_id)),
      time(r.start),
      badge(r.state, r.state === "FAILED" ? "bad" : ""),
      num(r.span),
      el("td", { class: "num" }, num(r.rows_read)),
      el("td", { class: "num" }, num(r.rows_quarantined)),
      el("td", { class: "num" }, num(gated[i].candidate)),
      el("td", { class: "num" }, num(gated[i].baseline)),
      el("td", {}, yesNo(r.blessed, "blessed", "not blessed")),
      pushCell(r),
      num(r.model_version),
    ]);
    const chronological = data.runs.slice().reverse();
    const trend = chart("runs-metric", {
      type: "line",
      data: {
        labels: chronological.map((r) => r.run_id.slice(0, 19)),
        datasets: ["candidate", "baseline", "popularity"].map((role, i) => ({
          label: role + " " + metric,
          borderColor: color(i),
          backgroundColor: color(i),
          data: chronological.map((r) => gate(r.metrics)[role]),
        })),
      },
      options: { spanGaps: true, scales: { y: { title: { display: true, text: metric } } } },
    });
    return [
      section(
        "Pipeline runs",
        table(
          [
            "run",
            "started",
            "state",
            "span",
            "rows read",
            "quarantined",
            "candidate " + metric,
            "baseline " + metric,
            "blessing",
            "push decision",
            "model version",
          ],
          rows,
          { id: "runs-table" },
        ),
      ),
      section("Evaluator's gating metric per run", trend),
    ];
  });
})();
