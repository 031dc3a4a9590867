# Pipeline image for Kubeflow Pipelines / Vertex AI Pipelines: this package + the pinned stack.
# Build: docker build -t IMAGE . ; compile: recsys pipeline compile --target kubeflow --image IMAGE
FROM python:3.11-slim-bookworm
ENV TF_USE_LEGACY_KERAS=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1
WORKDIR /pipeline
COPY requirements/ requirements/
RUN pip install --no-cache-dir -r requirements/lock.txt \
 && pip install --no-cache-dir --no-deps -r requirements/nodeps.txt
COPY setup.py README.md ./
COPY tfx_pipeline/ tfx_pipeline/
COPY components/ components/
COPY serving/ serving/
COPY rec_model/ rec_model/
RUN pip install --no-cache-dir --no-deps .
# KubeflowV2DagRunner runs `python -m tfx.orchestration.kubeflow.v2.container.kubeflow_v2_run_executor`.
