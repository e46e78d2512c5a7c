#!/usr/bin/env bash
# Assembles README.md from the section fragments in docs/readme/ (edit those, then run this).
set -euo pipefail
cd "$(dirname "$0")/.."
order=(00-top cli-cluster cli-more local control-plane proxy edge deploy completion performance 90-dev)
{
  for f in "${order[@]}"; do
    [ -f "docs/readme/$f.md" ] || continue
    cat "docs/readme/$f.md"
    printf '\n'
  done
} > README.md
echo "README.md: $(wc -l < README.md) lines"
