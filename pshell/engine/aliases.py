"""The built-in aliases, as pwsh defines them on Linux: the ones that would hide a native command
(``ls``, ``cat``, ``sort``, ``ps``, ``cp``, ``rm``, ``mv``, ``kill``...) are left out, so those
names stay the native programs Linux users expect."""

from __future__ import annotations

__all__ = ["DEFAULT_ALIASES"]

DEFAULT_ALIASES = {
    "%": "ForEach-Object", "?": "Where-Object", "foreach": "ForEach-Object", "where": "Where-Object",
    "select": "Select-Object", "cd": "Set-Location", "chdir": "Set-Location", "sl": "Set-Location",
    "pwd": "Get-Location", "gl": "Get-Location", "pushd": "Push-Location", "popd": "Pop-Location",
    "gc": "Get-Content", "gci": "Get-ChildItem", "dir": "Get-ChildItem", "gi": "Get-Item",
    "echo": "Write-Output", "write": "Write-Output", "cls": "Clear-Host", "clear": "Clear-Host",
    "gcm": "Get-Command", "help": "Get-Help", "man": "Get-Help", "gal": "Get-Alias",
    "gm": "Get-Member", "gv": "Get-Variable", "sv": "Set-Variable", "set": "Set-Variable",
    "nv": "New-Variable", "rv": "Remove-Variable", "clv": "Clear-Variable", "h": "Get-History",
    "history": "Get-History", "ghy": "Get-History", "r": "Invoke-History", "ihy": "Invoke-History",
    "ft": "Format-Table", "fl": "Format-List", "fw": "Format-Wide", "group": "Group-Object",
    "measure": "Measure-Object", "compare": "Compare-Object", "diff": "Compare-Object",
    "tee": "Tee-Object", "sls": "Select-String", "ni": "New-Item", "ri": "Remove-Item",
    "del": "Remove-Item", "erase": "Remove-Item", "rd": "Remove-Item", "rmdir": "Remove-Item",
    "copy": "Copy-Item", "cpi": "Copy-Item", "move": "Move-Item", "mi": "Move-Item",
    "ren": "Rename-Item", "rni": "Rename-Item", "gp": "Get-ItemProperty", "gjb": "Get-Job",
    "rcjb": "Receive-Job", "wjb": "Wait-Job", "spjb": "Stop-Job", "rjb": "Remove-Job",
    "sajb": "Start-Job", "icm": "Invoke-Command", "nsn": "New-PSSession", "gsn": "Get-PSSession",
    "rsn": "Remove-PSSession", "etsn": "Enter-PSSession", "exsn": "Exit-PSSession",
    "dnsn": "Disconnect-PSSession", "cnsn": "Connect-PSSession", "rcsn": "Receive-PSSession",
    "iex": "Invoke-Expression", "gps": "Get-Process", "spps": "Stop-Process", "sleep": "Start-Sleep",
    "oh": "Out-Host", "type": "Get-Content", "ipmo": "Import-Module", "epcsv": "Export-Csv",
    "ipcsv": "Import-Csv", "ogv": "Out-GridView", "irm": "Invoke-RestMethod",
    "iwr": "Invoke-WebRequest", "gdr": "Get-PSDrive", "sc": "Set-Content", "ac": "Add-Content",
}
