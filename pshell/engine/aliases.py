"""The built-in aliases, as pwsh defines them on Linux: none hides a Linux tool (``ls``, ``cat``,
``sort``, ``ps``, ``cp``, ``rm``, ``mv``, ``kill``, ``diff``, ``man``, ``sleep``, ``tee``, ``clear``,
``write``, ``rmdir``, ``compare``, ``ac``... stay the native programs Linux users expect), and none
names a cmdlet pshell does not have (a test checks every target exists)."""

from __future__ import annotations

__all__ = ["DEFAULT_ALIASES"]

DEFAULT_ALIASES = {
    "%": "ForEach-Object", "?": "Where-Object", "foreach": "ForEach-Object", "where": "Where-Object",
    "select": "Select-Object", "cd": "Set-Location", "chdir": "Set-Location", "sl": "Set-Location",
    "pwd": "Get-Location", "gl": "Get-Location", "pushd": "Push-Location", "popd": "Pop-Location",
    "gc": "Get-Content", "gci": "Get-ChildItem", "dir": "Get-ChildItem", "gi": "Get-Item",
    "echo": "Write-Output", "cls": "Clear-Host", "exec": "Switch-Process",
    "gcm": "Get-Command", "help": "Get-Help", "gal": "Get-Alias",
    "sal": "Set-Alias", "nal": "New-Alias", "epal": "Export-Alias", "ipal": "Import-Alias",
    "gm": "Get-Member", "gv": "Get-Variable", "sv": "Set-Variable", "set": "Set-Variable",
    "nv": "New-Variable", "rv": "Remove-Variable", "clv": "Clear-Variable", "h": "Get-History",
    "history": "Get-History", "ghy": "Get-History", "r": "Invoke-History", "ihy": "Invoke-History",
    "ft": "Format-Table", "fl": "Format-List", "fw": "Format-Wide", "group": "Group-Object",
    "fc": "Format-Custom",
    "measure": "Measure-Object",
    "sls": "Select-String", "ni": "New-Item", "ri": "Remove-Item",
    "del": "Remove-Item", "erase": "Remove-Item", "rd": "Remove-Item",
    "copy": "Copy-Item", "cpi": "Copy-Item", "move": "Move-Item", "mi": "Move-Item",
    "ren": "Rename-Item", "rni": "Rename-Item", "gjb": "Get-Job",
    "rcjb": "Receive-Job", "wjb": "Wait-Job", "spjb": "Stop-Job", "rjb": "Remove-Job",
    "sajb": "Start-Job", "icm": "Invoke-Command", "nsn": "New-PSSession", "gsn": "Get-PSSession",
    "rsn": "Remove-PSSession", "etsn": "Enter-PSSession", "exsn": "Exit-PSSession",
    "dnsn": "Disconnect-PSSession", "cnsn": "Connect-PSSession", "rcsn": "Receive-PSSession",
    "iex": "Invoke-Expression", "gps": "Get-Process", "spps": "Stop-Process",
    "oh": "Out-Host", "type": "Get-Content", "epcsv": "Export-Csv",
    "ipcsv": "Import-Csv",
    "sc": "Set-Content", "ipmo": "Import-Module", "rmo": "Remove-Module", "gmo": "Get-Module",
}
