#!/usr/bin/env zsh
# Asks zsh's real completion system for the candidates of a command line, the way a Tab would.
# Usage: zsh -f zsh-capture.zsh <folder holding _ownstack> <command line up to the cursor>
# (autoloaded from $fpath; with ZCAP_SOURCE=1 sourced after compinit instead, as `source <(ownstack completion zsh)`)
# Prints one line per candidate: `CAND:<value>` or `CAND:<value><TAB><what zsh displays>`,
# then `END`. Technique: a zsh in a pseudo-terminal (zpty) runs compinit, Tab is bound to
# complete-word, and a compadd wrapper prints every match the completion function adds.
zmodload zsh/zpty || { print -u2 'zsh/zpty is missing'; exit 3 }
local dir=$1 line=$2
zpty -b cap zsh -f -i || exit 3

local init=$(mktemp)
cat >"$init" <<INIT
PROMPT='' RPROMPT='' PS2=''
unsetopt beep
${ZCAP_SOURCE:-fpath=(${(q)dir} \$fpath)}
autoload -Uz compinit && compinit -u -D
${ZCAP_SOURCE:+source ${(q)dir}/_ownstack}
zstyle ':completion:*' list-grouped false
zstyle ':completion:*' insert-tab false
zstyle ':completion:*' format ''
zstyle ':completion:*' verbose yes
__cap_end() { print; print -r -- END; exit }
comppostfuncs=(__cap_end)
compadd() {
  # Calls that only compute matches into arrays (-O/-A/-D) go straight through.
  if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
    builtin compadd "\$@"
    return
  fi
  local -a __hits __dscr
  if (( \$@[(I)-d] )); then
    local __d=\${@[\$((\${@[(i)-d]} + 1))]}
    if [[ \$__d == \(* ]]; then eval "__dscr=\$__d"; else __dscr=("\${(@P)__d}"); fi
  fi
  builtin compadd -A __hits -D __dscr "\$@"
  local i
  for (( i = 1; i <= \$#__hits; i++ )); do
    if [[ -n \${__dscr[i]} ]]; then print -r -- "CAND:\${__hits[i]}"\$'\t'"\${__dscr[i]}"
    else print -r -- "CAND:\${__hits[i]}"; fi
  done
  builtin compadd "\$@"
}
bindkey '^I' complete-word
print -r -- READY
INIT

# Reads what the inner shell prints until a line equal to $1 shows up (or 15 s pass).
__read_until() {
  local chunk
  local -F deadline=$(( EPOCHREALTIME + 15 ))
  out=''
  while (( EPOCHREALTIME < deadline )); do
    if zpty -r -t cap chunk; then
      out+=${chunk//$'\r'/}
      [[ $out == *$'\n'$1$'\n'* || $out == $1$'\n'* ]] && return 0
    else
      sleep 0.02
    fi
  done
  return 1
}

zmodload zsh/datetime
local out=''
zpty -w cap "source ${(q)init}"
__read_until READY || { print -u2 "zsh did not start: $out"; zpty -d cap; exit 3 }
zpty -w -n cap "$line"$'\t'
__read_until END || { print -u2 "no completion ended: $out"; zpty -d cap; exit 4 }
zpty -d cap
rm -f "$init"
print -r -- "$out" | grep -aoE '(CAND:.*|^END$)'
