#!/usr/bin/env bats
# outputs.bats - output paths (CONTRACT.md, "Outputs are checked before the
# work" and "Nothing is lost on failure"; issue 12 item 3), per tool that
# writes an output file: sst-build -o, sst-merge -o (and --split), wal-replay
# -o. A directory, device, FIFO or socket at -o is exit 2, a missing
# directory exit 4, both before any input is read (the input here is a FIFO
# nobody writes: reading it would hang, `timeout` turns that into 124); a
# symbolic link is followed and left as it is; temporary files of a kill -9
# go with the next run that writes the same output, never a live writer's;
# a command that fails while creating a store leaves no store.

load common

setup() {
	common_setup
	printf 'a\t1\nb\t2\nc\t3\n' >a.tsv
	mkfifo never	# an input nobody writes
}

# run_t CMD...: run with stderr apart, killed after 20 s (status 124).
run_t() {
	run --separate-stderr timeout 20 "$@"
}

# want STATUS TOOL REGEX: the last run's status and its one stderr line.
want() {
	[ "$status" -eq "$1" ] || { fail "exit $status, want $1: $stderr"; return 1; }
	check_err "$2" "$3"
}

# wait_for GLOB: until a file matching GLOB exists (10 s at most).
wait_for() {
	local i f
	for i in $(seq 200); do
		for f in $1; do [ -e "$f" ] && return 0; done
		sleep 0.05
	done
	fail "no file $1 appeared"
}

# The rejected kinds of -o for one tool; "$@" is the command with OUT for -o.
rejects_bad_outputs() {
	local tool=$1 out
	shift
	mkdir dir
	for out in dir /dev/full /dev/null never; do
		run_t "${@/OUT/$out}"
		want 2 "$tool" "^$tool: $out: output is a (directory|character device|FIFO), not a regular file$"
	done
	[ -d dir ] && [ -z "$(ls -A dir)" ]
	[ -c /dev/full ] && [ -c /dev/null ] && [ -p never ]
	# a link to one of them: the same, naming the link and what it names
	ln -s dir l-dir
	ln -s /dev/null l-null
	run_t "${@/OUT/l-dir}"
	want 2 "$tool" "^$tool: l-dir: output links to dir, a directory, not a regular file$"
	run_t "${@/OUT/l-null}"
	want 2 "$tool" "^$tool: l-null: output links to /dev/null, a character device"
	[ -L l-dir ] && [ -L l-null ] && [ -c /dev/null ]
	if command -v python3 >/dev/null; then
		python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' sock
		run_t "${@/OUT/sock}"
		want 2 "$tool" "^$tool: sock: output is a socket"
		[ -S sock ]
	fi
	# a missing directory: a system error naming the path
	run_t "${@/OUT/nodir/out.sst}"
	want 4 "$tool" "^$tool: nodir/out.sst: directory nodir: No such file or directory$"
	run_t "${@/OUT/a.tsv/out.sst}"
	want 4 "$tool" "^$tool: a.tsv/out.sst: .*Not a directory$"
	[ ! -e nodir ]
	no_tmp_left . dir
}

@test "outputs: sst-build -o a directory, device, FIFO, socket or missing directory fails before reading input" {
	rejects_bad_outputs sst-build sst-build -q -o OUT never
	# the same with input on stdin: nothing of it is read
	exec 7<>never	# a reader-writer end: opening it does not block
	run_t sst-build -q -o dir <&7
	exec 7>&-
	want 2 sst-build "^sst-build: dir: output is a directory"
}

@test "outputs: sst-merge -o a directory, device, FIFO, socket or missing directory fails before reading input" {
	rejects_bad_outputs sst-merge sst-merge -q -o OUT never
}

@test "outputs: wal-replay -o a directory, device, FIFO, socket or missing directory fails before reading input" {
	rejects_bad_outputs wal-replay wal-replay -q -o OUT never
}

@test "outputs: an unwritable output directory is exit 4 before reading input" {
	mkdir ro
	chmod 555 ro
	if [ "$(id -u)" = 0 ]; then
		# root writes anyway: a read-only bind mount instead
		mount --bind ro ro 2>/dev/null || skip "needs a non-root user or mount"
		mount -o remount,ro,bind ro 2>/dev/null || { umount ro; skip "cannot remount read-only"; }
	fi
	local rc=0
	run_t sst-build -q -o ro/out.sst never
	want 4 sst-build '^sst-build: ro/out.sst: directory ro: (Permission denied|Read-only file system)$' || rc=1
	run_t sst-merge -q -o ro/out.sst never
	want 4 sst-merge '^sst-merge: ro/out.sst: directory ro: ' || rc=1
	run_t sst-merge -q --split 1M -o ro/out.sst never
	want 4 sst-merge '^sst-merge: ro/out.sst: directory ro: ' || rc=1
	run_t wal-replay -q -o ro/out.sst never
	want 4 wal-replay '^wal-replay: ro/out.sst: directory ro: ' || rc=1
	[ "$(id -u)" = 0 ] && umount ro
	[ "$rc" -eq 0 ]
	[ -z "$(ls -A ro)" ]
}

# Writes through a link for one tool: "$@" is the command with OUT for -o.
follows_links() {
	local tool=$1 f
	shift
	mkdir other
	printf 'old\n' >other/target.sst
	ln -s other/target.sst link.sst
	ln -s link.sst link2.sst	# a chain
	"${@/OUT/link2.sst}"
	[ -L link.sst ] && [ -L link2.sst ] || fail "$tool: a link was replaced"
	[ "$(readlink link.sst)" = other/target.sst ]
	sst-verify -q other/target.sst || fail "$tool: the link's target was not replaced"
	# an absolute link to a name that does not exist yet: created there
	ln -s "$PWD/other/new.sst" dangling.sst
	"${@/OUT/dangling.sst}"
	[ -L dangling.sst ] && sst-verify -q other/new.sst
	for f in other/*.sst; do sst-dump "$f" >/dev/null; done
	no_tmp_left . other
}

@test "outputs: sst-build -o a symbolic link replaces the file it names, the link stays" {
	follows_links sst-build sst-build -q -o OUT a.tsv
	[ "$(sst-dump other/target.sst | wc -l)" -eq 3 ]
}

@test "outputs: sst-merge -o a symbolic link replaces the file it names, the link stays" {
	sst-build -q -o in.sst a.tsv
	follows_links sst-merge sst-merge -q -o OUT in.sst
	[ "$(sst-dump other/target.sst | wc -l)" -eq 3 ]
}

@test "outputs: wal-replay -o a symbolic link replaces the file it names, the link stays" {
	wal-append w.wal a.tsv
	follows_links wal-replay wal-replay -q -o OUT w.wal
	[ "$(sst-dump other/target.sst | wc -l)" -eq 3 ]
}

@test "outputs: sst-merge --split checks the parts' directory and existing part names first" {
	awk 'BEGIN { for (i = 0; i < 20000; i++) printf "k%08d\tv%d-%s\n", i * 7919 % 20000, i, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" }' >big.tsv
	sst-build -q -c none -o in.sst big.tsv
	run_t sst-merge -q --split 64K -o nodir/day.sst never
	want 4 sst-merge '^sst-merge: nodir/day.sst: directory nodir: No such file or directory$'
	mkdir day-0002.sst
	run_t sst-merge -q --split 64K -o day.sst never
	want 2 sst-merge '^sst-merge: day-0002.sst: output is a directory, not a regular file$'
	rmdir day-0002.sst
	mkfifo day-0003.sst
	run_t sst-merge -q --split 64K -o day.sst never
	want 2 sst-merge '^sst-merge: day-0003.sst: output is a FIFO, not a regular file$'
	[ -p day-0003.sst ]
	rm day-0003.sst
	ln -s /dev/full day-00001.sst	# 5 digits: a part name too
	run_t sst-merge -q --split 64K -o day.sst never
	want 2 sst-merge '^sst-merge: day-00001.sst: output links to /dev/full, a character device'
	rm day-00001.sst
	# a part that is a link: the file it names gets the part, the link stays
	mkdir other
	printf 'old\n' >other/p2.sst
	ln -s other/p2.sst day-0002.sst
	run --separate-stderr sst-merge -q -j 1 -c none --split 64K -o day.sst in.sst
	[ "$status" -eq 0 ] || fail "exit $status: $stderr"
	[ -e day-0003.sst ] || fail "want 3 or more parts: $(ls)"
	[ -L day-0002.sst ] && sst-verify -q other/p2.sst
	[ "$(cat day-*.sst | wc -c)" -gt 0 ]
	[ "$(sst-dump day-*.sst | wc -l)" -eq 20000 ]
	no_tmp_left . other
}

@test "outputs: --split-at (sst-build, sst-merge) checks every part name first; a link at a part is followed" {
	printf 'a\t1\nm\t2\nz\t3\n' >in.tsv
	sst-build -q -o in.sst in.tsv
	printf 'h\np\n' >splits
	for cmd in "sst-build -q --split-at splits -o day.sst never" "sst-merge -q --split-at splits -o day.sst never"; do
		t=${cmd%% *}
		mkfifo day-0002.sst
		run_t $cmd
		want 2 "$t" '^[a-z-]+: day-0002.sst: output is a FIFO, not a regular file$'
		[ -p day-0002.sst ]
		rm day-0002.sst
		run_t ${cmd/day.sst/nodir\/day.sst}
		want 4 "$t" '^[a-z-]+: nodir/day.sst: directory nodir: No such file or directory$'
	done
	mkdir other
	printf 'old\n' >other/p2.sst
	ln -s other/p2.sst day-0002.sst
	sst-build -q --split-at splits -o day.sst in.tsv
	[ -L day-0002.sst ] && sst-verify -q other/p2.sst
	[ "$(sst-dump other/p2.sst)" = $'m\t2' ]
	sst-merge -q --split-at splits -o m.sst in.sst
	[ "$(sst-dump m-0001.sst m-0002.sst m-0003.sst | wc -l)" -eq 3 ]
	no_tmp_left . other
}

@test "outputs: sst-build: a kill -9 leaves a temporary file; the next run removes it" {
	sst-build -q -o int.sst a.tsv
	cp int.sst old.sst
	sst-build -q -o int.sst never 7>&- &
	local pid=$!
	wait_for '.int.sst.tmp-*'
	kill -9 "$pid"
	wait "$pid" || true
	local left
	left=$(ls -A | grep '^\.int\.sst\.tmp-')
	[ -n "$left" ] || fail "no temporary file left by the kill"
	same int.sst old.sst
	# an unrelated writer leaves it; the next writer of int.sst removes it
	sst-build -q -o other.sst a.tsv
	[ -e "$left" ]
	printf 'z\t9\n' | sst-build -q -o int.sst
	[ ! -e "$left" ] || fail "$left outlived the next run"
	[ "$(sst-dump int.sst)" = "$(printf 'z\t9')" ]
	no_tmp_left .
}

@test "outputs: sst-build: a live writer's temporary file is not removed by a concurrent run of the same output" {
	exec 7<>never	# hold the FIFO open for writing: the first writer's input
	sst-build -q -o int.sst never 7>&- &
	local pid=$!
	wait_for '.int.sst.tmp-*'
	local live
	live=$(ls -A | grep '^\.int\.sst\.tmp-')
	sst-build -q -o int.sst a.tsv
	[ -e "$live" ] || fail "the live writer's $live was removed"
	[ "$(sst-dump int.sst | wc -l)" -eq 3 ]
	# the first writer finishes normally, and wins (it renames last)
	printf 'late\tv\n' >&7
	exec 7>&-
	wait "$pid" || fail "the first writer failed"
	[ "$(sst-dump int.sst)" = "$(printf 'late\tv')" ]
	no_tmp_left .
}

@test "outputs: sst-merge --split: stale temporary parts go with the next run, live ones stay" {
	awk 'BEGIN { for (i = 0; i < 20000; i++) printf "k%08d\tv%d-%s\n", i * 7919 % 20000, i, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" }' >big.tsv
	sst-build -q -c none -o in.sst big.tsv
	# a killed run's: a finished part, a part being written, an -o temp
	echo stale >.day-0001.sst.tmp-part999
	echo stale >..day-0009.sst.tmp-part999.tmp-AbCdEf
	echo stale >.m.sst.tmp-XyZ123
	# a live run's (its lock held)
	echo live >.day-0002.sst.tmp-part1
	hold_lock .day-0002.sst.tmp-part1 30
	sst-merge -q --split 64K -o day.sst in.sst
	[ ! -e .day-0001.sst.tmp-part999 ] && [ ! -e ..day-0009.sst.tmp-part999.tmp-AbCdEf ]
	[ -e .day-0002.sst.tmp-part1 ] || fail "a live part was removed"
	[ -e .m.sst.tmp-XyZ123 ]	# another output's: for its own next run
	sst-merge -q -o m.sst in.sst
	[ ! -e .m.sst.tmp-XyZ123 ]
	kill %1 2>/dev/null || true
	wait || true
	rm -f .day-0002.sst.tmp-part1
	no_tmp_left .
}

@test "outputs: wal-replay -o: flushed tables of a killed run go with the next run, a live run's stay" {
	awk 'BEGIN { for (i = 0; i < 60000; i++) printf "k%08d\tv%d-%s\n", i * 7919 % 60000, i, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" }' >big.tsv
	wal-append w.wal big.tsv
	wal-replay -q --memtable-size 64K -o r.sst w.wal &
	local pid=$!
	wait_for "$TMPDIR/wal-replay-*-2.sst"
	kill -9 "$pid"
	wait "$pid" || true
	[ -n "$(ls -A "$TMPDIR")" ] || fail "the kill left nothing to test with"
	# a live run's group (its anchor locked) in the same TMPDIR
	mkdir keep
	echo live >"$TMPDIR/wal-replay-LIVE00.lock"
	echo live >"$TMPDIR/wal-replay-LIVE00-1.sst"
	hold_lock "$TMPDIR/wal-replay-LIVE00.lock" 30
	wal-replay -q -o r.sst w.wal
	sst-verify -q r.sst
	[ "$(sst-dump r.sst | wc -l)" -eq 60000 ]
	[ "$(ls -A "$TMPDIR" | sort | tr '\n' ' ')" = "wal-replay-LIVE00-1.sst wal-replay-LIVE00.lock " ] ||
		fail "left in TMPDIR: $(ls -A "$TMPDIR")"
	kill %1 2>/dev/null || true
	wait || true
	rm -f "$TMPDIR"/wal-replay-LIVE00*
	no_tmp_left .
}

# kill_creating SIG DIR TOOL ARGS...: TOOL reads a FIFO kept open (so it is
# still at work) while it creates the store DIR; SIG once DIR/MANIFEST is there.
kill_creating() {
	local sig=$1 dir=$2 tool=$3 pid rc=0 i
	shift 3
	rm -f fifo
	mkfifo fifo
	exec 5<>fifo
	cat feed >&5
	bg_sigdfl "$@" &
	pid=$!
	wait_exec "$pid" "$tool"
	for i in $(seq 200); do
		[ -e "$dir/MANIFEST" ] && break
		sleep 0.05
	done
	[ -e "$dir/MANIFEST" ] || fail "$tool made no $dir/MANIFEST"
	kill -"$sig" "$pid"
	wait "$pid" || rc=$?
	exec 5>&-
	[ "$rc" -ne 0 ] || fail "$tool $sig: exit 0"
}

# (the store's code is one for every writer: wal-replay --into too, before
# its first flush; it reads no FIFO, so it is not stopped mid-way here)
@test "outputs: SIGTERM or SIGINT while sst-build --into creates a store leaves none" {
	local sig
	printf 'k\t1\n' >a.tsv
	for sig in TERM INT; do
		cp a.tsv feed
		kill_creating "$sig" new sst-build sst-build -q --into new fifo
		[ ! -e new ] || fail "sst-build $sig: left: $(ls -A new)"
	done
	# an empty directory made a store: empty again; a store that was: kept
	mkdir empty
	cp a.tsv feed
	kill_creating TERM empty sst-build sst-build -q --into empty fifo
	[ -d empty ] && [ -z "$(ls -A empty)" ] || fail "left in empty: $(ls -A empty)"
	sst-build -q --into st a.tsv
	cp st/MANIFEST manifest.old
	kill_creating TERM st sst-build sst-build -q --into st fifo
	same st/MANIFEST manifest.old
	sst-verify -q st
}

@test "outputs: SIGTERM during wal-replay --into: its flushed tables go, new store or old" {
	local pid rc n i dir
	seq -w 300000 | sed 's/$/\tsome value of a fair length/' | wal-append --sync none w.wal
	printf 'a\t1\n' | sst-build -q --into old
	for dir in old new; do
		bg_sigdfl wal-replay -q --memtable-size 64K --into "$dir" w.wal &
		pid=$!
		# stopped once it has flushed a few tables, long before its end
		for i in $(seq 400); do
			n=$(ls "$dir" 2>/dev/null | grep -c '\.sst$' || true)
			[ "$n" -ge 4 ] && break
			sleep 0.02
		done
		kill -STOP "$pid"
		[ "$n" -ge 4 ] || fail "$dir: no flushes seen"
		[ -d "/proc/$pid" ] || fail "$dir: replay ended first"
		kill -TERM "$pid"
		kill -CONT "$pid"
		rc=0
		wait "$pid" || rc=$?
		[ "$rc" -ne 0 ]
	done
	[ ! -e new ] || fail "left: $(ls -A new)"
	[ "$(ls old | grep '\.sst$')" = 000001.sst ] || fail "left: $(ls -A old)"
	[ "$(sst-dump old)" = "$(printf 'a\t1')" ]
	sst-verify -q old
}

@test "outputs: a failed sst-build --into or wal-replay --into leaves no store it created" {
	printf 'b\t1\na\t2\n' >unsorted.tsv
	run --separate-stderr sst-build -q --sorted --into newstore unsorted.tsv
	want 3 sst-build 'unsorted.tsv:2: key out of order'
	[ ! -e newstore ] || fail "left: $(ls -A newstore)"
	# an empty directory made a store, then the command failed: empty again
	mkdir empty
	run --separate-stderr sst-build -q --sorted --into empty unsorted.tsv
	[ "$status" -eq 3 ]
	[ -d empty ] && [ -z "$(ls -A empty)" ] || fail "left in empty: $(ls -A empty)"
	# a store that existed is kept as it was
	sst-build -q --into st a.tsv
	cp st/MANIFEST manifest.old
	run --separate-stderr sst-build -q --sorted --into st unsorted.tsv
	[ "$status" -eq 3 ]
	same st/MANIFEST manifest.old
	# wal-replay: a damaged WAL
	printf 'not a wal' >bad.wal
	run --separate-stderr wal-replay -q --into newstore2 bad.wal
	[ "$status" -eq 3 ] || fail "exit $status: $stderr"
	[ ! -e newstore2 ]
	# a store whose creation succeeded stays, even empty
	: | sst-build -q --into made
	sst-verify -q made
	no_tmp_left . st
}
