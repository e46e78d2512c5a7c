# fish completion for ownstack
#
# Asks `ownstack __complete <words…>` for the candidates (cobra's protocol: one
# `value<TAB>description` line each, then a `:<directive>` line), so bash, zsh and fish
# all offer the same commands, flags and live names.
#
# Install it:   ownstack completion install fish
#          or:  ownstack completion fish > ~/.config/fish/completions/ownstack.fish
# This shell:   ownstack completion fish | source
# Debug it:     set -x BASH_COMP_DEBUG_FILE /tmp/ownstack-comp.log

function __ownstack_debug
    if set -q BASH_COMP_DEBUG_FILE[1]; and test -n "$BASH_COMP_DEBUG_FILE"
        echo "$argv" >>$BASH_COMP_DEBUG_FILE
    end
end

# Asks the program and leaves the candidates in $__ownstack_results. Returns 1 when fish
# should complete file names instead (no candidate, and the command did not forbid it).
function __ownstack_prepare_completions
    set -g __ownstack_results

    # The tokens before the cursor (expanded, quotes removed) and the token under it.
    set -l tokens (commandline -xpc 2>/dev/null; or commandline -opc)
    set -l current (commandline -ct)
    set -l prog $tokens[1]
    set -e tokens[1]
    __ownstack_debug "tokens: $tokens | current: $current"

    set -l out (command $prog __complete $tokens "$current" 2>/dev/null </dev/null)
    set -l directive 0
    if test (count $out) -gt 0; and string match -qr -- '^:[0-9]+$' $out[-1]
        set directive (string sub -s 2 -- $out[-1])
        set -e out[-1]
    end
    __ownstack_debug "directive: $directive, candidates: "(count $out)

    if test (math "bitand($directive, 1)") -ne 0
        # An error: offer nothing, not even file names.
        return 0
    end
    if test (math "bitand($directive, 16)") -ne 0
        # Folders only (relative to the current folder).
        set -g __ownstack_results (__fish_complete_directories "$current")
        return 0
    end
    if test (math "bitand($directive, 8)") -ne 0
        # File extensions: fish's own file completion (unfiltered) does it well enough.
        return 1
    end

    # --flag=value: fish completes the whole token, so the candidates carry the flag.
    set -l flag_prefix (string match -r -- '^-[^=]*=' $current)
    for line in $out
        test -n "$line"; and set -a __ownstack_results "$flag_prefix$line"
    end

    set -l n (count $__ownstack_results)
    if test $n -eq 0
        test (math "bitand($directive, 4)") -eq 0; and return 1
        return 0
    end
    if test $n -eq 1; and test (math "bitand($directive, 2)") -ne 0
        # fish has no "no space" switch: a second, longer candidate keeps it from adding one.
        set -l value (string split -m 1 -- \t $__ownstack_results[1])[1]
        set -g __ownstack_results $value $value.
    end
    return 0
end

# This script handles every completion of ownstack: drop any other definitions first.
complete -c ownstack -e
# -k: the program already ordered the candidates (subcommands as defined, names sorted).
complete -c ownstack -k -f -n __ownstack_prepare_completions -a '$__ownstack_results'
