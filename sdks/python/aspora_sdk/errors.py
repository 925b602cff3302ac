"""The typed error of a failed host call (docs/runtime-protocol.md, "call and return")."""
from typing import Any, Dict, Optional


class AsporaError(Exception):
    """A host call the platform refused or failed: PERMISSION_DENIED, NOT_FOUND, BAD_REQUEST,
    TIMEOUT, UNAVAILABLE, BUDGET_EXCEEDED or INTERNAL. Left uncaught, it ends the execution with
    its ``code``, so a denied permission shows as PERMISSION_DENIED on the execution record."""

    def __init__(self, code: str, message: str, details: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(code, message, details)
        self.code = code
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def to_wire(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            out["details"] = self.details
        return out


def ended_error() -> AsporaError:
    return AsporaError("BAD_REQUEST", "the execution ended before this call returned")
