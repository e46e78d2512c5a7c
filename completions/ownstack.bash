# bash completion for ownstack                                   -*- shell-script -*-
#
# Asks `ownstack __complete <words…>` for the candidates (cobra's protocol: one
# `value<TAB>description` line each, then a `:<directive>` line), so bash, zsh and fish
# all offer the same commands, flags and live names.
#
# Load it for this shell:   source <(ownstack completion bash)
# Install it for good:      ownstack completion install bash
# Debug it:                 BASH_COMP_DEBUG_FILE=/tmp/ownstack-comp.log

__ownstack_debug() {
    if [[ -n ${BASH_COMP_DEBUG_FILE-} ]]; then
        printf '%s\n' "$*" >>"${BASH_COMP_DEBUG_FILE}"
    fi
}

# Rebuilds the words up to the cursor into `words` (and `cword`), joining the pieces bash
# split at COMP_WORDBREAKS characters such as '=' and ':' so that `--to=gr` stays one word.
__ownstack_words() {
    local line=${COMP_LINE:0:COMP_POINT} word trimmed i
    words=()
    cword=-1
    for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
        word=${COMP_WORDS[i]}
        trimmed=${line#"${line%%[![:space:]]*}"}
        if ((cword < 0)) || ((${#trimmed} != ${#line})); then
            cword=$((cword + 1))
            words[cword]=
        fi
        line=$trimmed
        if [[ $line == "$word"* ]]; then
            words[cword]+=$word
            line=${line:${#word}}
        else
            # The cursor is inside this word: keep the part before it.
            words[cword]+=$line
            line=
        fi
        [[ -z $line ]] && break
    done
    # Blanks left before the cursor: the cursor starts a new, empty word.
    if [[ -n $line ]]; then
        cword=$((cword + 1))
        words[cword]=
    fi
}

__ownstack_complete() {
    local words cword cur prog out directive=0 line tab=$'\t'
    local -a lines=() candidates=()
    COMPREPLY=()

    __ownstack_words
    ((cword >= 1)) || return 0
    cur=${words[cword]}
    prog=${words[0]}
    [[ $prog == "~/"* ]] && prog=$HOME/${prog#"~/"}
    __ownstack_debug "words: ${words[*]} (cword ${cword})"

    out=$("$prog" __complete "${words[@]:1:cword}" 2>/dev/null </dev/null)
    while IFS= read -r line; do
        lines+=("$line")
    done <<<"$out"
    if ((${#lines[@]} > 0)) && [[ ${lines[${#lines[@]} - 1]} == :* ]]; then
        directive=${lines[${#lines[@]} - 1]#:}
        unset "lines[$((${#lines[@]} - 1))]"
    fi
    [[ $directive =~ ^[0-9]+$ ]] || directive=0
    __ownstack_debug "directive: ${directive}, candidates: ${#lines[@]}"

    # --flag=value: bash replaces only the part after '=' (a COMP_WORDBREAKS character).
    local flag_prefix=
    if [[ $cur == -*=* ]]; then
        flag_prefix=${cur%%=*}=
        cur=${cur#*=}
    fi

    local has_compopt=
    [[ $(type -t compopt) == builtin ]] && has_compopt=1

    if (((directive & 1) != 0)); then
        [[ -n $has_compopt ]] && compopt +o default 2>/dev/null
        return 0
    fi
    if [[ -n $has_compopt ]]; then
        (((directive & 2) != 0)) && compopt -o nospace 2>/dev/null
        (((directive & 4) != 0)) && compopt +o default 2>/dev/null
        (((directive & 32) != 0)) && compopt -o nosort 2>/dev/null
    fi

    if (((directive & 8) != 0)); then
        # The candidates are file extensions: offer folders and files with one of them.
        local ext
        COMPREPLY=($(compgen -d -- "$cur"))
        for line in "${lines[@]}"; do
            ext=${line%%"$tab"*}
            [[ -n $ext ]] && COMPREPLY+=($(compgen -f -X "!*.${ext}" -- "$cur"))
        done
        return 0
    fi
    if (((directive & 16) != 0)); then
        # Folders only (in the folder named by the first candidate, if any).
        local dir=${lines[0]-}
        dir=${dir%%"$tab"*}
        if [[ -n $dir ]]; then
            COMPREPLY=($(cd "$dir" 2>/dev/null && compgen -d -- "$cur"))
        else
            COMPREPLY=($(compgen -d -- "$cur"))
        fi
        return 0
    fi

    local value longest=0
    for line in "${lines[@]}"; do
        [[ -z $line ]] && continue
        value=${line%%"$tab"*}
        [[ $value == "$cur"* ]] || continue
        candidates+=("$line")
        ((${#value} > longest)) && longest=${#value}
    done

    local i desc room
    for i in "${!candidates[@]}"; do
        line=${candidates[i]}
        value=${line%%"$tab"*}
        if [[ $line == *"$tab"* ]] && ((${#candidates[@]} > 1)) && [[ ${COMP_TYPE-9} != 37 && ${COMP_TYPE-9} != 42 ]]; then
            # Several candidates: show each description after it, padded and cut to the screen.
            desc=${line#*"$tab"}
            room=$((${COLUMNS:-0} - longest - 4))
            if ((room > 8)); then
                ((${#desc} > room)) && desc="${desc:0:room-1}…"
                printf -v value '%-*s  (%s)' "$longest" "$value" "$desc"
            fi
        fi
        [[ -n $flag_prefix && $COMP_WORDBREAKS != *=* ]] && value=$flag_prefix$value
        COMPREPLY+=("$value")
    done

    # A ':' in the word: bash replaces only what follows the last one (when it breaks words).
    if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
        local head=${cur%"${cur##*:}"}
        for i in "${!COMPREPLY[@]}"; do
            COMPREPLY[i]=${COMPREPLY[i]#"$head"}
        done
    fi
    return 0
}

if [[ $(type -t compopt) == builtin ]]; then
    complete -o default -F __ownstack_complete ownstack
else
    complete -o default -o nospace -F __ownstack_complete ownstack
fi
