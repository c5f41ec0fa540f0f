#!/bin/sh
# Test stub: chains in $ST/chains (one a line), rules in $ST/rules as "chain|args"; every call logged.
printf '%s\n' "$*" >> "$ST/log"
chains="$ST/chains"; rules="$ST/rules"
touch "$chains" "$rules"
has() { grep -qxF -- "$1" "$chains"; }
op=$1; c=$2; shift 2
[ "${1:-}" = "-n" ] && shift
case "$op" in
  -L) has "$c" || { echo "arptables: chain $c not found" >&2; exit 1; }
      echo "Chain $c"
      grep -F -- "$c|" "$rules" | while IFS= read -r l; do [ "${l%%|*}" = "$c" ] && printf '%s\n' "${l#*|}"; done
      exit 0 ;;
  -N) has "$c" && { echo "chain exists" >&2; exit 1; }; echo "$c" >> "$chains" ;;
  -F) has "$c" || exit 1; awk -v c="$c" -F'|' '$1 != c' "$rules" > "$rules.t"; mv "$rules.t" "$rules" ;;
  -X) has "$c" || exit 1
      case "$c" in INPUT|OUTPUT|FORWARD) exit 1 ;; esac
      awk -v c="$c" -F'|' '$1 == c { n++ } END { exit n > 0 }' "$rules" || exit 1
      grep -q -- "-j $c\$" "$rules" && exit 1
      grep -vxF -- "$c" "$chains" > "$chains.t"; mv "$chains.t" "$chains" ;;
  -A) has "$c" || exit 1; printf '%s|%s\n' "$c" "$*" >> "$rules" ;;
  -I) has "$c" || exit 1; [ "$1" = 1 ] || exit 2; shift; { printf '%s|%s\n' "$c" "$*"; cat "$rules"; } > "$rules.t"; mv "$rules.t" "$rules" ;;
  -D) has "$c" || exit 1; line="$c|$*"
      grep -qxF -- "$line" "$rules" || exit 1
      awk -v l="$line" '!done && $0 == l { done = 1; next } { print }' "$rules" > "$rules.t"; mv "$rules.t" "$rules" ;;
  *) exit 2 ;;
esac
