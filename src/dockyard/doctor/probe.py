"""`diagnose --probe`: run check-health against the registry and say which of the suspected causes its steps
confirm, which they rule out, and which they cannot tell."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from dockyard.doctor.check_health import HealthReport
from dockyard.doctor.diagnose import RankedCause
from dockyard.doctor.steps import StepStatus


class Verdict(StrEnum):
    """What the probes say about a suspected cause."""

    CONFIRMED = "confirmed"  # a step failed for this cause
    RULED_OUT = "ruled out"  # every step that could show it ran and passed
    UNDETERMINED = "undetermined"  # its steps did not run, or cannot tell it from its neighbours


@dataclass(frozen=True)
class ProbedCause:
    """A ranked cause and what the probes said about it."""

    ranked: RankedCause
    verdict: Verdict
    evidence: str

    def to_json(self) -> dict[str, Any]:
        """The verdict as `--output json` prints it."""
        return {"cause": self.ranked.cause.id.value, "verdict": self.verdict.value, "evidence": self.evidence}


def judge(ranked: list[RankedCause], report: HealthReport) -> list[ProbedCause]:
    """The verdict of the report's steps on each ranked cause."""
    failures = [step for step in report.steps if step.status in (StepStatus.FAILED, StepStatus.WARNING)]
    ran = {step.name: step for step in report.steps}
    verdicts = []
    for suspect in ranked:
        cause = suspect.cause
        confirming = next((step for step in failures if cause.id in step.causes), None)
        if confirming is not None:
            evidence = f"{confirming.name.value}: {confirming.code or ''} {confirming.cause}".replace("  ", " ")
            verdicts.append(ProbedCause(suspect, Verdict.CONFIRMED, evidence))
        elif cause.probes and all(ran.get(p) is not None and ran[p].status is StepStatus.OK for p in cause.probes):
            passed = ", ".join(probe.value for probe in cause.probes)
            verdicts.append(ProbedCause(suspect, Verdict.RULED_OUT, f"{passed} passed"))
        else:
            verdicts.append(ProbedCause(suspect, Verdict.UNDETERMINED, "no step showed it either way"))
    return verdicts
