"""The view of a PSSession (``client/session.py``), registered when the formatting first shows
one (``pshell.cmdlets.VIEW_MODULES``), not when a session module loads: a fan-out whose output is
not shown does not load the formatting modules."""

from __future__ import annotations

from pshell.client.session import SESSION_TYPE
from pshell.engine.format import register_view

__all__: list = []

# PowerShell 7's columns (StartTime and JobCount are there for Format-List and Select)
register_view(SESSION_TYPE, "table", ("Id", "Name", "Transport", "ComputerName", "ComputerType",
                                      "State", "ConfigurationName", "Availability"))
