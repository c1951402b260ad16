#!/usr/bin/env bats
# fault.bats - I/O fault injection (issue 5 §2). Each tool's typical command
# runs once per failure point: the Nth counted write, read, fsync, rename,
# open or allocation fails (tests/fault/faultinject.c, LD_PRELOAD), for
# N = 1, 2, ... until the command runs without meeting a failure. After each
# run: exit 4 with one stderr line naming a file, nothing published under the
# final name (an existing output byte-identical), no temporary file left in
# the output directory or TMPDIR, a store still verifies with its old
# content, a WAL unchanged. A run that still exits 0 (a fallback absorbed the
# failure) must have produced exactly the right output.
#
# SST_FAULT_FULL=1 (make check-fault) tries every failure point; otherwise
# (the plain bats suite) the first 3 of each class. SST_FAULT_SUMMARY=FILE
# gets one line per command and class: points injected, points passed.
# Skipped under SST_SAN=1: the shim and ASan both interpose malloc.

load common

setup_file() {
	[ "${SST_SAN:-0}" = 1 ] && return 0
	local shim=${SST_FAULT_SHIM:-}
	if [ -z "$shim" ] || [ ! -f "$shim" ]; then
		shim="$BATS_FILE_TMPDIR/faultinject.so"
		cc -std=c11 -D_GNU_SOURCE -O2 -fPIC -shared -o "$shim" \
		    "$BATS_TEST_DIRNAME/../fault/faultinject.c" -ldl || return 1
	fi
	export SST_FAULT_SHIM=$shim
	# Inputs shared by the tests: ~1.3 MB of tsv (spills under -m 1M).
	awk 'BEGIN { srand(7); for (i = 0; i < 30000; i++)
	    printf "key%08d\tvalue-%d-xxxxxxxxxxxxxxxxxxxxxxxx\n", int(rand() * 1e8), i }' \
	    >"$BATS_FILE_TMPDIR/big.tsv"
	head -2000 "$BATS_FILE_TMPDIR/big.tsv" >"$BATS_FILE_TMPDIR/a.tsv"
	tail -2000 "$BATS_FILE_TMPDIR/big.tsv" >"$BATS_FILE_TMPDIR/b.tsv"
	printf 'key%08d\n' 1 2 3 >"$BATS_FILE_TMPDIR/dels.tsv"
	sed -n '1,2000p' "$BATS_FILE_TMPDIR/big.tsv" | awk 'NR % 7 == 0 { print $1 }' \
	    >>"$BATS_FILE_TMPDIR/dels.tsv"
}

setup() {
	skip_if_san "the fault shim and ASan both interpose malloc"
	common_setup
	cp "$BATS_FILE_TMPDIR"/*.tsv "$T/"
	FI_CLASSES=${FI_CLASSES:-"write read sync rename open malloc"}
	if [ "${SST_FAULT_FULL:-0}" = 1 ]; then FI_MAX=100000; else FI_MAX=3; fi
}

# dumpc SOURCE... : the merged content with tombstones, cdb form.
dumpc() {
	sst-dump --tombstones -f cdb "$@"
}

# dumps STORE: a store's visible content (compaction may drop tombstones).
dumps() {
	sst-dump -f cdb "$@"
}

# The failing call as logged by the shim: "fail CLASS FUNC N ERRNO PATH".
fi_failed_path() {
	sed -n 's/^fail [a-z]* [a-z0-9_]* [0-9]* [A-Z]* //p' "$T/fi.log" | head -1
}

# True when the injected failure hit the fsync of a directory (or the open
# of the directory for it): the output was already renamed into place, so
# it may be the new one, complete (counted and reported).
fi_after_publish() {
	local p
	grep -qE '^fail (sync|open) ' "$T/fi.log" || return 1
	p=$(fi_failed_path)
	[ -d "$p" ]
}

# The one stderr line must be "TOOL: LOCATION: what", LOCATION a path.
fi_check_message() {
	local tool=$1 loc
	check_err "$tool" "^$tool: [^ ]" || return 1
	loc=${stderr_lines[0]#"$tool: "}
	loc=${loc%%: *}
	loc=${loc%@*}
	loc=${loc%:[0-9]*}
	[ -n "$loc" ] || { fail "no file named in: ${stderr_lines[0]}"; return 1; }
	# (or a file of a new store that the failed command removed again)
	[ -e "$loc" ] || [ -d "$(dirname -- "$loc")" ] || [ -d "$(dirname -- "$(dirname -- "$loc")")" ] ||
		fail "message does not name a file: ${stderr_lines[0]}"
}

# The store verifies, every table in it is listed by its manifest (no
# leftover table) and no temporary file is left. After a failure once
# something was published (FI_LEFTOVERS_OK=1: the fsync of a directory after
# a rename failed), unlisted tables are allowed: the contract has the next
# writer remove them, and the loop checks that it does. Returns its verdict
# itself: it is called in conditions, where `set -e` does not apply.
fi_store_clean() {
	local st=$1 f bad=0
	run sst-verify -q "$st"
	[ "$status" -eq 0 ] || { fail "store $st does not verify after the failure: $output"; bad=1; }
	for f in "$st"/*.sst; do
		[ -e "$f" ] || continue
		[ "${FI_LEFTOVERS_OK:-0}" = 1 ] && continue
		grep -q "^table $(basename "$f") " "$st/MANIFEST" ||
			{ fail "table $f left in the store, not in its manifest"; bad=1; }
	done
	[ -z "$(find "$st" -maxdepth 1 -name '.*tmp*')" ] ||
		{ fail "temporary files left in $st: $(ls -a "$st")"; bad=1; }
	return $bad
}

# After a failure that left unlisted tables: the next writer removes them.
fi_next_writer_cleans() {
	local st=$1 f
	[ -d "$st" ] && [ -f "$st/MANIFEST" ] || return 0
	: | sst-build -q --into "$st" || { fail "next writer failed on $st"; return 1; }
	for f in "$st"/*.sst; do
		[ -e "$f" ] || continue
		grep -q "^table $(basename "$f") " "$st/MANIFEST" ||
			{ fail "table $f still left after the next writer"; return 1; }
	done
}

# fi_loop NAME TOOL: runs the command FI_CMD (an array) once per failure
# point and class, with fi_setup before and fi_ok / fi_bad after (functions
# the test defines).
fi_loop() {
	local name=$1 tool=$2 class n injected passed published
	for class in $FI_CLASSES; do
		injected=0 passed=0 published=0
		for ((n = 1; n <= FI_MAX; n++)); do
			fi_setup
			rm -f "$T/fi.log"
			run --separate-stderr env FI_CLASS="$class" FI_N="$n" FI_LOG="$T/fi.log" \
			    LD_PRELOAD="$SST_FAULT_SHIM" "${FI_CMD[@]}"
			if ! grep -q '^fail ' "$T/fi.log" 2>/dev/null; then
				[ "$status" -eq 0 ] ||
					fail "$name: $class: failed with no fault injected (status $status): $stderr"
				fi_ok || fail "$name: $class: wrong output with no fault injected"
				break
			fi
			injected=$((injected + 1))
			if [ "$status" -eq 0 ]; then
				fi_ok || fail "$name: $class #$n ($(head -1 "$T/fi.log")): exit 0 but wrong output"
			elif [ "$class" = malloc ] && [ "$status" -eq 1 ] &&
			    [ "$stderr" = "Fatal Internal Error in libarchive: Out of memory" ]; then
				# libarchive exits(1) itself when some of its reallocs
				# fail (archive_string.c); nothing of ours ran after it,
				# so the old state must stand.
				fi_bad || fail "$name: $class #$n ($(head -1 "$T/fi.log")): state after libarchive's exit"
				no_tmp_left . || fail "$name: $class #$n ($(head -1 "$T/fi.log"))"
			else
				[ "$status" -eq 4 ] ||
					fail "$name: $class #$n ($(head -1 "$T/fi.log")): exit $status, want 4: $stderr"
				fi_check_message "$tool" ||
					fail "$name: $class #$n ($(head -1 "$T/fi.log"))"
				FI_LEFTOVERS_OK=0
				fi_after_publish && FI_LEFTOVERS_OK=1
				if [ "$FI_LEFTOVERS_OK" = 1 ] && fi_ok 2>/dev/null; then
					published=$((published + 1))
				else
					fi_bad || fail "$name: $class #$n ($(head -1 "$T/fi.log")): state after the failure"
				fi
				if [ "$FI_LEFTOVERS_OK" = 1 ] && [ -n "${FI_STORE:-}" ]; then
					FI_LEFTOVERS_OK=0
					fi_next_writer_cleans "$FI_STORE" ||
						fail "$name: $class #$n ($(head -1 "$T/fi.log")): leftovers"
				fi
				FI_LEFTOVERS_OK=0
				no_tmp_left . || fail "$name: $class #$n ($(head -1 "$T/fi.log"))"
			fi
			passed=$((passed + 1))
		done
		[ -n "${SST_FAULT_SUMMARY:-}" ] &&
			echo "$name $class: $injected points injected, $passed passed, $published failed after publishing" \
			    >>"$SST_FAULT_SUMMARY"
	done
	return 0
}

@test "fault: sst-build -m 1M (external sort, spilled runs) over an existing output" {
	sst-build -q -o old.sst a.tsv
	sst-build -q -m 1M -o want.sst big.tsv
	dumpc want.sst >want.cdb
	fi_setup() { rm -f out.sst; cp old.sst out.sst; }
	FI_CMD=(sst-build -q -m 1M -o out.sst big.tsv)
	fi_ok() { sst-verify -q out.sst && dumpc out.sst | cmp -s - want.cdb; }
	fi_bad() { same out.sst old.sst; }
	fi_loop sst-build sst-build
}

@test "fault: sst-merge into a new output" {
	sst-build -q -o a.sst a.tsv
	sst-build -q --delete -o d.sst dels.tsv
	sst-build -q -o b.sst b.tsv
	sst-merge -q -o want.sst a.sst d.sst b.sst
	dumpc want.sst >want.cdb
	fi_setup() { rm -f m.sst; }
	FI_CMD=(sst-merge -q -o m.sst a.sst d.sst b.sst)
	fi_ok() { sst-verify -q m.sst && dumpc m.sst | cmp -s - want.cdb; }
	fi_bad() { [ ! -e m.sst ] || fail "m.sst published after a failure"; }
	fi_loop sst-merge sst-merge
}

# split_ok PREFIX N: parts PREFIX-0001.sst .. PREFIX-000N.sst all there and
# verified, together holding want.cdb; split_none PREFIX: no part, no hidden part.
split_ok() {
	local j parts=()
	for ((j = 1; j <= $2; j++)); do
		parts+=("$(printf '%s-%04d.sst' "$1" "$j")")
		sst-verify -q "${parts[-1]}" || return 1
	done
	dumpc "${parts[@]}" | cmp -s - want.cdb
}
split_none() {
	[ -z "$(ls -A | grep -E "^\.?$1-[0-9]+")" ] || fail "parts left: $(ls -A)"
}

@test "fault: sst-build --split-at: all parts or none" {
	printf 'key3\nkey5\nkey9\n' >splits	# the last part is empty
	sst-build -q -m 1M -o want.sst big.tsv
	dumpc want.sst >want.cdb
	fi_setup() { rm -f p-*.sst; }
	FI_CMD=(sst-build -q -m 1M --split-at splits -o p.sst big.tsv)
	fi_ok() { split_ok p 4; }
	fi_bad() { split_none p; }
	fi_loop sst-build-split-at sst-build
}

@test "fault: sst-merge --split-at: all parts or none" {
	printf 'key3\nkey5\nkey9\n' >splits
	sst-build -q -o a.sst a.tsv
	sst-build -q --delete -o d.sst dels.tsv
	sst-build -q -o b.sst b.tsv
	sst-merge -q -o want.sst a.sst d.sst b.sst
	dumpc want.sst >want.cdb
	fi_setup() { rm -f m-*.sst; }
	FI_CMD=(sst-merge -q --split-at splits -o m.sst a.sst d.sst b.sst)
	fi_ok() { split_ok m 4; }
	fi_bad() { split_none m; }
	fi_loop sst-merge-split-at sst-merge
}

@test "fault: sst-build --into a store" {
	sst-build -q --into st0 a.tsv
	sst-build -q --into st0 --delete dels.tsv
	dumps st0 >old.cdb
	cp -a st0 want && sst-build -q --into want b.tsv && dumps want >want.cdb
	fi_setup() { rm -rf st; cp -a st0 st; }
	FI_STORE=st
	FI_CMD=(sst-build -q --into st b.tsv)
	fi_ok() { fi_store_clean st && dumps st | cmp -s - want.cdb; }
	fi_bad() { fi_store_clean st && dumps st | cmp -s - old.cdb; }
	fi_loop sst-build-into sst-build
}

@test "fault: sst-ingest into a store, and into a new store" {
	sst-build -q --into st0 a.tsv
	sst-build -q --into st0 --delete dels.tsv
	sst-build -q -o b.sst b.tsv
	sst-build -q -o c.sst a.tsv
	dumps st0 >old.cdb
	cp -a st0 want && sst-ingest -q want b.sst c.sst && dumps want >want.cdb
	fi_setup() { rm -rf st; cp -a st0 st; }
	FI_STORE=st
	FI_CMD=(sst-ingest -q st b.sst c.sst)
	fi_ok() { fi_store_clean st && dumps st | cmp -s - want.cdb && [ -f b.sst ] && [ -f c.sst ]; }
	fi_bad() { fi_store_clean st && dumps st | cmp -s - old.cdb && [ -f b.sst ] && [ -f c.sst ]; }
	fi_loop sst-ingest sst-ingest
	# a store that the failing command created is removed again: an empty
	# directory made a store is emptied again ...
	sst-ingest -q new0 b.sst c.sst && dumps new0 >new.cdb
	fi_setup() { rm -rf nst; mkdir nst; }
	FI_STORE=nst
	FI_CMD=(sst-ingest -q nst b.sst c.sst)
	fi_ok() { fi_store_clean nst && dumps nst | cmp -s - new.cdb; }
	fi_bad() { [ -z "$(ls -A nst)" ] || fail "nst not emptied: $(ls -A nst)"; }
	fi_loop sst-ingest-new sst-ingest
	# ... and a directory it made is removed
	local n
	for n in 1 2 3; do
		rm -f "$T/fi.log"
		run --separate-stderr env FI_CLASS=write FI_N=$n FI_LOG="$T/fi.log" \
		    LD_PRELOAD="$SST_FAULT_SHIM" sst-ingest -q nd b.sst c.sst
		grep -q '^fail ' "$T/fi.log" || break
		[ "$status" -eq 4 ] || fail "write #$n: status $status"
		[ ! -e nd ] || fail "write #$n: nd left: $(ls -a nd)"
	done
	[ "$n" -gt 1 ]
}

@test "fault: sst-merge --compact a store" {
	local i
	for i in 1 2 3 4; do sst-build -q --into st0 a.tsv; done
	sst-build -q --into st0 --delete dels.tsv
	dumps st0 >want.cdb
	fi_setup() { rm -rf st; cp -a st0 st; }
	FI_STORE=st
	FI_CMD=(sst-merge -q --compact st)
	fi_ok() { fi_store_clean st && dumps st | cmp -s - want.cdb; }
	fi_bad() { fi_ok; }
	fi_loop sst-merge-compact sst-merge
}

@test "fault: wal-append to an existing WAL" {
	wal-append w0.wal a.tsv
	cp w0.wal want.wal && wal-append want.wal b.tsv
	wal-replay -q -o want.sst want.wal 2>/dev/null || wal-replay -o want.sst want.wal
	dumpc want.sst >want.cdb
	fi_setup() { rm -f w.wal r.sst; cp w0.wal w.wal; }
	FI_CMD=(wal-append w.wal b.tsv)
	fi_ok() { wal-replay -o r.sst w.wal 2>/dev/null && dumpc r.sst | cmp -s - want.cdb && rm -f r.sst; }
	fi_bad() { same w.wal w0.wal; }
	fi_loop wal-append wal-append
}

@test "fault: wal-replay -o over an existing output" {
	wal-append w.wal a.tsv
	wal-append --delete w.wal dels.tsv
	wal-append w.wal b.tsv
	cp w.wal w0.wal
	sst-build -q -o old.sst b.tsv
	wal-replay -o want.sst w.wal 2>/dev/null
	dumpc want.sst >want.cdb
	fi_setup() { rm -f out.sst; cp old.sst out.sst; }
	FI_CMD=(wal-replay -o out.sst w.wal)
	fi_ok() { sst-verify -q out.sst && dumpc out.sst | cmp -s - want.cdb && same w.wal w0.wal; }
	fi_bad() { same out.sst old.sst && same w.wal w0.wal; }
	fi_loop wal-replay wal-replay
}

@test "fault: wal-replay --into a store --remove" {
	sst-build -q --into st0 a.tsv
	wal-append w0.wal b.tsv
	wal-append --delete w0.wal dels.tsv
	dumps st0 >old.cdb
	cp -a st0 want && cp w0.wal w.wal && wal-replay --into want w.wal && dumps want >want.cdb
	fi_setup() { rm -rf st w.wal; cp -a st0 st; cp w0.wal w.wal; }
	FI_STORE=st
	FI_CMD=(wal-replay --remove --into st w.wal)
	fi_ok() { fi_store_clean st && dumps st | cmp -s - want.cdb && [ ! -e w.wal ]; }
	# After a failure the WAL is still there (its records may be in the
	# store already when the failure came after the commit).
	fi_bad() { same w.wal w0.wal && fi_store_clean st &&
	    { dumps st | cmp -s - old.cdb || dumps st | cmp -s - want.cdb; }; }
	fi_loop wal-replay-into wal-replay
}

# ---- the output checks and the removal of stale temporary files ----
# (issue 12 item 3: stat, lock, unlink and directory calls added to the shim)

@test "fault: sst-build -o a link, with a killed run's temporary file beside its target" {
	mkdir other
	sst-build -q -o old.sst a.tsv
	sst-build -q -o want.sst b.tsv
	dumpc want.sst >want.cdb
	fi_setup() {
		rm -rf other/* other/.[!.]* out.sst
		cp old.sst other/t.sst
		ln -s other/t.sst out.sst
		echo stale >other/.t.sst.tmp-STALE1
	}
	FI_CLASSES="stat lock unlink dir open rename sync"
	export FI_ERRNO=EIO	# (EACCES on open: another user's file, left alone)
	FI_CMD=(sst-build -q -o out.sst b.tsv)
	# success: the target replaced, the link kept, the stale file gone
	fi_ok() { [ -L out.sst ] && sst-verify -q other/t.sst && dumpc other/t.sst | cmp -s - want.cdb &&
	    [ -z "$(find other -name '.*tmp*')" ]; }
	# failure: the target as it was, the link kept, no temporary of ours
	fi_bad() { [ -L out.sst ] && same other/t.sst old.sst &&
	    [ -z "$(find other -name '.*tmp*' ! -name '.t.sst.tmp-STALE1')" ]; }
	fi_loop sst-build-link sst-build
}

@test "fault: sst-merge --split with a killed run's temporary parts" {
	local f
	sst-build -q -o a.sst a.tsv
	sst-build -q -o b.sst b.tsv
	sst-merge -q -j 1 -c none --split 32K -o want.sst a.sst b.sst
	for f in want-*.sst; do dumpc "$f"; done | cksum >want.sum
	ls want-*.sst | wc -l >want.n
	fi_setup() {
		rm -f day-*.sst .day-*
		echo stale >.day-0001.sst.tmp-part1
		echo stale >..day-0002.sst.tmp-part1.tmp-ABCDEF
	}
	FI_CLASSES="stat lock unlink dir open rename sync"
	export FI_ERRNO=EIO	# (EACCES on open: another user's file, left alone)
	FI_CMD=(sst-merge -q -j 1 -c none --split 32K -o day.sst a.sst b.sst)
	fi_ok() { [ "$(for f in day-*.sst; do dumpc "$f"; done | cksum)" = "$(cat want.sum)" ] &&
	    [ "$(ls day-*.sst | wc -l)" = "$(cat want.n)" ] && [ -z "$(find . -name '.day-*')" ]; }
	fi_bad() { [ -z "$(find . -maxdepth 1 -name 'day-*.sst')" ] &&
	    rm -f .day-0001.sst.tmp-part1 ..day-0002.sst.tmp-part1.tmp-ABCDEF; }
	fi_loop sst-merge-split sst-merge
}

@test "fault: sst-build --into a new store: a failure leaves no store" {
	sst-build -q --into want a.tsv
	dumps want >want.cdb
	fi_setup() { rm -rf nst; }
	FI_CLASSES="stat lock unlink dir open rename sync write"
	FI_CMD=(sst-build -q --into nst a.tsv)
	fi_ok() { sst-verify -q nst && dumps nst | cmp -s - want.cdb; }
	fi_bad() { [ ! -e nst ] || fail "left: $(ls -A nst)"; }
	fi_loop sst-build-new-store sst-build
}

# ---- failures that need no shim ----

mount_or_skip() {
	[ "$(id -u)" = 0 ] || skip "needs root to mount"
	mount "$@" 2>/dev/null || skip "mount not permitted here"
}

@test "fault: read-only destination directory" {
	mkdir ro
	mount_or_skip --bind ro ro
	if ! mount -o remount,ro,bind ro 2>/dev/null; then umount ro; skip "cannot remount read-only"; fi
	run --separate-stderr sst-build -q -o ro/out.sst a.tsv
	umount ro
	[ "$status" -eq 4 ] || fail "exit $status: $stderr"
	check_err sst-build 'ro/out.sst'
	[ -z "$(ls -A ro)" ] || fail "files in ro: $(ls -A ro)"
	no_tmp_left .
}

@test "fault: read-only store" {
	sst-build -q --into st a.tsv
	dumpc st >old.cdb
	mount_or_skip --bind st st
	if ! mount -o remount,ro,bind st 2>/dev/null; then umount st; skip "cannot remount read-only"; fi
	run --separate-stderr sst-build -q --into st b.tsv
	local rc=$status
	dumpc st | cmp -s - old.cdb || { umount st; fail "store content changed"; }
	umount st
	[ "$rc" -eq 4 ] || fail "exit $rc: $stderr"
	check_err sst-build 'st'
	fi_store_clean st
}

@test "fault: missing input" {
	run --separate-stderr sst-build -q -o out.sst missing.tsv
	[ "$status" -eq 4 ] || fail "exit $status: $stderr"
	check_err sst-build 'missing\.tsv'
	[ ! -e out.sst ]
	run --separate-stderr sst-merge -q -o m.sst missing.sst
	[ "$status" -eq 4 ] || fail "sst-merge: exit $status: $stderr"
	check_err sst-merge 'missing\.sst'
	[ ! -e m.sst ]
	run --separate-stderr wal-replay -o r.sst missing.wal
	[ "$status" -eq 4 ] || fail "wal-replay: exit $status: $stderr"
	check_err wal-replay 'missing\.wal'
	[ ! -e r.sst ]
	run --separate-stderr wal-append w.wal missing.tsv
	[ "$status" -eq 4 ] || fail "wal-append: exit $status: $stderr"
	check_err wal-append 'missing\.tsv'
	no_tmp_left .
}

@test "fault: an input that is a directory" {
	mkdir d
	run --separate-stderr sst-build -q -o out.sst d
	[ "$status" -eq 4 ] || fail "exit $status: $stderr"
	check_err sst-build 'd: .*[Dd]irectory'
	[ ! -e out.sst ]
	run --separate-stderr sst-merge -q -o m.sst d
	[ "$status" -eq 4 ] || [ "$status" -eq 3 ] || fail "sst-merge: exit $status: $stderr"
	check_err sst-merge 'd'
	[ ! -e m.sst ]
	run --separate-stderr wal-replay -o r.sst d
	[ "$status" -eq 4 ] || fail "wal-replay: exit $status: $stderr"
	check_err wal-replay 'd'
	[ ! -e r.sst ]
	no_tmp_left .
}

# run_full_tmp TOOL REGEX CMD...: CMD with a 1 MiB tmpfs at ./small, which
# fills up: exit 4, one line "TOOL: ..." matching REGEX and naming ENOSPC,
# nothing left in small.
run_full_tmp() {
	local tool=$1 re=$2 left
	shift 2
	mkdir small
	mount_or_skip -t tmpfs -o size=1m tmpfs small
	run --separate-stderr "$@"
	left=$(ls -A small)
	umount small
	[ "$status" -eq 4 ] || fail "exit $status: $stderr"
	check_err "$tool" "$re"
	[[ "$stderr" == *"No space left"* ]] || fail "want ENOSPC: $stderr"
	[ -z "$left" ] || fail "left in the tmpdir: $left"
}

@test "fault: a full --tmpdir (1 MiB tmpfs) while sorting" {
	run_full_tmp sst-build 'small|No space' sst-build -q -m 1M -T small -o out.sst big.tsv
	[ ! -e out.sst ]
	no_tmp_left .
}

@test "fault: sst-get's batch spill on a full TMPDIR (1 MiB tmpfs)" {
	# 9000 values of 1000 bytes, all asked: over the 6 MiB arena, so they spill
	awk 'BEGIN { for (i = 0; i < 9000; i++) { printf "k%05d\t", i
	    for (j = 0; j < 100; j++) printf "0123456789"; printf "\n" } }' >v.tsv
	sst-build -q -o v.sst v.tsv
	cut -f1 v.tsv >q
	run_full_tmp sst-get "^sst-get: $T/small: " env TMPDIR="$T/small" "$SST_BIN/sst-get" v.sst <q
}

@test "fault: a full output file system (256 KiB tmpfs)" {
	mkdir small
	mount_or_skip -t tmpfs -o size=256k tmpfs small
	sst-build -q -o small/old.sst a.tsv
	cp small/old.sst keep.sst
	run --separate-stderr sst-build -q -c none -o small/old.sst big.tsv
	local left
	left=$(ls -A small)
	same small/old.sst keep.sst || { umount small; fail "existing output changed"; }
	umount small
	[ "$status" -eq 4 ] || fail "exit $status: $stderr"
	check_err sst-build 'small/old.sst'
	[ "$left" = old.sst ] || fail "left in the output dir: $left"
	no_tmp_left .
}
