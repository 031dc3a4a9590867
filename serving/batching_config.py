"""TF Serving's `--batching_parameters_file` (text BatchingParameters) <-> `BatchingParameters`.

The file looks like:

    max_batch_size { value: 64 }
    batch_timeout_micros { value: 1000 }
    num_batch_threads { value: 2 }
    max_enqueued_batches { value: 100 }
    pad_variable_length_inputs: true

tensorflow-serving-api does not ship the BatchingParameters proto, so the handful of fields
this server honours are parsed here; other fields are rejected, naming the line.
"""

import dataclasses
import re

_WRAPPED = re.compile(r"^(\w+)\s*\{\s*value\s*:\s*(\d+)\s*\}$")
_PLAIN = re.compile(r"^(\w+)\s*:\s*(\w+)$")


@dataclasses.dataclass(frozen=True)
class BatchingParameters:
    """Server-side batching knobs (names and defaults as TF Serving's).

    Args:
        max_batch_size: rows per batched model call.
        batch_timeout_micros: longest a request waits for others to join its batch.
        num_batch_threads: batches run concurrently.
        max_enqueued_batches: queued batches before requests are refused (UNAVAILABLE).
        pad_variable_length_inputs: pad string inputs' non-batch dims with "" (numbers with 0)
            so requests with different history lengths share a batch.
    """

    max_batch_size: int = 32
    batch_timeout_micros: int = 1000
    num_batch_threads: int = 2
    max_enqueued_batches: int = 100
    pad_variable_length_inputs: bool = True

    def __post_init__(self):
        for field in ("max_batch_size", "num_batch_threads", "max_enqueued_batches"):
            if getattr(self, field) < 1:
                raise ValueError(f"batching parameter {field} must be >= 1, "
                                 f"got {getattr(self, field)}")
        if self.batch_timeout_micros < 0:
            raise ValueError(f"batch_timeout_micros must be >= 0, got {self.batch_timeout_micros}")

    def to_text(self) -> str:
        """The text format TF Serving reads."""
        lines = [f"{f} {{ value: {getattr(self, f)} }}" for f in
                 ("max_batch_size", "batch_timeout_micros", "num_batch_threads",
                  "max_enqueued_batches")]
        lines.append(f"pad_variable_length_inputs: {str(self.pad_variable_length_inputs).lower()}")
        return "\n".join(lines) + "\n"

    @classmethod
    def from_text(cls, text: str, source: str = "<string>") -> "BatchingParameters":
        """Parses the text format; `ValueError` naming `source` and the line when invalid."""
        known = {f.name for f in dataclasses.fields(cls)}
        values = {}
        for lineno, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            match = _WRAPPED.match(line) or _PLAIN.match(line)
            if not match or match.group(1) not in known:
                raise ValueError(f"{source}:{lineno}: cannot use {raw.strip()!r}; "
                                 f"supported fields: {sorted(known)} written as "
                                 f"'name {{ value: N }}' or 'pad_variable_length_inputs: true'")
            name, value = match.groups()
            if name == "pad_variable_length_inputs":
                if value not in ("true", "false"):
                    raise ValueError(f"{source}:{lineno}: "
                                     "pad_variable_length_inputs must be true or false")
                values[name] = value == "true"
            else:
                values[name] = int(value)
        return cls(**values)
