# common.bash - shared helpers for the sst-* bats suite.
#
# The Makefile runs:  SST_BIN=/abs/build/bin SST_SAN=0|1 bats --jobs 2 tests/cli
# Every test runs in its own temporary directory ($T, also the cwd) with
# TMPDIR pointing inside it, so leftovers of any tool are visible to the test.

bats_require_minimum_version 1.5.0

SST_BIN=${SST_BIN:-$(cd "$BATS_TEST_DIRNAME/../../build/bin" 2>/dev/null && pwd)}
SST_SAN=${SST_SAN:-0}
MODEL="$BATS_TEST_DIRNAME/model.py"
# A real interpreter, not a version-manager shim (a pyenv shim costs ~2 s a call).
for PY in /usr/bin/python3 /usr/local/bin/python3 "$(command -v python3)"; do
	[ -x "$PY" ] && break
done
export PY
python3() {
	"$PY" "$@"
}
export SST_BIN SST_SAN MODEL
export PATH="$SST_BIN:$PATH"
export LC_ALL=C

# ASan: fail on any report, no leak noise from short-lived tools.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=86}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=87}

common_setup() {
	local t
	for t in sst-build sst-get sst-dump sst-info sst-verify; do
		[ -x "$SST_BIN/$t" ] || { echo "missing tool $SST_BIN/$t (set SST_BIN)" >&2; return 1; }
	done
	T="$BATS_TEST_TMPDIR/w"
	mkdir -p "$T/tmp"
	export TMPDIR="$T/tmp"
	cd "$T" || return 1
}

# san_or N M: N in a plain build, M under sanitizers.
san_or() {
	if [ "$SST_SAN" = 1 ]; then echo "$2"; else echo "$1"; fi
}

skip_if_san() {
	[ "$SST_SAN" = 1 ] && skip "${1:-too slow or memory-hungry under ASan}"
	return 0
}

# need_cmd CMD...: skip the test when a command is not installed.
need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
	done
}

# fail MSG: print to the test log and fail.
fail() {
	printf '%s\n' "$*" >&2
	return 1
}

# check_err TOOL [REGEX]: after `run --separate-stderr`, stderr must be exactly
# one line "TOOL: ..." (optionally matching the extended REGEX).
check_err() {
	local tool=$1 re=${2:-}
	# (each failure returns at once: callers use this in conditions too,
	# where `set -e` does not stop at a failed line)
	[ "${#stderr_lines[@]}" -eq 1 ] ||
		{ fail "want one stderr line from $tool, got ${#stderr_lines[@]}: $stderr"; return 1; }
	[[ "${stderr_lines[0]}" == "$tool: "* ]] ||
		{ fail "stderr does not start with '$tool: ': ${stderr_lines[0]}"; return 1; }
	if [ -n "$re" ]; then
		[[ "${stderr_lines[0]}" =~ $re ]] ||
			{ fail "stderr '${stderr_lines[0]}' does not match /$re/"; return 1; }
	fi
}

# no_tmp_left DIR...: nothing but the expected files; no ".NAME.tmp-*" and
# nothing at all in the test's TMPDIR.
no_tmp_left() {
	local d left
	for d in "$@"; do
		left=$(find "$d" -maxdepth 1 -name '.*tmp*' -print)
		[ -z "$left" ] || { fail "temporary files left in $d: $left"; return 1; }
	done
	left=$(find "$TMPDIR" -mindepth 1 -print)
	[ -z "$left" ] || fail "files left in TMPDIR: $left"
}

# same FILE1 FILE2: byte-identical, with a readable diff on failure.
same() {
	if ! cmp -s "$1" "$2"; then
		echo "files differ: $1 $2" >&2
		diff <(od -c "$1" | head -40) <(od -c "$2" | head -40) >&2 || true
		return 1
	fi
}

# mk_table OUT [build options]: a small table from stdin.
mk_table() {
	local out=$1
	shift
	sst-build -q "$@" -o "$out" - || fail "sst-build -o $out failed"
}

# fruit_tsv: a small unsorted sample with a duplicate (later wins).
fruit_tsv() {
	printf 'pear\tgreen\napple\tred\nbanana\tyellow\napple\tcrimson\ncherry\tdark red\n'
}

# model ARGS...: the python3 reference model.
model() {
	"$PY" "$MODEL" "$@"
}

# bg_sigdfl CMD... &: for background jobs only. Replaces the background
# subshell by CMD (so $! is CMD's pid) with SIGINT and SIGTERM at their
# default disposition (a background job of a non-interactive shell ignores
# SIGINT).
bg_sigdfl() {
	exec python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
signal.signal(signal.SIGTERM, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' "$@"
}

# hold_lock FILE SECONDS: hold an exclusive flock on FILE for SECONDS in the
# background, returning once the lock is held (a fixed sleep lost that race
# on a loaded machine). `wait` reaps the holder.
hold_lock() {
	flock -x "$1" sleep "$2" &
	local i
	for i in $(seq 200); do
		flock -n "$1" true || return 0
		sleep 0.05
	done
	fail "flock never took $1"
}

# wait_exec PID NAME: wait (up to 10 s) until process PID runs NAME, e.g.
# after bg_sigdfl's exec chain; a fixed sleep lost that race under load.
wait_exec() {
	local i
	for i in $(seq 200); do
		[ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.05
	done
	fail "pid $1 is not $2: $(cat "/proc/$1/comm" 2>/dev/null)"
}
