"""Cmdlets, one module per noun group; each module registers its classes with @register.

``MODULES`` says which module holds which cmdlet, so that looking one up imports that module
alone (importing all of them costs ~25 ms at every start); ``VIEW_MODULES`` says which module
registers the formatting views of a type, so that an object whose module was never needed here
(a job or a file that came back from a remote computer) is still shown with its view.
tests/test_cmdlet_index.py checks both against what the modules register."""

MODULES = {
    "addmember": ("Add-Member", "New-TimeSpan",),
    "aggregate": ("Compare-Object", "Group-Object", "Measure-Object", "Sort-Object",),
    "alias": ("Export-Alias", "Get-Alias", "Import-Alias", "New-Alias", "Set-Alias",),
    "clixml": ("ConvertFrom-CliXml", "ConvertTo-CliXml", "Export-Clixml", "Import-Clixml",),
    "history": ("Add-History", "Clear-History", "Get-History", "Invoke-History",),
    "commands": ("Get-Command",),
    "content": ("Add-Content", "Get-Content", "Out-File", "Set-Content",),
    "convert": ("ConvertFrom-Csv", "ConvertTo-Csv", "Export-Csv", "Import-Csv",),
    "datafile": ("Import-PowerShellDataFile",),
    "switch_process": ("Switch-Process",),
    "errorview": ("Get-Error",),
    "eventlog": ("Get-EventLog", "Get-WinEvent",),
    "expression": ("Invoke-Expression",),
    "filetools": ("Get-FileHash", "New-TemporaryDirectory", "New-TemporaryFile",),
    "format": (
        "Format-Custom", "Format-List", "Format-Table", "Format-Wide", "Get-FormatData", "Out-Default",
        "Out-Host", "Out-String",
    ),
    "out_null": ("Out-Null",),
    "format_data": ("Export-FormatData", "Update-FormatData",),
    "help": ("Get-Help",),
    "hex": ("Format-Hex",),
    "host_info": ("Get-Culture", "Get-Host", "Get-UICulture", "Import-LocalizedData",),
    "hostio": ("Clear-Host", "Read-Host",),
    "item": (
        "Copy-Item", "Get-ChildItem", "Get-Item", "Move-Item", "New-Item", "Remove-Item",
        "Rename-Item", "Test-Path",
    ),
    "item_state": ("Clear-Item", "Set-Item",),
    "json": ("ConvertFrom-Json", "ConvertTo-Json", "Test-Json",),
    "job": (
        "Get-Job", "Receive-Job", "Remove-Job", "Start-Job", "Start-ThreadJob", "Stop-Job",
        "Wait-Job",
    ),
    "location": ("Get-Location", "Pop-Location", "Push-Location", "Set-Location",),
    "markdown": ("ConvertFrom-Markdown", "Get-MarkdownOption", "Set-MarkdownOption", "Show-Markdown",),
    "member": ("Get-Member",),
    "misc": ("Get-Date", "Get-Random", "Get-SecureRandom", "Measure-Command", "New-Object", "Start-Sleep",),
    "module": (
        "Export-ModuleMember", "Get-Module", "Import-Module", "New-ModuleManifest", "Remove-Module",
    ),
    "net": ("Test-Connection",),
    "object": ("ForEach-Object", "Select-Object", "Tee-Object", "Where-Object",),
    "pathname": ("Join-Path", "Resolve-Path", "Split-Path",),
    "process": ("Get-Process", "Start-Process", "Stop-Process",),
    "provider": (
        "Clear-Content", "Convert-Path", "Get-ItemProperty", "Get-PSDrive", "Get-PSProvider", "New-PSDrive",
        "Remove-PSDrive", "Set-ItemProperty",
    ),
    "readline": (
        "Get-PSReadLineKeyHandler", "Get-PSReadLineOption", "Set-PSReadLineKeyHandler",
        "Set-PSReadLineOption",
    ),
    "selectstring": ("Select-String",),
    "timezone": ("Get-TimeZone",),
    "typedata": ("Get-TypeData", "Remove-TypeData", "Update-TypeData",),
    "security": ("ConvertFrom-SecureString", "ConvertTo-SecureString",),
    "session": ("Invoke-Command",),
    "session_manage": ("Get-Credential", "Get-PSSession", "New-PSSession", "Remove-PSSession",),
    "session_enter": ("Enter-PSSession", "Exit-PSSession",),
    "session_connect": (
        "Connect-PSSession", "Disconnect-PSSession", "New-PSSessionOption", "Receive-PSSession",
    ),
    "utility": (
        "ConvertFrom-StringData", "Get-Unique", "Get-Verb", "Join-String", "New-Guid", "Set-StrictMode",
    ),
    "variable": (
        "Clear-Variable", "Get-Variable", "New-Variable", "Remove-Variable", "Set-Variable",
    ),
    "xml": ("ConvertTo-Html", "ConvertTo-Xml", "Select-Xml",),
    "write": (
        "Write-Debug", "Write-Error", "Write-Host", "Write-Information", "Write-Output",
        "Write-Progress", "Write-Verbose", "Write-Warning",
    ),
}

VIEW_MODULES = {
    "microsoft.powershell.commands.bytecollection": "hex",
    "microsoft.powershell.commands.historyinfo": "history",
    "microsoft.powershell.commands.memberdefinition": "member",
    "microsoft.powershell.markdownrender.psmarkdownoptioninfo": "markdown",
    "pshell.helpinfo": "help",
    "pshell.scripthelpinfo": "help",            # registered by _script_help, which help imports
    "pshell.scripthelpinfo.syntax": "help",
    "system.diagnostics.eventing.reader.eventlogrecord": "eventlog",
    "system.diagnostics.eventlogentry": "eventlog",
    "system.diagnostics.process": "process",
    "system.globalization.cultureinfo": "host_info",
    "system.guid": "job",
    "system.io.directoryinfo": "item",
    "system.io.fileinfo": "item",
    "system.management.automation.aliasinfo": "commands",
    "system.management.automation.errorrecord#psextendederror": "errorview",
    "system.management.automation.commandinfo": "commands",
    "system.management.automation.job": "job",
    "system.management.automation.psvariable": "variable",
    "system.management.automation.runspaces.pssession": "session_views",
    "system.version": "host_info",
}
