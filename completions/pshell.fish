# fish completion for pshell, the PowerShell-like shell.
# Install: cp pshell.fish ~/.config/fish/completions/pshell.fish

# Options are only offered before a command (-c) or a script file is given.
function __pshell_no_script
    set -l words (commandline -opc)
    set -e words[1]
    set -l skip 0
    for word in $words
        if test $skip -eq 1
            return 1
        end
        switch (string lower -- $word)
            case -c -command --help --version
                return 1
            case -file
                set skip 1
            case '-*'
            case '*'
                return 1
        end
    end
    return 0
end

# After -c/-Command the rest is PowerShell code: nothing to offer.
function __pshell_has_command
    for word in (commandline -opc)[2..-1]
        switch (string lower -- $word)
            case -c -command
                return 0
        end
    end
    return 1
end

complete -c pshell -f
complete -c pshell -n __pshell_no_script -o Command -o c -x -d 'Run the given command and exit'
complete -c pshell -n __pshell_no_script -o File -x -k -a '(__fish_complete_suffix .ps1)' -d 'Run a script file'
complete -c pshell -n __pshell_no_script -o NoProfile -d 'Do not run the profile'
complete -c pshell -n __pshell_no_script -o NoLogo -d 'Do not print the start-up banner'
complete -c pshell -n __pshell_no_script -o NonInteractive -d 'Never prompt for input'
complete -c pshell -n __pshell_no_script -l version -d 'Show the version and exit'
complete -c pshell -n __pshell_no_script -l help -d 'Show usage and exit'
complete -c pshell -n __pshell_no_script -k -a '(__fish_complete_suffix .ps1)' -d 'Script'
complete -c pshell -n 'not __pshell_no_script; and not __pshell_has_command' -F
