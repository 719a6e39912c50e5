"""``simtool check``: tell a plug-in author exactly what their service or policy gets wrong.

Like Gymnasium's ``check_env``: each check runs the plug-in the way simtool will, and each
problem is one line naming where it is and what to fix.
"""

from __future__ import annotations

from simtool.checks.policies import check_policy, check_policy_class
from simtool.checks.report import Finding, Report
from simtool.checks.services import check_service, check_service_class

__all__ = ["Finding", "Report", "check_policy", "check_policy_class", "check_service", "check_service_class"]
