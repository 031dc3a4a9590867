"""The one error type of the serving layer, with TF Serving's status codes.

gRPC handlers abort with `code.grpc`; REST handlers answer `{"error": message}` with
`code.http` (TF Serving maps the same canonical codes to the same HTTP statuses).
"""

import enum


class Code(enum.Enum):
    """Canonical status codes (name, gRPC code name, HTTP status)."""

    INVALID_ARGUMENT = ("INVALID_ARGUMENT", 400)
    NOT_FOUND = ("NOT_FOUND", 404)
    FAILED_PRECONDITION = ("FAILED_PRECONDITION", 400)
    RESOURCE_EXHAUSTED = ("RESOURCE_EXHAUSTED", 413)
    UNAVAILABLE = ("UNAVAILABLE", 503)
    UNIMPLEMENTED = ("UNIMPLEMENTED", 501)
    INTERNAL = ("INTERNAL", 500)

    @property
    def http(self) -> int:
        return self.value[1]

    @property
    def grpc(self):
        import grpc

        return getattr(grpc.StatusCode, self.value[0])


class ServingError(Exception):
    """A request the server refuses, with the canonical code to answer it with.

    Args:
        code: a `Code`.
        message: what went wrong and how to fix the request.
    """

    def __init__(self, code: Code, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code.name}: {self.message}"
