"""What a check found: one line per problem, each naming what to fix."""

from __future__ import annotations

from attrs import field, frozen

__all__ = ["Finding", "Report"]


@frozen
class Finding:
    """One problem: ``where`` it is (a file, a method, a decision) and ``message``, what to fix."""

    where: str
    message: str

    def line(self) -> str:
        return f"{self.where}: {self.message}"


@frozen
class Report:
    """The checks run on one plug-in (``kind`` service | policy, its registered ``name``) and what they found.

    ``findings`` break a contract (exit 1); ``warnings`` are printed but do not fail the check.
    """

    kind: str
    name: str
    checks: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = field(factory=tuple)
    warnings: tuple[Finding, ...] = field(factory=tuple)  # worth a look, but not a broken contract

    @property
    def ok(self) -> bool:
        return not self.findings

    def lines(self) -> list[str]:
        """The report as printed: one line per finding, then a summary line."""
        out = [f"FAIL {f.line()}" for f in self.findings] + [f"WARN {w.line()}" for w in self.warnings]
        if self.ok:
            out.append(f"ok: {self.kind} {self.name} passes {len(self.checks)} checks ({', '.join(self.checks)})")
        else:
            n = len(self.findings)
            out.append(f"{self.kind} {self.name}: {n} problem{'s' if n != 1 else ''} found by {len(self.checks)} checks")
        return out
