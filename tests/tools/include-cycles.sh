#!/bin/sh
# include-cycles.sh [-e] [-a 'FILE FILE...']... [BUILD]: the dependency
# cycles between the project's source files.
#
# A C file A depends on a C file B when A's object uses a global symbol
# that B's object defines (nm(1) of the objects in BUILD/obj, each program
# linked with common/ as the GNUmakefile does, so two programs' symbols of
# the same name never meet).  A header depends on each header of the
# project it #includes.  Each set of files that depend on each other in a
# circle (a strongly connected component) is printed as
#
#	cycle: FILE FILE ...
#	  FILE -> FILE (SYMBOL)
#	  ...
#
# files sorted, then the edges inside it, one symbol each.  -a names a
# cycle that is allowed (its files, in any order, blank-separated): it is
# printed as "allowed: ..." and does not count.  -e prints every
# dependency instead, one "FROM TO SYMBOL" a line.  BUILD defaults to
# $CCX_BUILD, else the tree's build/.  Exit status: 0 when every cycle is
# allowed, 1 when one is not, 2 on a usage error or when BUILD has no
# objects.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd) || exit 2

allowed=
edges_only=
while getopts a:e opt; do
	case $opt in
	e) edges_only=1 ;;
	a) allowed="$allowed$(printf '%s\n' $OPTARG | sort | tr '\n' ' ')
" ;;
	*) echo "usage: include-cycles.sh [-e] [-a 'FILE...']... [BUILD]" >&2
	   exit 2 ;;
	esac
done
shift $((OPTIND - 1))
build=${1:-${CCX_BUILD:-$top/build}}
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
obj=$build/obj
[ -d "$obj/common" ] || { echo "include-cycles.sh: no objects in $obj" >&2; exit 2; }

# units: one line per link unit, the sources of its objects (those whose
# source still exists: a stale object of a removed file does not count).
units() {
	(cd "$top" && for d in bin/* supervisor tests/helper tests/mockbroker; do
		[ -d "$d" ] || continue
		ls $d/*.c common/*.c 2>/dev/null | tr '\n' ' '
		echo
	done)
}

# symbols UNIT: "SRC D SYMBOL" for each global symbol a file defines and
# "SRC U SYMBOL" for each it uses.
symbols() {
	_objs=
	for src in $1; do
		[ -f "$obj/${src%.c}.o" ] && _objs="$_objs $obj/${src%.c}.o"
	done
	[ -n "$_objs" ] || return 0
	nm -A -g $_objs | awk -v obj="$obj/" '
		{
			src = $1
			sub(/:[^:]*$/, "", src)
			if (index(src, obj) == 1)
				src = substr(src, length(obj) + 1)
			sub(/\.o$/, ".c", src)
		}
		$(NF - 1) == "U" { print src, "U", $NF; next }
		$(NF - 1) ~ /^[A-TV-Z]$/ { print src, "D", $NF }'
}

# edges: "FROM TO SYMBOL" for every dependency (C files, then headers).
edges() {
	units | while read -r unit; do
		[ -n "$unit" ] || continue
		symbols "$unit" | awk '
			$2 == "D" { def[$3] = $1; next }
			{ use[++n] = $1; sym[n] = $3 }
			END {
				for (i = 1; i <= n; i++)
					if ((sym[i] in def) && def[sym[i]] != use[i])
						print use[i], def[sym[i]], sym[i]
			}'
	done
	(cd "$top" && ls common/*.h bin/*/*.h supervisor/*.h tests/*/*.h \
	    2>/dev/null) | while read -r h; do
		sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' \
		    "$top/$h" | while read -r inc; do
			for cand in "${h%/*}/$inc" "common/$inc"; do
				if [ -f "$top/$cand" ]; then
					echo "$h $cand #include"
					break
				fi
			done
		done
	done
}

tmp=$(mktemp "${TMPDIR:-/tmp}/include-cycles.XXXXXX") || exit 2
trap 'rm -f "$tmp"' EXIT

# The strongly connected components of the graph, from its transitive
# closure (the graph has a few dozen nodes).
edges | sort -u >"$tmp"
grep -q '\.c .*\.c ' "$tmp" ||
	{ echo "include-cycles.sh: no dependencies found in $obj" >&2; exit 2; }
if [ -n "$edges_only" ]; then
	cat "$tmp"
	exit 0
fi
awk -v allowed="$allowed" '
	{
		if (!($1 in id)) { id[$1] = ++n; name[n] = $1 }
		if (!($2 in id)) { id[$2] = ++n; name[n] = $2 }
		a = id[$1]; b = id[$2]
		if (!((a, b) in r)) { r[a, b] = 1; why[a, b] = $3 }
	}
	END {
		split(allowed, al, "\n")
		for (k = 1; k <= n; k++)
			for (i = 1; i <= n; i++)
				if ((i, k) in r)
					for (j = 1; j <= n; j++)
						if ((k, j) in r)
							r[i, j] = 1
		bad = 0
		for (i = 1; i <= n; i++) {
			if (done[i] || !((i, i) in r))
				continue
			m = 0
			for (j = 1; j <= n; j++)
				if ((i, j) in r && (j, i) in r) {
					done[j] = 1
					member[++m] = name[j]
				}
			# Sorted, to compare with the allowed list.
			for (x = 2; x <= m; x++)
				for (y = x; y > 1 && member[y - 1] > member[y]; y--) {
					t = member[y]; member[y] = member[y - 1]
					member[y - 1] = t
				}
			set = ""
			for (x = 1; x <= m; x++)
				set = set member[x] " "
			ok = 0
			for (x in al)
				if (al[x] == set)
					ok = 1
			sub(/ $/, "", set)
			print (ok ? "allowed: " : "cycle: ") set
			if (!ok)
				bad = 1
			for (x = 1; x <= m; x++)
				for (y = 1; y <= m; y++)
					if (x != y && (id[member[x]], id[member[y]]) in why)
						print "  " member[x] " -> " member[y] \
						    " (" why[id[member[x]], id[member[y]]] ")"
		}
		exit bad
	}' "$tmp"
