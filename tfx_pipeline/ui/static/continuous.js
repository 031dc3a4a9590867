// Continuous training (#/continuous): feedback volume, click-through rate per model version and
// per simulation round, and the trigger's decisions over time.
"use strict";

(() => {
  const { el, api, num, pct, time, color, badge, yesNo, table, message, section, chart } = UI;

  function volumeSection(feedback, sources) {
    if (!sources.feedback_dir) {
      return section(
        "Feedback volume",
        message(
          "no feedback logs: pass --feedback-dir (the server's " +
            "--feedback_log_dir or `recsys feedback --feedback-dir`)",
        ),
      );
    }
    const events = Object.keys(feedback.by_event);
    const daily = feedback.bucket_seconds >= 86400;
    const label = (t) => time(t).slice(0, daily ? 10 : 16);
    return section(
      "Feedback volume (" + feedback.total + " records)",
      el(
        "p",
        { class: "muted" },
        events.map((e) => e + " " + feedback.by_event[e]).join(" · ") || "none yet",
      ),
      chart("feedback-chart", {
        type: "bar",
        data: {
          labels: feedback.buckets.map((b) => label(b.time)),
          datasets: events.map((e, i) => ({
            label: e,
            backgroundColor: color(i),
            data: feedback.buckets.map((b) => b.events[e] || 0),
          })),
        },
        options: {
          scales: {
            x: { stacked: true },
            y: {
              stacked: true,
              title: { display: true, text: "records per " + (daily ? "day" : "hour") },
            },
          },
        },
      }),
    );
  }

  function versionSection(versions, sources, unmatched) {
    if (!sources.request_log_dir) {
      return section(
        "Click-through rate per model version",
        message("no request logs: pass " + "--request-log-dir (the server's --request_log_dir)"),
      );
    }
    const rows = versions.map((v) => [
      String(v.version),
      el("td", { class: "num" }, num(v.requests)),
      el("td", { class: "num" }, num(v.served_items)),
      el("td", { class: "num" }, num(v.clicks)),
      el("td", { class: "num" }, pct(v.ctr)),
    ]);
    return section(
      "Click-through rate per model version",
      chart("ctr-version-chart", {
        type: "bar",
        data: {
          labels: versions.map((v) => "v" + v.version),
          datasets: [
            {
              label: "click-through rate",
              backgroundColor: color(0),
              data: versions.map((v) => v.ctr),
            },
          ],
        },
        options: { plugins: { legend: { display: false } } },
      }),
      table(["version", "requests", "items served", "clicks", "CTR"], rows, {
        id: "ctr-version-table",
      }),
      unmatched ? message(unmatched + " clicks name a request the request logs do not hold") : "",
    );
  }

  function simulationSection(simulation) {
    if (!simulation) {
      return section(
        "Click-through rate per simulation round",
        message(
          "no simulation report " +
            "(`recsys simulate` writes simulation.json; pass --simulation)",
        ),
      );
    }
    const rounds = simulation.rounds;
    const rows = rounds.map((r) => [
      String(r.round),
      String(r.model_version),
      el("td", { class: "num" }, num(r.shown)),
      el("td", { class: "num" }, num(r.clicks)),
      el("td", { class: "num" }, pct(r.ctr)),
      r.retrain
        ? r.retrain.succeeded
          ? "retrained, span " + r.retrain.span
          : "retrain failed or not due"
        : "–",
    ]);
    return section(
      "Click-through rate per simulation round",
      chart("ctr-round-chart", {
        type: "line",
        data: {
          labels: rounds.map((r) => "round " + r.round),
          datasets: [
            {
              label: "simulated CTR",
              borderColor: color(2),
              backgroundColor: color(2),
              data: rounds.map((r) => r.ctr),
            },
          ],
        },
      }),
      table(["round", "model version", "shown", "clicks", "CTR", "after the round"], rows, {
        id: "rounds-table",
      }),
    );
  }

  function decisionsSection(decisions, state) {
    const facts = state
      ? el(
          "p",
          { class: "muted" },
          state.error
            ? state.error
            : "span " +
                state.span +
                " · " +
                state.runs +
                " successful runs · last run " +
                time(state.last_run_time) +
                (state.consecutive_failures
                  ? " · " + state.consecutive_failures + " failures: " + state.last_error
                  : ""),
        )
      : message("no trigger state in the pipeline root (no `recsys trigger` has run there)");
    if (!decisions.length)
      return section("Trigger decisions", facts, message("no decisions recorded"));
    const points = decisions.map((d) => d.new_interactions ?? 0);
    const rows = decisions
      .slice()
      .reverse()
      .slice(0, 50)
      .map((d) => [
        time(d.time),
        d.busy ? badge("busy", "muted") : yesNo(d.triggered, "run", "wait"),
        el("td", { class: "wrap" }, (d.reasons || []).join("; ")),
        num(d.new_interactions),
        pct(d.ctr),
        num(d.span),
        d.succeeded === null || d.succeeded === undefined
          ? "–"
          : yesNo(d.succeeded, "succeeded", "failed"),
        el("td", { class: "wrap" }, d.error || ""),
      ]);
    return section(
      "Trigger decisions over time",
      facts,
      chart("decisions-chart", {
        type: "line",
        data: {
          labels: decisions.map((d) => time(d.time).slice(5, 16)),
          datasets: [
            {
              label: "new interactions at the check",
              data: points,
              borderColor: color(0),
              backgroundColor: decisions.map((d) => (d.triggered ? color(3) : color(0))),
              pointRadius: decisions.map((d) => (d.triggered ? 6 : 3)),
            },
          ],
        },
        options: { plugins: { legend: { display: true } } },
      }),
      el(
        "p",
        { class: "muted" },
        "Red points: the trigger started a pipeline run. Newest first below.",
      ),
      table(
        ["time", "decision", "reasons", "new interactions", "CTR", "span", "run", "error"],
        rows,
        { id: "trigger-table" },
      ),
    );
  }

  UI.route("continuous", async () => {
    const { ok, data } = await api("continuous");
    if (!ok) return message(data.error, "bad");
    return [
      el(
        "div",
        { class: "grid" },
        volumeSection(data.feedback, data.sources),
        versionSection(data.ctr_by_version, data.sources, data.clicks_without_request),
      ),
      simulationSection(data.simulation),
      decisionsSection(data.decisions, data.trigger_state),
    ];
  });
})();
