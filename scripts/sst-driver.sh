# sst-driver.sh - what the scale-out drivers (sst-parallel-build,
# sst-slurm-build) share, sourced by both (POSIX sh). Installed beside them
# as PREFIX/share/sstkit/sst-driver.sh; in the source tree it sits in
# scripts/ with them. The driver sets `prog` before sourcing it.
# shellcheck shell=sh disable=SC2154,SC2034  # prog is the driver's; ipart is for it

die() { printf '%s: %s\n' "$prog" "$1" >&2; exit "${2:-1}"; }
usage_err() {
	printf '%s: %s\nTry '\''%s --help'\'' for more information.\n' "$prog" "$1" "$prog" >&2
	exit 2
}
abspath() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$(pwd)" "$1" ;; esac; }
# want_number NAME VALUE: a usage error unless VALUE is a number;
# want_count NAME VALUE: unless it is a number >= 1.
want_number() { case $2 in ''|*[!0-9]*) usage_err "$1: want a number, not '$2'" ;; esac; }
want_count() { case $2 in ''|*[!0-9]*|0) usage_err "$1: want a number >= 1, not '$2'" ;; esac; }

# build_opts ARG...: the sst-build options after `--`, up to the first
# non-option: all go to sst-build (bopts), the table options among them
# (-b, -c, -l, --bloom-bits, --dict-size) to sst-merge too (mopts).
# Sets nbuild to the number of arguments taken (the caller shifts them).
build_opts() {
	bopts='' mopts='' nbuild=0
	while [ $# -gt 0 ]; do
		case $1 in
		-[bcl]|--block-size|--compression|--level|--bloom-bits|--dict-size)
			[ $# -ge 2 ] || usage_err "$1 needs a value"
			bopts="$bopts $1 $2" mopts="$mopts $1 $2"; shift 2; nbuild=$((nbuild + 2)) ;;
		-[bcl]?*|--block-size=*|--compression=*|--level=*|--bloom-bits=*|--no-dict|--dict-size=*)
			bopts="$bopts $1" mopts="$mopts $1"; shift; nbuild=$((nbuild + 1)) ;;
		-[mjfT]|--memory|--threads|--tmpdir|--format)
			[ $# -ge 2 ] || usage_err "$1 needs a value"
			bopts="$bopts $1 $2"; shift 2; nbuild=$((nbuild + 2)) ;;
		-*) bopts="$bopts $1"; shift; nbuild=$((nbuild + 1)) ;;
		*) break ;;
		esac
	done
}

# The shards' part tables are read once by the merge and then dropped:
# written raw, with no filter and no dictionary, the data is compressed once
# (by the merge, with the table options), not twice. The library calls such
# tables scratch tables (SST_TEMP_SCRATCH, lib/table.h), but sst-build has
# no option for that (the contract lists none), so the parts get the
# explicit table options; they come after the user's, so they win.
ipart="-c none --bloom-bits 0 --dict-size 0"

# shard_list FILE NOUN SHARD...: FILE gets one line per shard, its index (4+
# digits, so names sort in shard order) TAB its absolute path; NOUN names
# what must read the shards ("hosts", "nodes").
shard_list() {
	_f=$1 _who=$2
	shift 2
	_i=0 _n=$# _wid=${#_n}
	[ "$_wid" -ge 4 ] || _wid=4
	: >"$_f"
	for _s in "$@"; do
		_i=$((_i + 1))
		[ "$_s" != - ] || die "-: shards must be files the $_who can read" 2
		[ -r "$_s" ] || die "$_s: cannot read" 4
		printf "%0${_wid}d\t%s\n" "$_i" "$(abspath "$_s")" >>"$_f"
	done
}
