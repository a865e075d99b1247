# bash completion for pshell, the PowerShell-like shell.
# Install: copy to ~/.local/share/bash-completion/completions/pshell
#          (or /usr/share/bash-completion/completions/pshell), or `source` it from ~/.bashrc.

_pshell_files() {
    # .ps1 files and directories to walk into
    local IFS=$'\n'
    compopt -o filenames 2>/dev/null
    COMPREPLY+=( $(compgen -f -X '!*.[pP][sS]1' -- "$1") )
    COMPREPLY+=( $(compgen -d -- "$1") )
}

_pshell() {
    local cur prev i word
    COMPREPLY=()
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev="${COMP_WORDS[COMP_CWORD-1]}"
    local options=(-Command -c -File -NoProfile -NoLogo -NonInteractive --version --help)

    # Once a command or a script is given, the rest belongs to it.
    for ((i = 1; i < COMP_CWORD; i++)); do
        word="${COMP_WORDS[i]}"
        case "${word,,}" in
            -c|-command|--version|--help)
                return 0 ;;
            -file)
                if ((i + 1 < COMP_CWORD)); then
                    compopt -o default 2>/dev/null
                    return 0
                fi ;;
            -*) ;;
            *)
                compopt -o default 2>/dev/null
                return 0 ;;
        esac
    done

    case "${prev,,}" in
        -file)
            _pshell_files "$cur"
            return 0 ;;
    esac

    if [[ "$cur" == -* ]]; then
        # PowerShell options are case-insensitive: -nop<Tab> -> -NoProfile
        local option lower="${cur,,}"
        for option in "${options[@]}"; do
            [[ "${option,,}" == "$lower"* ]] && COMPREPLY+=( "$option" )
        done
        return 0
    fi
    _pshell_files "$cur"
}

complete -F _pshell pshell
