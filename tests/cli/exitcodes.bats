#!/usr/bin/env bats
# exitcodes.bats - every row of the exit-status table of CONTRACT.md "Common
# conventions" (lib/err.h holds the same table), for every tool it applies
# to: the status and the message shape, one line "TOOL: PATH[:LINE|@OFF]: ...".

load common

setup() {
	common_setup
	printf 'a\t1\nb\t2\nc\t3\n' >in.tsv
	sst-build -q -o t.sst in.tsv
	mkdir d
	echo 'just some text' >text.txt
	ln -s nowhere dangling
	printf 'a\t1\n' | wal-append w.wal
}

# Every tool's way of reading PATH as its input: "TOOL ARGS..." with PATH
# in place of @. sst-merge reads tables, wal-append records, wal-replay a WAL.
readers=(
	"sst-get -k a @"
	"sst-dump @"
	"sst-info @"
	"sst-verify @"
	"sst-merge -o m.sst t.sst @"
)
record_readers=(
	"sst-build -o o.sst @"
	"wal-append w2.wal @"
	"wal-replay -o x.sst @"
	"sst-sample @"
)

# run_with PATH CMD: runs the command line CMD with @ replaced by PATH.
run_with() {
	local path=$1 cmd=$2 words=() w
	for w in $cmd; do
		[ "$w" = @ ] && w=$path
		words+=("$w")
	done
	run --separate-stderr "${words[@]}"
}

# expect STATUS REGEX CMD...: the tool (first word) exits STATUS with one
# stderr line "TOOL: ..." matching REGEX, and leaves no output file.
expect_path() {
	local want=$1 re=$2 path=$3 cmd
	shift 3
	for cmd in "$@"; do
		rm -f o.sst m.sst x.sst w2.wal
		run_with "$path" "$cmd"
		[ "$status" -eq "$want" ] || { fail "$cmd ($path): exit $status, want $want: $stderr"; return 1; }
		check_err "${cmd%% *}" "$re" || { fail "($cmd)"; return 1; }
		[ ! -e o.sst ] && [ ! -e m.sst ] && [ ! -e x.sst ] || { fail "$cmd: output left"; return 1; }
	done
}

# --- a path that does not exist or cannot be opened or read: 4 ---

@test "exit codes: a missing path is 4 'PATH: No such file or directory' in every tool" {
	expect_path 4 '^[a-z-]+: nope\.sst: No such file or directory$' nope.sst \
	    "${readers[@]}" "${record_readers[@]}"
}

@test "exit codes: a dangling symlink is 4 'PATH: No such file or directory' in every tool" {
	expect_path 4 '^[a-z-]+: dangling: No such file or directory$' dangling \
	    "${readers[@]}" "${record_readers[@]}"
}

@test "exit codes: a directory given as a file input (records, a WAL) is 4 'PATH: Is a directory'" {
	expect_path 4 '^[a-z-]+: d: Is a directory$' d "${record_readers[@]}"
}

@test "exit codes: an unreadable path is 4 'PATH: Permission denied' in every tool" {
	[ "$(id -u)" -eq 0 ] && skip "root reads files whatever their mode"
	cp t.sst locked.sst
	cp in.tsv locked.tsv
	cp w.wal locked.wal
	chmod 000 locked.sst locked.tsv locked.wal
	expect_path 4 '^[a-z-]+: locked\.sst: Permission denied$' locked.sst "${readers[@]}"
	expect_path 4 '^[a-z-]+: locked\.tsv: Permission denied$' locked.tsv \
	    "sst-build -o o.sst @" "wal-append w2.wal @"
	expect_path 4 '^[a-z-]+: locked\.wal: Permission denied$' locked.wal "wal-replay -o x.sst @"
}

# --- a path that exists but is not what the tool reads: 3 ---

@test "exit codes: a directory with no MANIFEST given as a table is 3 'PATH: not a store (no MANIFEST)'" {
	expect_path 3 '^[a-z-]+: d: not a store \(no MANIFEST\)$' d "${readers[@]}"
}

@test "exit codes: a text file given as a table is 3 'PATH: not an sstkit table' (sst-verify: 1, damage)" {
	expect_path 3 '^[a-z-]+: text\.txt(@[0-9]+)?: not an sstkit table' text.txt \
	    "sst-get -k a @" "sst-dump @" "sst-info @" "sst-merge -o m.sst t.sst @"
	# sst-verify cannot tell a text file from a table whose footer was
	# damaged: both are files that are no intact table (exit 1, verify.bats)
	expect_path 1 '^sst-verify: text\.txt(@[0-9]+)?: not an sstkit table' text.txt "sst-verify @"
}

@test "exit codes: a text file given as a WAL is 3 'PATH: not an sstkit WAL'" {
	expect_path 3 '^wal-replay: text\.txt: not an sstkit WAL' text.txt "wal-replay -o x.sst @"
}

# --- the store rows (lib/store.c: branch store) ---

@test "exit codes: a directory with no MANIFEST given as a store is 3 in every tool" {
	run --separate-stderr sst-merge --compact d
	[ "$status" -eq 3 ] || fail "sst-merge --compact d: exit $status: $stderr"
	check_err sst-merge '^sst-merge: d: not a store'
	touch d/stray
	run --separate-stderr sst-build --into d in.tsv
	[ "$status" -eq 3 ]
	check_err sst-build '^sst-build: d: not a store'
	run --separate-stderr wal-replay --into d w.wal
	[ "$status" -eq 3 ]
	check_err wal-replay '^wal-replay: d: not a store'
	expect_path 3 '^[a-z-]+: d: not a store' d "sst-get -k a @" "sst-dump @" "sst-info @" "sst-verify @"
}

@test "exit codes: a missing store path is 4 in every tool" {
	run --separate-stderr sst-merge --compact nostore
	[ "$status" -eq 4 ] || fail "sst-merge --compact nostore: exit $status: $stderr"
	check_err sst-merge '^sst-merge: nostore: No such file or directory$'
	expect_path 4 '^[a-z-]+: nostore: No such file or directory$' nostore "${readers[@]}"
}

# a store of two tables, then the first one removed (or cut short)
broken_store() {
	sst-build -q --into st in.tsv
	printf 'x\t9\n' | sst-build -q --into st
	rm "st/$(ls st | grep '\.sst$' | head -1)"
}

@test "exit codes: a manifest listing a missing table is 3 in the readers, 1 in sst-verify" {
	broken_store
	expect_path 3 '^[a-z-]+: st/[0-9]+\.sst: ' st "sst-get -k a @" "sst-dump @" "sst-info @" \
	    "sst-merge -o m.sst @"
	expect_path 1 '^sst-verify: st' st "sst-verify @"
}

@test "exit codes: a manifest listing a missing table is 3 in sst-merge --compact too" {
	broken_store
	run --separate-stderr sst-merge --compact --set min-threshold=2 st
	[ "$status" -eq 3 ] || fail "compact: exit $status: $stderr"
	check_err sst-merge '^sst-merge: st/[0-9]+\.sst: '
}

@test "exit codes: a manifest listing a table of the wrong size is 3 in the readers, 1 in sst-verify" {
	sst-build -q --into st in.tsv
	printf 'x\t9\n' | sst-build -q --into st
	tb="st/$(ls st | grep '\.sst$' | head -1)"
	printf 'junk' >>"$tb"
	expect_path 3 '^[a-z-]+: st' st "sst-get -k a @" "sst-dump @" "sst-merge -o m.sst @"
	expect_path 1 '^sst-verify: st' st "sst-verify @"
}

# --- a bad escape, key or number in an argument: 2 ---

# expect_usage CMD...: exit 2, "TOOL: OPT: what" then the --help hint, no stdout
expect_usage() {
	local tool=$1
	run --separate-stderr "$@"
	[ "$status" -eq 2 ] || { fail "$*: exit $status, want 2: $stderr"; return 1; }
	[ "${#stderr_lines[@]}" -eq 2 ] || { fail "$*: want 2 stderr lines: $stderr"; return 1; }
	[[ "${stderr_lines[0]}" == "$tool: -"* ]] || { fail "$*: ${stderr_lines[0]}"; return 1; }
	[ "${stderr_lines[1]}" = "Try '$tool --help' for more information." ] || { fail "$*: hint: ${stderr_lines[1]}"; return 1; }
	[ -z "$output" ] || { fail "$*: stdout: $output"; return 1; }
}

@test "exit codes: a bad escape or key in -k, --prefix, --from, --to is 2 in every tool" {
	expect_usage sst-get -e -k 'a\q' t.sst
	[[ "${stderr_lines[0]}" == "sst-get: -k: unknown escape '\\q'"* ]]
	expect_usage sst-get -e -k 'a\x4' t.sst
	expect_usage sst-get -e -k 'a\' t.sst
	expect_usage sst-get -k '' t.sst
	[ "${stderr_lines[0]}" = "sst-get: -k: empty key" ]
	expect_usage sst-get -e -k 'a' -k 'b\q' t.sst
	expect_usage sst-dump -e --prefix 'a\q' t.sst
	[[ "${stderr_lines[0]}" == "sst-dump: --prefix: unknown escape '\\q'"* ]]
	expect_usage sst-dump -e --from 'a\q' t.sst
	expect_usage sst-dump -e --to 'a\xZZ' t.sst
}

@test "exit codes: a bad SIZE or N is 2 in every tool that takes one" {
	expect_usage sst-build -b 1x -o o.sst in.tsv
	expect_usage sst-build -l 99 -o o.sst in.tsv
	expect_usage sst-build --bloom-bits -1 -o o.sst in.tsv
	expect_usage sst-build -m 12Q -o o.sst in.tsv
	expect_usage sst-merge -b 0 -o m.sst t.sst
	expect_usage sst-merge -j x -o m.sst t.sst
	expect_usage sst-merge --split 5T -o m.sst t.sst
	expect_usage wal-replay --memtable-size lots -o x.sst w.wal
	expect_usage wal-append --sync sometimes w2.wal in.tsv
	[ ! -e o.sst ] && [ ! -e m.sst ] && [ ! -e x.sst ] && [ ! -e w2.wal ]
}

# --- a bad escape or malformed record in data: 3 ---

@test "exit codes: a malformed record in a file is 3 'PATH:LINE: ...' (sst-build, wal-append)" {
	printf 'a\t1\n\tnokey\n' >bad.tsv
	expect_path 3 '^[a-z-]+: bad\.tsv:2: empty key$' bad.tsv \
	    "sst-build -o o.sst @" "wal-append w2.wal @"
	printf 'a\t1\nb\\q\t2\n' >badesc.tsv
	expect_path 3 '^[a-z-]+: badesc\.tsv:2: .*escape' badesc.tsv \
	    "sst-build -e -o o.sst @" "wal-append -e w2.wal @"
	printf '+1,1:a->1\n+3,1:b->2\n' >bad.cdb
	expect_path 3 '^[a-z-]+: bad\.cdb@[0-9]+: ' bad.cdb \
	    "sst-build -f cdb -o o.sst @" "wal-append -f cdb w2.wal @"
}

@test "exit codes: a malformed record or key on stdin is 3 '-:LINE: ...' in every tool" {
	for cmd in "sst-build -o o.sst" "sst-build -o o.sst -" "wal-append w2.wal" "wal-append w2.wal -"; do
		rm -f o.sst w2.wal
		run --separate-stderr $cmd < <(printf 'a\t1\n\tnokey\n')
		[ "$status" -eq 3 ] || fail "$cmd: exit $status"
		check_err "${cmd%% *}" '^[a-z-]+: -:2: empty key$'
		run --separate-stderr $cmd -e < <(printf 'a\t1\nb\\q\t2\n')
		[ "$status" -eq 3 ] || fail "$cmd -e: exit $status"
		check_err "${cmd%% *}" '^[a-z-]+: -:2: .*escape'
	done
	run --separate-stderr sst-get t.sst < <(printf 'a\n\nb\n')
	[ "$status" -eq 3 ]
	check_err sst-get '^sst-get: -:2: empty key$'
	run --separate-stderr sst-get -e t.sst < <(printf 'a\nb\\q\n')
	[ "$status" -eq 3 ]
	check_err sst-get "^sst-get: -:2: unknown escape '\\\\q'"
	[ -z "$output" ]
	run --separate-stderr sst-get -e t.sst < <(printf 'a\nb\\x4\n')
	[ "$status" -eq 3 ]
	check_err sst-get '^sst-get: -:2: bad escape'
}

# --- stdout closed early ---

# closed_stdout ignore|default CMD...: runs CMD with stdout a pipe whose
# reader has already gone, SIGPIPE ignored or left as default; prints the
# status (or "signal N") on stdout and the tool's stderr after it.
closed_stdout() {
	python3 - "$@" <<'EOF'
import os, signal, subprocess, sys
mode, cmd = sys.argv[1], sys.argv[2:]
r, w = os.pipe()
os.close(r)
def child():
    signal.signal(signal.SIGPIPE, signal.SIG_IGN if mode == "ignore" else signal.SIG_DFL)
p = subprocess.run(cmd, stdout=w, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                   preexec_fn=child, restore_signals=False)
print("signal %d" % -p.returncode if p.returncode < 0 else p.returncode)
sys.stdout.write(p.stderr.decode("utf-8", "replace"))
EOF
}

stdout_writers=(
	"sst-get -k a t.sst"
	"sst-dump t.sst"
	"sst-dump -f cdb t.sst"
	"sst-info t.sst"
	"sst-info --json t.sst"
	"sst-verify t.sst"
)

@test "exit codes: stdout closed early with SIGPIPE ignored is 4 'stdout: write: Broken pipe' in every tool" {
	for cmd in "${stdout_writers[@]}"; do
		run closed_stdout ignore $cmd
		[ "${lines[0]}" = 4 ] || fail "$cmd: ${lines[*]}"
		[ "${#lines[@]}" -eq 2 ] || fail "$cmd: want one stderr line: ${lines[*]}"
		[ "${lines[1]}" = "${cmd%% *}: stdout: write: Broken pipe" ] || fail "$cmd: ${lines[1]}"
	done
	# the same with keys on stdin
	run closed_stdout ignore sh -c 'echo a | sst-get t.sst'
	[ "${lines[0]}" = 4 ] && [ "${lines[1]}" = "sst-get: stdout: write: Broken pipe" ]
}

@test "exit codes: stdout closed early with SIGPIPE default is a quiet death by SIGPIPE" {
	for cmd in "${stdout_writers[@]}"; do
		run closed_stdout default $cmd
		[ "${lines[0]}" = "signal 13" ] || fail "$cmd: ${lines[*]}"
		[ "${#lines[@]}" -eq 1 ] || fail "$cmd: said something: ${lines[*]}"
	done
}

@test "exit codes: sst-dump T | head -1 with SIGPIPE ignored is 4 naming stdout" {
	skip_if_san
	awk 'BEGIN { for (i = 0; i < 200000; i++) printf "key%07d\tvalue-%d\n", i, i }' >big.tsv
	sst-build -q -o big.sst big.tsv
	run bash -c 'trap "" PIPE; sst-dump big.sst 2>err | head -1; echo "${PIPESTATUS[0]}"; cat err'
	[ "${lines[0]}" = "key0000000	value-0" ]
	[ "${lines[1]}" = 4 ]
	[ "${lines[2]}" = "sst-dump: stdout: write: Broken pipe" ]
	[ "${#lines[@]}" -eq 3 ]
	run bash -c 'sst-dump big.sst 2>err | head -1; echo "${PIPESTATUS[0]}"; cat err'
	[ "${lines[1]}" = $((128 + 13)) ]
	[ "${#lines[@]}" -eq 2 ]
}

@test "exit codes: stdout on a full disk is 4 'stdout: write: No space left on device'" {
	[ -w /dev/full ] || skip "no /dev/full"
	for cmd in "${stdout_writers[@]}"; do
		run --separate-stderr bash -c "$cmd >/dev/full"
		[ "$status" -eq 4 ] || fail "$cmd: exit $status"
		check_err "${cmd%% *}" ': stdout: write: No space left on device$'
	done
	# sst-merge --compact prints a summary of what it did
	for i in 1 2 3 4; do printf 'k%d\tv\n' "$i" | sst-build -q --into st; done
	run --separate-stderr bash -c "sst-merge --compact --set min-threshold=2 st >/dev/full"
	[ "$status" -eq 4 ]
	check_err sst-merge '^sst-merge: stdout: write: No space left on device$'
}

@test "exit codes: --help and --version on a full disk are 4 naming stdout in every tool" {
	[ -w /dev/full ] || skip "no /dev/full"
	local t opt
	for t in sst-build sst-dump sst-get sst-info sst-ingest sst-merge sst-sample sst-verify \
	    wal-append wal-replay; do
		for opt in --help -h --version; do
			run --separate-stderr bash -c "$t $opt >/dev/full"
			[ "$status" -eq 4 ] || fail "$t $opt: exit $status"
			check_err "$t" "^$t: stdout: write: No space left on device$"
		done
		run "$t" --help
		[ "$status" -eq 0 ] && [[ "$output" == Usage:* ]] || fail "$t --help: $status"
	done
}
