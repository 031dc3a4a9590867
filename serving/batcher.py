"""Server-side batching (`--enable_batching`): concurrent requests share one model call.

Requests join a batch when they go to the same servable, signature and output filter, have
equal non-batched inputs (e.g. `recommend`'s scalar `k`) and, after padding string inputs
with "" when `pad_variable_length_inputs` is on, equal non-batch dimensions. A batch runs
when it holds `max_batch_size` rows or its oldest request has waited `batch_timeout_micros`.
A merged batch also stays inside the per-request limits (rows, padded cells, rows x k; see
serving/request_limits.py): padding one long history onto many short ones must not build a
tensor no single request could. Outputs whose first dimension is the batch size are split
back; others (`agent_names`) are given to every request. If a batched call fails, its
requests are retried one by one so each gets its own error.
"""

import collections
import threading
import time

import numpy as np

from serving.batching_config import BatchingParameters
from serving.errors import Code, ServingError
from serving.request_limits import RequestLimits, batch_major, results_per_row


class _Task:
    __slots__ = ("servable", "signature", "inputs", "output_filter", "rows", "dims", "done",
                 "result", "error", "since")

    def __init__(self, servable, signature, inputs, output_filter, rows, dims):
        self.servable, self.signature, self.inputs = servable, signature, inputs
        self.output_filter, self.rows, self.dims = output_filter, rows, dims
        self.done, self.result, self.error = threading.Event(), None, None
        self.since = time.monotonic()


class Batcher:
    """Batches `Servable.run` calls.

    Args:
        params: BatchingParameters.
        limits: RequestLimits no merged batch may exceed; `params.max_batch_size` above
            `limits.max_batch_size` is lowered to it.
    """

    def __init__(self, params: BatchingParameters, limits: RequestLimits = RequestLimits()):
        self.params, self.limits = params, limits
        self.max_rows = min(params.max_batch_size, limits.max_batch_size)
        self._pending = collections.OrderedDict()  # key -> [tasks]
        self._cond = threading.Condition()
        self._stopped = False
        self._threads = [threading.Thread(target=self._work, name=f"batch-{i}", daemon=True)
                         for i in range(params.num_batch_threads)]
        for thread in self._threads:
            thread.start()

    def _key(self, servable, signature, inputs, output_filter):
        """(batch key, rows, padded inputs) or None when the request cannot be batched."""
        sig = servable.signature(signature)
        rows, key, padded = None, [id(servable), signature, tuple(output_filter)], {}
        for name in sorted(inputs):
            value, info = inputs[name], sig.inputs[name]
            dims = [d.size for d in info.tensor_shape.dim]
            if info.tensor_shape.unknown_rank or not dims or dims[0] != -1:
                key.append((name, value.dtype.str, value.shape,
                            value.tobytes() if value.dtype != object
                            else tuple(value.reshape(-1).tolist())))
                continue
            if rows not in (None, value.shape[0]):
                return None
            rows = value.shape[0]
            key.append((name, value.dtype.str,
                        None if self.params.pad_variable_length_inputs else value.shape[1:]))
            padded[name] = value
        return (tuple(key), rows, padded) if rows else None

    def run(self, servable, signature: str, inputs: dict, output_filter=()) -> dict:
        """Same contract as `Servable.run`, through a shared batch when possible."""
        keyed = self._key(servable, signature or "serving_default", inputs, output_filter)
        if keyed is None or keyed[1] > self.max_rows:
            return servable.run(signature, inputs, output_filter)
        key, rows, batched = keyed
        dims = {name: value.shape[1:] for name, value in batched.items()}
        task = _Task(servable, signature, inputs, tuple(output_filter), rows, dims)
        with self._cond:
            if self._stopped:
                raise ServingError(Code.UNAVAILABLE, "server is shutting down")
            if len(self._pending) >= self.params.max_enqueued_batches and key not in self._pending:
                raise ServingError(Code.UNAVAILABLE,
                                   "batch queue is full; retry or raise max_enqueued_batches")
            self._pending.setdefault(key, []).append(task)
            self._cond.notify()
        task.done.wait()
        if task.error is not None:
            raise task.error
        return task.result

    def _take(self):
        """Blocks until a batch is due; returns its tasks ([] when stopped and drained)."""
        timeout = self.params.batch_timeout_micros / 1e6
        with self._cond:
            while True:
                if not self._pending:
                    if self._stopped:
                        return []
                    self._cond.wait()
                    continue
                key, tasks = next(iter(self._pending.items()))
                wait = tasks[0].since + timeout - time.monotonic()
                if sum(t.rows for t in tasks) >= self.max_rows or wait <= 0 or self._stopped:
                    batch = self._fill(tasks)
                    if not tasks:
                        del self._pending[key]
                    return batch
                self._cond.wait(wait)

    def _fill(self, tasks):
        """Pops the leading tasks that fit one batch (at least one: each fits alone)."""
        batch = [tasks.pop(0)]
        rows, dims = batch[0].rows, dict(batch[0].dims)
        per_row_results = results_per_row(batch[0].inputs)  # equal in a batch: k is in the key
        while tasks:
            task = tasks[0]
            padded = {n: tuple(map(max, dims[n], d)) for n, d in task.dims.items()}
            if (rows + task.rows > self.max_rows
                    or not self.limits.batch_fits(rows + task.rows, padded, per_row_results)):
                break
            rows, dims = rows + task.rows, padded
            batch.append(tasks.pop(0))
        return batch

    def _work(self):
        while True:
            batch = self._take()
            if not batch:
                return
            self._run_batch(batch)

    @staticmethod
    def _pad(arrays):
        if all(a.shape[1:] == arrays[0].shape[1:] for a in arrays):
            return arrays
        target = np.max([a.shape[1:] for a in arrays], axis=0)
        out = []
        for a in arrays:
            fill = b"" if a.dtype == object else 0
            pad = [(0, 0)] + [(0, int(t - s)) for t, s in zip(target, a.shape[1:])]
            out.append(np.pad(a, pad, constant_values=fill))
        return out

    def _run_batch(self, batch):
        first = batch[0]
        if len(batch) == 1:
            self._run_one(first)
            return
        _, _, batched = self._key(first.servable, first.signature or "serving_default",
                                  first.inputs, first.output_filter)
        inputs = dict(first.inputs)
        for name in batched:
            inputs[name] = np.concatenate(self._pad([t.inputs[name] for t in batch]), axis=0)
        total = sum(t.rows for t in batch)
        try:
            outputs = first.servable.run(first.signature, inputs, first.output_filter)
        except Exception:  # noqa: BLE001 - retried one by one for per-request errors
            for task in batch:
                self._run_one(task)
            return
        sig = first.servable.signature(first.signature)
        split = {k for k, v in outputs.items()
                 if v.ndim and v.shape[0] == total and batch_major(sig.outputs[k])}
        start = 0
        for task in batch:
            task.result = {k: v[start:start + task.rows] if k in split else v
                           for k, v in outputs.items()}
            start += task.rows
            task.done.set()

    @staticmethod
    def _run_one(task):
        try:
            task.result = task.servable.run(task.signature, task.inputs, task.output_filter)
        except Exception as err:  # noqa: BLE001 - handed to the waiting request thread
            task.error = err
        task.done.set()

    def stop(self):
        """Runs what is queued, then stops the batch threads."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout=30)
