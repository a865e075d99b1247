# Our own Describe/It file for the runner's unit test (tests/test_pester_runner.py): 8 passed, 2 failed, 3 skipped.
Describe 'Runner' {
    BeforeAll { $base = 10; function Get-Helped { 'helped' } }
    $cases = @(@{ A = 1; B = 11 }, @{ A = 2; B = 12 })
    It 'adds <A>' -TestCases $cases {
        param($A, $B)
        $A + $base | Should -Be $B
    }
    It 'fails on purpose' { 1 | Should -Be 2 }
    It 'is skipped' -Skip { throw 'never runs' }
    It 'sees functions from BeforeAll' { Get-Helped | Should -BeExactly 'helped' }
    It 'checks a thrown message and error id' {
        { throw 'bad thing' } | Should -Throw -ExpectedMessage 'bad' -ErrorId 'bad thing'
    }
    It 'fails when nothing is thrown' { { 1 } | Should -Throw }
    Context 'Inner' {
        BeforeEach { $each = 5 }
        AfterEach { $global:afterEachRan++ }
        It 'sees the outer BeforeAll and its BeforeEach' { $base + $each | Should -Be 15 }
        It 'negates' { 3 | Should -Not -Be 4; @(1, 2, 3) | Should -HaveCount 3; 'abc' | Should -Match 'b' }
        It 'marks itself skipped' { Set-ItResult -Skipped -Because 'not today' }
        It 'compares' { 5 | Should -BeGreaterThan 4; 'abc' | Should -BeLike 'a*'; $null | Should -BeNullOrEmpty }
    }
    Context 'Skipped by default' {
        BeforeAll { $PSDefaultParameterValues['It:Skip'] = $true }
        AfterAll { $PSDefaultParameterValues.Remove('It:Skip') }
        It 'does not run' { throw 'never runs' }
    }
    It 'counts AfterEach' { $global:afterEachRan | Should -Be 4 }
}
