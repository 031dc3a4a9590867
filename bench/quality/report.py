"""Markdown table and PNG chart of a quality benchmark result."""

import pathlib

METRICS = ("recall@10", "ndcg@10", "recall@50", "ndcg@50", "recall@100", "ndcg@100", "coverage@10",
           "popularity_percentile@10")


def _blend(gate: dict, result: dict) -> str:
    """One line: the blend's coefficients and whether simulated new items chose them."""
    parts = [f"{a} {gate.get(f'coefficient:{a}', float('nan')):.3g}"
             for a in result["alpha"]["final"]]
    draws = int(gate.get("simulated_cold_draws", 0))
    return ", ".join(parts) + (f" (chosen with {draws} draws of simulated new items)" if draws
                               else " (chosen on the plain validation slice)")


def markdown(result: dict) -> str:
    """Tables of the models, the cold-item split, alpha and timings."""
    lines = ["# Quality benchmark (MovieLens-100K, ../shared/BENCHMARK.md protocol)", "",
             "| model | " + " | ".join(METRICS) + " |", "|---" * (len(METRICS) + 1) + "|"]
    for name, row in result["models"].items():
        lines.append(f"| {name} | "
                     + " | ".join(f"{row.get(m, float('nan')):.3f}" for m in METRICS) + " |")
    lines += ["", "## Cold items (168 held out, Recall@50)", "",
              "| model | among all items | among held-out only |", "|---|---|---|"]
    for name, row in result.get("cold", {}).items():
        lines.append(f"| {name} | {row['recall@50_all']:.3f} | {row['recall@50_cold_only']:.3f} |")
    cold_gate = (result.get("cold_model") or {}).get("gate") or {}
    if cold_gate:
        lines += ["", "The cold split's blend: " + _blend(cold_gate, result)]
    lines += ["", "## Learned alpha (final)", "", "| agent | alpha |", "|---|---|"]
    lines += [f"| {a} | {v:.3f} |" for a, v in result.get("alpha", {}).get("final", {}).items()]
    gate = result.get("gate") or {}
    if gate:
        lines += ["", "## Gate (fitted on a validation slice carved from train)", "",
                  "| agent | alone (val. NDCG@{10,20,50}) | blend coefficient |", "|---|---|---|"]
        lines += [f"| {a} | {gate.get(f'agent:{a}', float('nan')):.4f} | "
                  f"{gate.get(f'coefficient:{a}', float('nan')):.2f} |"
                  for a in result["alpha"]["final"]]
        lines += ["", f"Static blend {gate.get('static', float('nan')):.4f}; per-user gate kept: "
                  f"{'yes' if gate.get('per_user_gate_kept') else 'no'}; draws of simulated new "
                  f"items: {int(gate.get('simulated_cold_draws', 0))}"]
    shares = (result.get("agent_share") or {}).get("multi_agent")
    if shares:
        lines += ["", "## Each agent's share of the contributions (test users' top-100)", "",
                  "| agent | share |", "|---|---|"] + [f"| {a} | {v:.3f} |"
                                                         for a, v in shares.items()]
    lines += ["", "## Training time (seconds, same run)", "", "| model | seconds |", "|---|---|"]
    lines += [f"| {m} | {s:.1f} |" for m, s in result.get("train_seconds", {}).items()]
    speed = result.get("speed", {})
    if speed:
        lines += ["", "## Training speed (interaction examples / second)", ""]
        lines += [f"- {k}: {v:.3g}" for k, v in speed.items()]
    targets = result.get("targets", {})
    if targets:
        lines += ["", "## Targets", ""] + [f"- {k}: {'met' if v else 'NOT met'}"
                                           for k, v in targets.items()]
    return "\n".join(lines) + "\n"


def chart(result: dict, path) -> None:
    """Bar chart of Recall@10 / NDCG@10 / Recall@100 per model (matplotlib, Agg)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(result["models"])
    keys = ("recall@10", "ndcg@10", "recall@100")
    fig, ax = plt.subplots(figsize=(max(8, 1.1 * len(names)), 4.5))
    width = 0.8 / len(keys)
    for j, key in enumerate(keys):
        ax.bar([i + j * width for i in range(len(names))],
               [result["models"][n][key] for n in names], width, label=key)
    ax.set_xticks([i + width for i in range(len(names))])
    ax.set_xticklabels(names, rotation=30, ha="right")
    ax.set_ylabel("score")
    ax.set_title("MovieLens-100K top-K quality (same split, same run)")
    ax.legend()
    fig.tight_layout()
    pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
