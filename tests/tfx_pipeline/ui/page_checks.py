"""What a person checks on each page, as functions of a Playwright page (tests share them)."""

CONTRIBUTIONS_JS = """id => {
  const chart = Chart.getChart(document.getElementById(id));
  const datasets = chart.data.datasets.map(d => ({label: d.label, data: d.data}));
  return {labels: chart.data.labels, datasets};
}"""


def runs_table(page):
    """[{cell text by header}] of the runs table."""
    return page.eval_on_selector(
        "#runs-table",
        """t => {
      const heads = [...t.querySelectorAll("thead th")].map(h => h.textContent);
      return [...t.querySelectorAll("tbody tr")].map(r =>
        Object.fromEntries([...r.children].map((c, i) => [heads[i], c.textContent])));
    }""",
    )


def explorer_rows(page, table="#recommendations-table"):
    """[{"item", "title", "score", "sum"}] of an explorer table (numbers as shown)."""
    return page.eval_on_selector(
        table,
        """t => {
      const heads = [...t.querySelectorAll("thead th")].map(h => h.textContent);
      return [...t.querySelectorAll("tbody tr")].map(r => {
        const cells = [...r.children];
        const at = name => cells[heads.indexOf(name)];
        return {item: at("item").textContent, title: at("title").textContent,
                score: parseFloat(at("score").textContent),
                sum: parseFloat(at("sum").textContent)};
      });
    }""",
    )


def assert_bars_sum_to_scores(
    page, canvas_id="contributions-chart", table="#recommendations-table"
):
    """Each item's stacked bar (one segment per agent) sums to the score in its row."""
    page.wait_for_function(
        f"() => window.Chart && Chart.getChart(document.getElementById('{canvas_id}'))"
    )
    chart = page.evaluate(CONTRIBUTIONS_JS, canvas_id)
    rows = explorer_rows(page, table)
    assert len(chart["labels"]) == len(rows) and len(chart["datasets"]) >= 1
    for index, row in enumerate(rows):
        bar = sum(d["data"][index] for d in chart["datasets"])
        assert abs(bar - row["score"]) <= 1e-3 * max(1.0, abs(row["score"])), (index, bar, row)
    return rows, chart


def assert_nothing_ran(page):
    """No catalogue string became markup: no script or image element in the page's content,
    and the hostile title's code (which sets window.__pwned) never ran."""
    assert page.evaluate("() => window.__pwned === undefined")
    assert page.evaluate("() => document.querySelectorAll('main script, main img').length") == 0


def assert_text_not_markup(page, selector, text):
    """`text` (holding tags) is shown verbatim at `selector` and nothing in it ran."""
    page.wait_for_selector(selector)
    assert page.text_content(selector) == text
    assert_nothing_ran(page)
