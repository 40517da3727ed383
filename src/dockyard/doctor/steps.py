"""A check-health step's result: what was checked, whether it passed, and — when not — the code, cause and fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from dockyard.doctor.vocabulary import CauseId, CheckCode, StepName


class StepStatus(StrEnum):
    """How a step ended. A warning (an optional tool missing) and a skipped step do not fail the run."""

    OK = "ok"
    FAILED = "failed"
    WARNING = "warning"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Step:
    """One step's result. `cause` says what was found (what is wrong, for a failure); `causes` are the
    knowledge file's causes a failure stands for, so `diagnose --probe` can confirm them."""

    name: StepName
    status: StepStatus
    cause: str
    code: CheckCode | None = None
    fix: str = ""
    details: tuple[str, ...] = ()
    causes: tuple[CauseId, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """Whether the step did not fail (passed, warned or was skipped)."""
        return self.status is not StepStatus.FAILED

    def to_json(self) -> dict[str, Any]:
        """The step as `--output json` prints it."""
        return {
            "step": self.name.value,
            "status": self.status.value,
            "ok": self.ok,
            "code": self.code.value if self.code else None,
            "cause": self.cause,
            "fix": self.fix or None,
            "details": list(self.details),
            "causes": [cause.value for cause in self.causes],
        }


def passed(name: StepName, finding: str, *details: str) -> Step:
    """A step that passed, with what it found."""
    return Step(name, StepStatus.OK, finding, details=details)


def skipped(name: StepName, why: str) -> Step:
    """A step that did not apply."""
    return Step(name, StepStatus.SKIPPED, why)


def failed(
    name: StepName, code: CheckCode | None, cause: str, fix: str, *causes: CauseId, details: tuple[str, ...] = ()
) -> Step:
    """A failed step: its code, what is wrong, what to do, and the causes it stands for."""
    return Step(name, StepStatus.FAILED, cause, code, fix, details, causes)


def warned(name: StepName, code: CheckCode | None, cause: str, fix: str, *causes: CauseId) -> Step:
    """A step that found something worth knowing that does not stop the client working."""
    return Step(name, StepStatus.WARNING, cause, code, fix, (), causes)
