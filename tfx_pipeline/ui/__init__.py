"""`recsys ui`: a local, read-only web app over runs, agents, recommendations and feedback.

Modules, each one concern:

- `config.py`: `UiConfig`, where the data comes from (pipeline root, model server, logs).
- `artifacts.py`: files inside artifacts (model card, evaluation metrics, TensorBoard scalars,
  the transform's train counts) as JSON-ready dicts.
- `run_views.py`: runs from ML Metadata (tfx_pipeline/runs.py) summarised for the runs pages.
- `catalogue.py`: titles and train counts of the items the live model knows.
- `explorer.py`: the live server's answers (recommend / score over gRPC) with titles, per-agent
  contributions, an agent switched off, an item's nearest items per agent.
- `continuous_view.py`: feedback volume, click-through rates, the trigger's decisions.
- `api.py`: the JSON API (`GET /api/...`) over the above.
- `http_server.py`: the HTTP server (standard library) serving `static/` and the API.

The page (`static/`) renders catalogue strings with `textContent` only and draws charts
with the vendored Chart.js (`static/vendor/`), so it works with no network.
"""
