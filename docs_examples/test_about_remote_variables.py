"""about_Remote_Variables (1-9) and the Using: part of about_Scopes (1-2).  Get-WinEvent -LogName
becomes Get-Item on files under /etc; Get-Service a process or item lookup."""

from __future__ import annotations

from examples import run


def test_about_remote_variables_example_1_variable_of_the_remote_command(rs):
    out, errors = run(rs, "Invoke-Command -ComputerName server01 -ScriptBlock {\n"
                          "  $ps = '/etc/host*'; Get-Item -Path $ps | ForEach-Object Name }")
    assert errors == [] and "hostname" in out


def test_about_remote_variables_example_2_variable_in_a_pssession(rs):
    out, errors = run(rs, """
$s = New-PSSession -ComputerName server01
Invoke-Command -Session $s -ScriptBlock {$ps = '/etc/host*'}
Invoke-Command -Session $s -ScriptBlock {Get-Item -Path $ps | ForEach-Object Name}
$s | Remove-PSSession
""")
    assert errors == [] and "hostname" in out


def test_about_remote_variables_example_3_using(rs):
    out, errors = run(rs, "$ps = '/etc/host*'\nInvoke-Command -ComputerName server01 -ScriptBlock {\n"
                          "  Get-Item -Path $Using:ps | ForEach-Object Name\n}")
    assert errors == [] and "hostname" in out


def test_about_remote_variables_example_4_using_in_a_pssession(rs):
    out, errors = run(rs, "$s = New-PSSession -ComputerName server01\n$ps = '/etc/host*'\n"
                          "Invoke-Command -Session $s -ScriptBlock {Get-Item -Path $Using:ps | ForEach-Object Name}\n"
                          "$s | Remove-PSSession")
    assert errors == [] and "hostname" in out


def test_about_remote_variables_example_5_using_cannot_be_assigned(rs):
    # PowerShell's parser refuses the assignment (a using expression is not assignable: its
    # InvalidLeftHandSide error), so nothing runs and the local $ps keeps its value
    out, errors = run(rs, "$s = New-PSSession -ComputerName server01\n$ps = '*PowerShell*'\n"
                          "Invoke-Command -Session $s -ScriptBlock {$Using:ps = 'Cannot assign new value'}\n"
                          "$ps\n$s | Remove-PSSession")
    assert len(errors) == 1 and "assignment expression is not valid" in errors[0]
    assert "*PowerShell*" in out


def test_about_remote_variables_example_6_splatting(rs):
    out, errors = run(rs, """
$s = New-PSSession -ComputerName server01
$Splat = @{ Path = "/etc/host*"; Include = "hostname" }
Invoke-Command -Session $s -ScriptBlock { Get-Item @Using:Splat | ForEach-Object Name }
$s | Remove-PSSession
""")
    assert errors == [] and out == ["hostname"]


def test_about_remote_variables_example_7_copies_or_references(rs):
    # remote and out-of-process: an independent copy; thread jobs and -Parallel: the object itself
    out, errors = run(rs, """
$list = [System.Collections.ArrayList]::new()
Invoke-Command -ComputerName server01 { ($Using:list).Add('remote') | Out-Null }
Start-Job { ($Using:list).Add('job') | Out-Null } | Wait-Job | Out-Null
Start-ThreadJob { ($Using:list).Add('thread') | Out-Null } | Wait-Job | Out-Null
1 | ForEach-Object -Parallel { ($Using:list).Add('parallel') | Out-Null }
$list -join ','
""")
    assert errors == [] and out == ["thread,parallel"]


def test_about_remote_variables_example_8_serialization(rs):
    out, errors = run(rs, """
$v = [version]'1.2.3.4'
$item = Get-Item /etc/hostname
Invoke-Command -ComputerName server01 {
    ($Using:v).GetType().FullName; ($Using:v).Build
    ($Using:item).pstypenames[0]; ($Using:item).Name
}
""")
    assert errors == [] and out == ["System.Version", 3, "Deserialized.System.IO.FileInfo", "hostname"]


def test_about_remote_variables_example_9_argument_list(rs):
    out, errors = run(rs, "$ps = '/etc/host*'\nInvoke-Command -ComputerName server01 -ScriptBlock {\n"
                          "  param($Log)\n  Get-Item -Path $Log | ForEach-Object Name\n} -ArgumentList $ps")
    assert errors == [] and "hostname" in out


# --------------------------------------------------------------------------- about_Scopes, Using:

def test_about_scopes_example_1_using_a_variable_reference(rs):
    out, errors = run(rs, """
$Count = 1
$refOfCount = Get-Variable Count

Start-ThreadJob {
    ($Using:refOfCount).Value = 2
} | Receive-Job -Wait -AutoRemoveJob

$Count
""")
    assert errors == [] and out == [2]


def test_about_scopes_example_2_using_in_a_remote_command(rs, sshd_hosts):
    # Get-Credential asks at the terminal: the test builds the credential.  The FileSystem
    # provider takes no credentials (PowerShell: "supports credentials only on the New-PSDrive
    # cmdlet"), so Remove-Item -Credential fails there as here; the point, $Using:Cred reaching the
    # remote command as a PSCredential, is what the test checks
    out, errors = run(rs, """
$Cred = [pscredential]::new('docs', (ConvertTo-SecureString 'secret' -AsPlainText -Force))
$s = New-PSSession -ComputerName server01
Invoke-Command $s { ($Using:Cred).UserName; ($Using:Cred).GetNetworkCredential().Password }
Invoke-Command $s {Remove-Item ./Test*.ps1 -Credential $Using:Cred}
$s | Remove-PSSession
""")
    assert out == ["docs", "secret"]
    assert len(errors) == 1 and "credentials" in errors[0]
