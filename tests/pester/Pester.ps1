# A Pester-compatible test runner for pshell, written in PowerShell and run by pshell itself.
#
# It follows Pester 4 (the version PowerShell's own tests are written for): Describe and Context
# run their body in place, It runs its test at once, BeforeAll runs before the block's first It
# wherever it stands. Each It reports one line on the host:
#   ##pester## PASS|FAIL|SKIP <tab> Describe > Context > It <tab> message
# and Invoke-PesterFile ends with '##pester## DONE <passed> <failed> <skipped>'.
#
# How the scopes work (PowerShell's scopes are dynamic: a script block run with & sees its caller's
# variables): a block's body is dot-sourced in Describe's own scope twice. The first pass stops at the
# block's first It/Context/Describe and only collects BeforeAll/AfterAll/BeforeEach/AfterEach; then the
# BeforeAll blocks are dot-sourced in the same scope, and the second pass runs the body for real, so
# both the body's variables and BeforeAll's reach every It. The runner's own variables are named
# $__pester* (and functions take $args) so that test code does not meet them.

$global:__PesterState = @{ Stack = @(); Passed = 0; Failed = 0; Skipped = 0 }
if ($null -eq $global:PSDefaultParameterValues) { $global:PSDefaultParameterValues = @{} }

$__PesterSetupDone = '__pester: setup pass done__'
$__PesterSkipMark = '__pester: skipped__'

function __PesterReport {
    $__pesterOutcome, $__pesterName, $__pesterMessage = $args
    switch ($__pesterOutcome) {
        'PASS' { $global:__PesterState.Passed++ }
        'FAIL' { $global:__PesterState.Failed++ }
        'SKIP' { $global:__PesterState.Skipped++ }
    }
    $__pesterLine = "$__pesterMessage" -replace '\s*[\r\n]+\s*', ' '
    Write-Host ("##pester## {0}`t{1}`t{2}" -f $__pesterOutcome, $__pesterName, $__pesterLine)
}

function __PesterTypeArgument($__pesterType) {
    # `Should -BeOfType [int]` passes the bare word '[int]': Pester reads it without its brackets
    if ($__pesterType -is [string]) { return $__pesterType -replace '^\[(.*)\]$', '$1' }
    $__pesterType
}

function __PesterPath {
    $__pesterNames = @($global:__PesterState.Stack | ForEach-Object { $_.Name }) + @($args)
    $__pesterNames -join ' > '
}

function __PesterNamedArgs {
    # $args of a runner function as: Positional (list), Named (name -> value), Switches (names)
    $__pesterOut = @{ Positional = @(); Named = @{}; Switches = @{} }
    $__pesterI = 0
    while ($__pesterI -lt $args.Count) {
        $__pesterA = $args[$__pesterI]
        if ($__pesterA -is [string] -and $__pesterA -match '^-([A-Za-z]+):?$') {
            $__pesterKey = $Matches[1]
            if ($__pesterKey -in 'TestCase', 'ForEach') { $__pesterKey = 'TestCases' }   # Pester's other spellings
            $__pesterNext = $__pesterI + 1
            if ($__pesterA.EndsWith(':') -or ($__pesterNext -lt $args.Count -and
                    $__pesterKey -in 'TestCases', 'Skip', 'Pending', 'Tag', 'Tags', 'Because',
                    'ErrorId', 'ExpectedMessage', 'ExceptionType', 'ActualValue', 'ExpectedValue',
                    'ExpectedType', 'Name', 'Fixture', 'Test', 'Scriptblock', 'Expected')) {
                if ($__pesterKey -in 'Skip', 'Pending' -and -not $__pesterA.EndsWith(':') -and
                        -not ($args[$__pesterNext] -is [bool])) {
                    $__pesterOut.Switches[$__pesterKey] = $true
                    $__pesterI++
                    continue
                }
                $__pesterOut.Named[$__pesterKey] = $args[$__pesterNext]
                $__pesterI += 2
                continue
            }
            $__pesterOut.Switches[$__pesterKey] = $true
        } else {
            $__pesterOut.Positional += , $__pesterA
        }
        $__pesterI++
    }
    $__pesterOut
}

function __PesterBlock {
    $__pesterKind = $args[0]
    $__pesterRest = @($args | Select-Object -Skip 1)
    $__pesterP = __PesterNamedArgs @__pesterRest
    $__pesterName = $__pesterP.Named['Name']
    $__pesterFixture = $__pesterP.Named['Fixture']
    foreach ($__pesterX in $__pesterP.Positional) {
        if ($__pesterX -is [scriptblock]) { $__pesterFixture = $__pesterX }
        elseif ($null -eq $__pesterName) { $__pesterName = "$__pesterX" }
    }
    $__pesterParent = @($global:__PesterState.Stack)[-1]
    if ($null -ne $__pesterParent -and $__pesterParent.Mode -eq 'setup') { throw $__PesterSetupDone }
    $__pesterFrame = @{ Name = $__pesterName; Mode = 'setup'; BeforeAll = @(); AfterAll = @()
                        BeforeEach = @(); AfterEach = @() }
    $global:__PesterState.Stack += $__pesterFrame
    try {
        try { $null = . $__pesterFixture }
        catch {
            if ("$_" -ne $__PesterSetupDone) { __PesterReport FAIL (__PesterPath '(setup)') "$_" }
        }
        $__pesterFrame.Mode = 'run'
        foreach ($__pesterBlockCode in $__pesterFrame.BeforeAll) {
            try { $null = . $__pesterBlockCode }
            catch { __PesterReport FAIL (__PesterPath '(BeforeAll)') "$_" }
        }
        try { $null = . $__pesterFixture }
        catch { __PesterReport FAIL (__PesterPath '(body)') "$_" }
        foreach ($__pesterBlockCode in $__pesterFrame.AfterAll) {
            try { $null = . $__pesterBlockCode }
            catch { __PesterReport FAIL (__PesterPath '(AfterAll)') "$_" }
        }
    } finally {
        $global:__PesterState.Stack = @($global:__PesterState.Stack | Select-Object -SkipLast 1)
    }
}

function Describe { __PesterBlock Describe @args }
function Context { __PesterBlock Context @args }

function __PesterSetup {
    $__pesterFrame = @($global:__PesterState.Stack)[-1]
    if ($null -eq $__pesterFrame) { throw "$($args[0]) must be inside Describe or Context." }
    if ($__pesterFrame.Mode -eq 'setup') { $__pesterFrame[$args[0]] += , $args[1] }
}
function BeforeAll { __PesterSetup BeforeAll $args[0] }
function AfterAll { __PesterSetup AfterAll $args[0] }
function BeforeEach { __PesterSetup BeforeEach $args[0] }
function AfterEach { __PesterSetup AfterEach $args[0] }

function Set-ItResult {
    $__pesterP = __PesterNamedArgs @args
    throw ($__PesterSkipMark + " " + $__pesterP.Named['Because'])
}

function __PesterSkipByDefault {
    foreach ($__pesterKey in @($global:PSDefaultParameterValues.Keys)) {
        if ("$__pesterKey" -eq 'It:Skip' -and $global:PSDefaultParameterValues[$__pesterKey]) { return $true }
    }
    $false
}

function It {
    $__pesterP = __PesterNamedArgs @args
    $__pesterFrame = @($global:__PesterState.Stack)[-1]
    if ($null -eq $__pesterFrame) { throw 'It must be inside Describe or Context.' }
    if ($__pesterFrame.Mode -eq 'setup') { throw $__PesterSetupDone }
    $__pesterName = $__pesterP.Named['Name']
    $__pesterTest = $__pesterP.Named['Test']
    foreach ($__pesterX in $__pesterP.Positional) {
        if ($__pesterX -is [scriptblock]) { $__pesterTest = $__pesterX }
        elseif ($null -eq $__pesterName) { $__pesterName = "$__pesterX" }
    }
    $__pesterSkip = $__pesterP.Switches['Skip'] -or $__pesterP.Named['Skip'] -or
        $__pesterP.Switches['Pending'] -or $__pesterP.Named['Pending'] -or (__PesterSkipByDefault)
    $__pesterCases = @($__pesterP.Named['TestCases'])
    if ($null -eq $__pesterP.Named['TestCases'] -or $__pesterCases.Count -eq 0) { $__pesterCases = @(@{}) }
    foreach ($__pesterCase in $__pesterCases) {
        $__pesterTitle = $__pesterName
        foreach ($__pesterKey in @($__pesterCase.Keys)) {
            $__pesterTitle = $__pesterTitle.Replace("<$__pesterKey>", "$($__pesterCase[$__pesterKey])")
        }
        $__pesterFull = __PesterPath $__pesterTitle
        if ($__pesterSkip -or $null -eq $__pesterTest) { __PesterReport SKIP $__pesterFull ''; continue }
        $__pesterError = $null
        try {
            & {
                foreach ($__pesterKey in @($__pesterCase.Keys)) {
                    Set-Variable -Name $__pesterKey -Value $__pesterCase[$__pesterKey]
                }
                try {
                    foreach ($__pesterF in $global:__PesterState.Stack) {
                        foreach ($__pesterBlockCode in $__pesterF.BeforeEach) { $null = . $__pesterBlockCode }
                    }
                    # as Pester 5: the case's values are variables, and arguments of the parameters
                    # the test declares
                    $__pesterSplat = @{}
                    $__pesterDeclared = @()
                    if ($null -ne $__pesterTest.Ast.param_block) {
                        $__pesterDeclared = @($__pesterTest.Ast.param_block.parameters | ForEach-Object { $_.name })
                    }
                    foreach ($__pesterKey in @($__pesterCase.Keys)) {
                        if ($__pesterDeclared -contains $__pesterKey) { $__pesterSplat[$__pesterKey] = $__pesterCase[$__pesterKey] }
                    }
                    $null = . $__pesterTest @__pesterSplat
                } finally {
                    $__pesterStack = @($global:__PesterState.Stack)
                    [array]::Reverse($__pesterStack)
                    foreach ($__pesterF in $__pesterStack) {
                        foreach ($__pesterBlockCode in $__pesterF.AfterEach) { $null = . $__pesterBlockCode }
                    }
                }
            }
        } catch {
            $__pesterError = $_
        }
        if ($null -eq $__pesterError) { __PesterReport PASS $__pesterFull '' }
        elseif ("$__pesterError".StartsWith($__PesterSkipMark)) { __PesterReport SKIP $__pesterFull "$__pesterError" }
        else { __PesterReport FAIL $__pesterFull "$__pesterError" }
    }
}

# ------------------------------------------------------------------------------------ Should

function __PesterShow {
    $__pesterV = $args[0]
    if ($null -eq $__pesterV) { return '$null' }
    if ($__pesterV -is [string]) { return "'$__pesterV'" }
    if ($__pesterV -is [array]) { return '@(' + (@($__pesterV | ForEach-Object { __PesterShow $_ }) -join ', ') + ')' }
    "$__pesterV"
}

function __PesterEqual {
    # Pester's Be: both sides as arrays, same count, equal item by item (nested arrays in turn);
    # the expected item is the left operand, so 'hello' -eq $matchInfo compares as strings
    $__pesterL = @($args[0]); $__pesterR = @($args[1]); $__pesterExact = $args[2]
    # null, @() and @($null) are all "null or empty", and equal to each other
    $__pesterLNull = $__pesterL.Count -eq 0 -or ($__pesterL.Count -eq 1 -and $null -eq $__pesterL[0])
    $__pesterRNull = $__pesterR.Count -eq 0 -or ($__pesterR.Count -eq 1 -and $null -eq $__pesterR[0])
    if ($__pesterLNull -or $__pesterRNull) { return $__pesterLNull -and $__pesterRNull }
    if ($__pesterL.Count -ne $__pesterR.Count) { return $false }
    for ($__pesterI = 0; $__pesterI -lt $__pesterL.Count; $__pesterI++) {
        $__pesterA = $__pesterL[$__pesterI]; $__pesterB = $__pesterR[$__pesterI]
        # an error or stream record compares as its text ($ps.Streams.Error | Should -Be 'msg')
        if ($__pesterB -is [string] -and ($__pesterA -is [System.Management.Automation.ErrorRecord] -or
                $__pesterA -is [System.Management.Automation.WarningRecord] -or
                $__pesterA -is [System.Management.Automation.VerboseRecord] -or
                $__pesterA -is [System.Management.Automation.DebugRecord] -or
                $__pesterA -is [System.Management.Automation.InformationRecord])) { $__pesterA = "$__pesterA" }
        if ($__pesterA -is [array] -or $__pesterB -is [array]) {
            if (-not (__PesterEqual $__pesterA $__pesterB $__pesterExact)) { return $false }
        } elseif ($__pesterExact) {
            # as Pester does, the expected value on the left: an ErrorRecord actual equals its text
            if (-not ($__pesterB -ceq $__pesterA)) { return $false }
        } elseif (-not ($__pesterB -eq $__pesterA)) {
            return $false
        }
    }
    $true
}

function __PesterThrow {
    $__pesterCode, $__pesterP, $__pesterNot = $args
    $__pesterErr = $null
    try { $null = & $__pesterCode } catch { $__pesterErr = $_ }
    if ($__pesterNot) {
        if ($null -ne $__pesterErr) { throw "Expected no exception to be thrown, but an exception `"$__pesterErr`" was thrown." }
        return
    }
    if ($null -eq $__pesterErr) { throw 'Expected an exception to be thrown, but no exception was thrown.' }
    $__pesterMessage = $__pesterP.Named['ExpectedMessage']
    if ($null -eq $__pesterMessage -and $__pesterP.Positional.Count -gt 0) { $__pesterMessage = $__pesterP.Positional[0] }
    if ($null -ne $__pesterMessage -and -not ($__pesterErr.Exception.Message -like "*$__pesterMessage*")) {
        throw "Expected an exception with message like '$__pesterMessage' to be thrown, but the message was '$($__pesterErr.Exception.Message)'."
    }
    $__pesterId = $__pesterP.Named['ErrorId']
    if ($null -ne $__pesterId -and -not ($__pesterErr.FullyQualifiedErrorId -like "*$__pesterId*")) {
        throw "Expected an exception with FullyQualifiedErrorId '$__pesterId' to be thrown, but it was '$($__pesterErr.FullyQualifiedErrorId)'."
    }
    $__pesterType = $__pesterP.Named['ExceptionType']
    if ($null -ne $__pesterType -and -not ($__pesterErr.Exception -is $__pesterType)) {
        throw "Expected an exception of type [$__pesterType] to be thrown, but it was [$($__pesterErr.Exception.GetType().FullName)]."
    }
    if ($__pesterP.Switches['PassThru']) { $__pesterErr }
}

function Should {
    $__pesterOperatorNames = @(
    'Be', 'BeExactly', 'BeNullOrEmpty', 'BeTrue', 'BeFalse', 'Match', 'MatchExactly', 'BeLike',
    'BeLikeExactly', 'BeOfType', 'HaveType', 'Contain', 'BeIn', 'HaveCount', 'BeGreaterThan',
    'BeLessThan', 'BeGreaterOrEqual', 'BeLessOrEqual', 'Throw', 'Exist', 'FileContentMatch',
    'FileContentMatchExactly', 'FileContentMatchMultiline', 'Invoke', 'InvokeVerifiable')
    $__pesterInput = @($input)
    $__pesterP = __PesterNamedArgs @args
    $__pesterNot = [bool]$__pesterP.Switches['Not']
    $__pesterOps = @($__pesterP.Switches.Keys | Where-Object { $_ -notin 'Not', 'PassThru', 'CallerSessionState' })
    if ($__pesterOps.Count -gt 1) {
        # a value that looks like a switch ('-rwxrwxrwx' in a variable) is the expected value, not
        # an operator: the runner sees only strings in $args, so keep the one operator Should knows
        $__pesterKnown = @($__pesterOps | Where-Object { $_ -in $__pesterOperatorNames })
        if ($__pesterKnown.Count -eq 1) {
            foreach ($__pesterOther in @($__pesterOps | Where-Object { $_ -notin $__pesterOperatorNames })) {
                $__pesterP.Positional += , "-$__pesterOther"
            }
            $__pesterOps = $__pesterKnown
        }
    }
    if ($__pesterOps.Count -eq 0 -and $__pesterP.Positional.Count -gt 0) {
        # Pester 3's form: Should Be 1, Should Not Be 1
        $__pesterPos = @($__pesterP.Positional)
        if ("$($__pesterPos[0])" -eq 'Not') { $__pesterNot = $true; $__pesterPos = @($__pesterPos | Select-Object -Skip 1) }
        $__pesterOps = @("$($__pesterPos[0])")
        $__pesterP.Positional = @($__pesterPos | Select-Object -Skip 1)
    }
    if ($__pesterOps.Count -ne 1) { throw "Should needs exactly one operator (got: $($__pesterOps -join ', '))." }
    $__pesterOp = $__pesterOps[0]
    if ($__pesterP.Named.ContainsKey('ActualValue')) { $__pesterActual = $__pesterP.Named['ActualValue'] }
    elseif ($__pesterInput.Count -eq 0) { $__pesterActual = $null }
    elseif ($__pesterInput.Count -eq 1) { $__pesterActual = $__pesterInput[0] }
    else { $__pesterActual = $__pesterInput }
    $__pesterExpected = $null
    foreach ($__pesterKey in 'ExpectedValue', 'Expected', 'ExpectedType') {
        if ($__pesterP.Named.ContainsKey($__pesterKey)) { $__pesterExpected = $__pesterP.Named[$__pesterKey] }
    }
    if ($null -eq $__pesterExpected -and $__pesterP.Positional.Count -gt 0) { $__pesterExpected = $__pesterP.Positional[0] }

    if ($__pesterOp -eq 'Throw') { return __PesterThrow $__pesterActual $__pesterP $__pesterNot }
    $__pesterOk = switch ($__pesterOp) {
        'Be' { __PesterEqual $__pesterActual $__pesterExpected $false }
        'BeExactly' { __PesterEqual $__pesterActual $__pesterExpected $true }
        'BeNullOrEmpty' { $null -eq $__pesterActual -or ($__pesterActual -is [string] -and $__pesterActual -eq '') -or
                          ($__pesterActual -is [array] -and $__pesterActual.Count -eq 0) -or
                          ($__pesterInput.Count -eq 0 -and -not $__pesterP.Named.ContainsKey('ActualValue')) }
        'BeTrue' { [bool]$__pesterActual }
        'BeFalse' { -not [bool]$__pesterActual }
        'Match' { $__pesterActual -match $__pesterExpected }
        'MatchExactly' { $__pesterActual -cmatch $__pesterExpected }
        'BeLike' { $__pesterActual -like $__pesterExpected }
        'BeLikeExactly' { $__pesterActual -clike $__pesterExpected }
        # as Pester 4: operators without array input test each piped object
        'BeOfType' { $__pesterT = __PesterTypeArgument $__pesterExpected
                     if ($__pesterInput.Count -gt 1) { -not ($__pesterInput | Where-Object { $_ -isnot $__pesterT }) }
                     else { $__pesterActual -is $__pesterT } }
        'HaveType' { $__pesterT = __PesterTypeArgument $__pesterExpected
                     if ($__pesterInput.Count -gt 1) { -not ($__pesterInput | Where-Object { $_ -isnot $__pesterT }) }
                     else { $__pesterActual -is $__pesterT } }
        'Contain' { @($__pesterActual) -contains $__pesterExpected }
        'BeIn' { @($__pesterExpected) -contains $__pesterActual }
        'HaveCount' { $(if ($__pesterInput.Count -eq 0 -and -not $__pesterP.Named.ContainsKey('ActualValue')) { 0 }
                        else { @($__pesterActual).Count }) -eq $__pesterExpected }
        'BeGreaterThan' { $__pesterActual -gt $__pesterExpected }
        'BeLessThan' { $__pesterActual -lt $__pesterExpected }
        'BeGreaterOrEqual' { $__pesterActual -ge $__pesterExpected }
        'BeLessOrEqual' { $__pesterActual -le $__pesterExpected }
        'Exist' { Test-Path $__pesterActual }
        'FileContentMatch' { @(Get-Content $__pesterActual) -match $__pesterExpected }
        'FileContentMatchExactly' { @(Get-Content $__pesterActual) -cmatch $__pesterExpected }
        default { throw "Should -$__pesterOp is not supported by this runner." }
    }
    if ([bool]$__pesterOk -eq $__pesterNot) {
        $__pesterBecause = $__pesterP.Named['Because']
        $__pesterWord = if ($__pesterNot) { 'not ' } else { '' }
        $__pesterText = "Expected $__pesterWord-$__pesterOp $(__PesterShow $__pesterExpected), but got $(__PesterShow $__pesterActual)."
        if ($__pesterBecause) { $__pesterText += " Because: $__pesterBecause" }
        throw $__pesterText
    }
}

# Pester 4's Setup: a file or folder in the TestDrive
function Setup {
    param([switch]$Dir, [switch]$File, $Path, $Content = '', [switch]$PassThru)
    $__pesterFull = Join-Path $TestDrive $Path
    if ($Dir) { $__pesterItem = New-Item -ItemType Directory -Path $__pesterFull -Force }
    else { $__pesterItem = New-Item -ItemType File -Path $__pesterFull -Value $Content -Force }
    if ($PassThru) { $__pesterItem }
}

# New-TestHost: what PowerShell's test tools build in C# (HelpersHostCS), written as script classes
# for pshell: a host whose UI answers ReadLine, secure reads and Prompt with fixed data and records
# each prompt (CreateRunspace($host) hands it to Read-Host in that runspace)
class PesterTestStreams {
    [System.Collections.ArrayList] $ConsoleOutput = [System.Collections.ArrayList]::new()
    [System.Collections.ArrayList] $Prompt = [System.Collections.ArrayList]::new()
    [void] Clear() { $this.ConsoleOutput.Clear(); $this.Prompt.Clear() }
}

class PesterTestUI {
    [string] $ReadLineData = 'This is readline data'
    [string] $StringForSecureString = 'TEST'
    [object] $promptResponse = 'this is a prompt response'
    [int] $PromptedChoice = 0
    [PesterTestStreams] $Streams = [PesterTestStreams]::new()
    [string] ReadLine() { return $this.ReadLineData }
    [string] ReadLineMaskedAsString() { return $this.StringForSecureString }
    [object] ReadLineAsSecureString() {
        return ConvertTo-SecureString $this.StringForSecureString -AsPlainText -Force
    }
    [hashtable] Prompt([string] $caption, [string] $message, [object] $descriptions) {
        $field = "$($descriptions[0].Name)"
        $null = $this.Streams.Prompt.Add("${caption}:${message}:$field")
        return @{ $field = $this.promptResponse }
    }
    [int] PromptForChoice([string] $caption, [string] $message, [object] $choices, [int] $default) {
        $null = $this.Streams.Prompt.Add("${caption}:${message}")
        return $this.PromptedChoice
    }
}

class PesterTestHost {
    [string] $Name = 'TestHost'
    [version] $Version = [version]'6.0'
    [PesterTestUI] $UI = [PesterTestUI]::new()
}

function New-TestHost { [PesterTestHost]::new() }

# ------------------------------------------------------------------------------ entry point

function Invoke-PesterFile {
    $__pesterPath = $args[0]
    $global:__PesterState = @{ Stack = @(); Passed = 0; Failed = 0; Skipped = 0 }
    $global:TestDrive = Join-Path ([System.IO.Path]::GetTempPath()) 'TestDrive'
    $null = New-Item -ItemType Directory -Path $global:TestDrive -Force
    $null = New-PSDrive -Name TestDrive -PSProvider FileSystem -Root $global:TestDrive -Scope Global
    # the test tools' modules of the checkout (HelpersCommon: Wait-UntilTrue, ...), as PowerShell's
    # own test setup makes them importable; the parts that need .NET stay unusable
    $__pesterAt = $__pesterPath.Replace('\', '/').LastIndexOf('/test/powershell/')
    if ($__pesterAt -ge 0) {
        $__pesterTools = $__pesterPath.Substring(0, $__pesterAt) + '/test/tools/Modules'
        $env:PSModulePath = $__pesterTools + [System.IO.Path]::PathSeparator + $env:PSModulePath
        # not inside try: a type the module names that pshell lacks would end the whole import there
        Import-Module (Join-Path $__pesterTools HelpersCommon) -ErrorAction SilentlyContinue 2>$null
    }
    # HelpersCommon's TestDynamic type is C# (Add-Type): without it the file still runs, and the
    # Its that use the type fail on their own
    function global:Add-TestDynamicType { Write-Warning 'Add-TestDynamicType: C# types cannot be added' }
    try {
        try { $null = & $__pesterPath }
        catch { __PesterReport FAIL (__PesterPath '(file)') "$_" }
    } finally {
        Remove-Item -Recurse -Force -Path $global:TestDrive -ErrorAction SilentlyContinue
    }
    $__pesterS = $global:__PesterState
    Write-Host ("##pester## DONE {0} {1} {2}" -f $__pesterS.Passed, $__pesterS.Failed, $__pesterS.Skipped)
}
