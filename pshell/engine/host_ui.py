"""A host given by a script (``[RunspaceFactory]::CreateRunspace($myHost)``): its ``UI`` object
answers Read-Host the way .NET's PSHostUserInterface does: ``ReadLine()``,
``ReadLineAsSecureString()``, ``ReadLineMaskedAsString()`` and, for a prompt,
``Prompt(caption, message, descriptions)`` returning a dictionary keyed by the field's name.
Its methods are called through the engine (a script class's methods run as script).
"""

from __future__ import annotations


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

__all__ = ["FieldDescription", "read_through_ui"]


class FieldDescription:
    """``System.Management.Automation.Host.FieldDescription``: one field a Prompt asks for."""

    ps_type_names = ("System.Management.Automation.Host.FieldDescription", "System.Object")
    ps_properties = ("Name", "Label", "ParameterTypeName", "ParameterTypeFullName", "HelpMessage",
                     "IsMandatory", "DefaultValue")

    def __init__(self, name: str, type_name: str = "System.String") -> None:
        self.Name = name
        self.Label = ""
        self.ParameterTypeName = type_name.rsplit(".", 1)[-1]
        self.ParameterTypeFullName = type_name
        self.HelpMessage = ""
        self.IsMandatory = True
        self.DefaultValue = None

    def ToString(self) -> str:
        return self.Name


def read_through_ui(frame: Any, host: Any, prompt: Optional[str], secure: bool, masked: bool) -> Any:
    """What the script host's UI answers for one Read-Host."""
    from pshell.engine.members import call_method, get_member
    from pshell.engine.values import PSObject
    ui = get_member(host, "UI")
    if ui is None:
        ui = host
    if prompt is not None:
        field = FieldDescription(prompt, "System.Security.SecureString" if secure else "System.String")
        answer = call_method(frame, ui, "Prompt", ["", "", [field]])
        value = answer.get(prompt) if isinstance(answer, dict) else get_member(answer, prompt)
        return value.base if isinstance(value, PSObject) and hasattr(value, "base") else value
    if secure:
        return call_method(frame, ui, "ReadLineAsSecureString", [])
    if masked:
        return call_method(frame, ui, "ReadLineMaskedAsString", [])
    return call_method(frame, ui, "ReadLine", [])
