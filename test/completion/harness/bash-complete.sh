#!/usr/bin/env bash
# Asks the bash completion function for the candidates of a command line, the way a Tab would:
# sets COMP_LINE/COMP_POINT/COMP_WORDS/COMP_CWORD as bash does (words split at blanks and at
# COMP_WORDBREAKS characters such as '=' and ':'), calls the function registered for the
# command, and prints COMPREPLY one entry per line.
# Usage: bash --norc --noprofile bash-complete.sh <script> <command line up to the cursor>
set -u
script=$1
line=$2
# shellcheck disable=SC1090
source "$script"

COMP_LINE=$line
COMP_POINT=${#line}
COMP_TYPE=9
COMP_KEY=9
COMP_WORDS=()
word=
for ((i = 0; i < ${#line}; i++)); do
    c=${line:i:1}
    if [[ $c == [[:space:]] ]]; then
        [[ -n $word ]] && COMP_WORDS+=("$word")
        word=
    elif [[ $c == [=:] ]]; then
        [[ -n $word && $word != [=:]* ]] && { COMP_WORDS+=("$word"); word=; }
        word+=$c
    else
        [[ $word == [=:]* ]] && { COMP_WORDS+=("$word"); word=; }
        word+=$c
    fi
done
COMP_WORDS+=("$word")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))

spec=$(complete -p "${COMP_WORDS[0]}" 2>/dev/null) || { echo "no completion registered for ${COMP_WORDS[0]}" >&2; exit 3; }
fn=$(sed -E 's/.* -F ([^ ]+) .*/\1/' <<<"$spec")
COMPREPLY=()
"$fn" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
