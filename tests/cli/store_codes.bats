#!/usr/bin/env bats
# Stores and the contract's exit-status table (CONTRACT.md, "Common
# conventions"), in every tool that takes a store: a directory with no
# MANIFEST is 3, a missing store path 4, a listed table that is missing or
# of another size 3 (sst-verify: 1). sst-info's sums over tables; the
# manifest is read a bounded number of times.

load common
load store_helpers

setup() {
	common_setup
	printf 'a\t1\nb\t2\nc\t3\n' >in.tsv
	sst-build -q -o t.sst in.tsv
	sst-build -q --into st in.tsv
	printf 'b\t22\nd\t4\n' | sst-build -q --into st
	printf 'c\t33\n' | wal-append --sync none w.wal
}

# each_tool DIR: runs every tool on store DIR; prints "TOOL STATUS" lines
# and the first stderr line of each, for the assertions of the callers.
each_tool() {
	local st=$1
	run --separate-stderr sst-get -k a "$st"; echo "sst-get $status ${stderr_lines[0]:-}"
	run --separate-stderr sst-get "$st" <<<"a"; echo "sst-get-batch $status ${stderr_lines[0]:-}"
	run --separate-stderr sst-dump "$st"; echo "sst-dump $status ${stderr_lines[0]:-}"
	run --separate-stderr sst-info "$st"; echo "sst-info $status ${stderr_lines[0]:-}"
	run --separate-stderr sst-info --json "$st"; echo "sst-info-json $status ${stderr_lines[0]:-}"
	run --separate-stderr sst-verify "$st"; echo "sst-verify $status ${stderr_lines[0]:-}"
	run --separate-stderr sst-merge -q -o m.sst "$st"; echo "sst-merge-o $status ${stderr_lines[0]:-}"
	[ ! -e m.sst ] || echo "sst-merge-o left m.sst"
	run --separate-stderr sst-merge -q -o m.sst t.sst "$st"; echo "sst-merge-o2 $status ${stderr_lines[0]:-}"
	[ ! -e m.sst ] || echo "sst-merge-o2 left m.sst"
	run --separate-stderr sst-merge -q --compact "$st"; echo "sst-compact $status ${stderr_lines[0]:-}"
	if [ "${INTO:-1}" = 1 ]; then
		run --separate-stderr sst-build -q --into "$st" in.tsv; echo "sst-build-into $status ${stderr_lines[0]:-}"
		run --separate-stderr wal-replay --into "$st" w.wal; echo "wal-replay-into $status ${stderr_lines[0]:-}"
		if [ -x "$SST_BIN/sst-ingest" ]; then
			run --separate-stderr sst-ingest -q "$st" t.sst; echo "sst-ingest $status ${stderr_lines[0]:-}"
		fi
	fi
}

# expect OUT TOOL STATUS [REGEX]
expect() {
	local line
	line=$(grep "^$2 " <<<"$1") || { fail "no line for $2 in: $1"; return 1; }
	[[ "$line" == "$2 $3 "* ]] || { fail "want $2 exit $3: $line"; return 1; }
	[ -z "${4:-}" ] || [[ "$line" =~ $4 ]] || { fail "want /$4/: $line"; return 1; }
}

@test "store codes: a directory with no MANIFEST is 3 'not a store' in every tool" {
	mkdir plain && echo x >plain/file
	out=$(each_tool plain)
	for t in sst-get sst-get-batch sst-dump sst-info sst-info-json sst-verify sst-merge-o \
	    sst-merge-o2 sst-compact sst-build-into wal-replay-into; do
		expect "$out" "$t" 3 'plain: not a store \(no MANIFEST\)'
	done
	[ ! -x "$SST_BIN/sst-ingest" ] || expect "$out" sst-ingest 3 'not a store \(no MANIFEST\)'
	[[ "$out" != *left* ]] || fail "$out"
	[ "$(ls plain)" = file ]
	# as a table among tables, too
	run --separate-stderr sst-dump t.sst plain
	[ "$status" -eq 3 ]
	check_err sst-dump 'not a store'
}

@test "store codes: a missing store path is 4 in every reader and in compaction" {
	INTO=0 out=$(INTO=0 each_tool nope)
	for t in sst-get sst-get-batch sst-dump sst-info sst-info-json sst-verify sst-merge-o \
	    sst-merge-o2 sst-compact; do
		expect "$out" "$t" 4 'nope: No such file or directory'
	done
	# the writers that create a store: a missing parent directory is 4
	for t in "sst-build -q --into no/st in.tsv" "wal-replay --into no/st w.wal"; do
		run --separate-stderr $t
		[ "$status" -eq 4 ] || fail "$t: $status"
	done
	if [ -x "$SST_BIN/sst-ingest" ]; then
		run --separate-stderr sst-ingest -q no/st t.sst
		[ "$status" -eq 4 ]
	fi
	[ ! -e no ]
}

# damaged_store_codes REGEX: every tool on the damaged store st: 3 (sst-verify
# 1) with a message matching REGEX, and no writer changed it.
damaged_store_codes() {
	cp -a st bad
	out=$(each_tool st)
	for t in sst-get sst-get-batch sst-dump sst-info sst-info-json sst-merge-o sst-merge-o2 \
	    sst-compact sst-build-into wal-replay-into; do
		expect "$out" "$t" 3 "$1"
	done
	[ ! -x "$SST_BIN/sst-ingest" ] || expect "$out" sst-ingest 3 "$1"
	expect "$out" sst-verify 1 "$1"
	diff -r bad st
}

@test "store codes: a listed table missing is 3 everywhere (sst-verify 1)" {
	rm st/"$(tables_of st | head -1)"
	damaged_store_codes missing
}

@test "store codes: a listed table of another size is 3 everywhere (sst-verify 1)" {
	echo >>st/"$(tables_of st | tail -1)"
	damaged_store_codes size
}

@test "store codes: a store with a missing table reads MANIFEST a bounded number of times" {
	need_cmd strace
	skip_if_san "strace under ASan"
	rm st/"$(tables_of st | head -1)"
	for t in "sst-info st" "sst-dump st" "sst-verify st" "sst-get -k a st"; do
		strace -f -e trace=openat -o trace.txt $t >/dev/null 2>&1 || true
		n=$(grep -c 'MANIFEST"' trace.txt)
		[ "$n" -ge 1 ] && [ "$n" -le 2 ] || fail "$t opened MANIFEST $n times"
	done
}

@test "store codes: sst-info STORE labels sums over tables as such, text and --json" {
	run --separate-stderr sst-info st
	[ "$status" -eq 0 ]
	[[ "$output" == *"tables: 2"* ]]
	[[ "$output" == *"records (sum over 2 tables, duplicates and deletes included): 5"* ]] ||
		fail "$output"
	[[ "$output" == *"deletes (sum over 2 tables): 0"* ]]
	[[ "$output" != *$'\nrecords: '* ]]
	run --separate-stderr sst-info --json st
	[ "$status" -eq 0 ]
	printf '%s' "$output" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["tables_summed"] == 2 and d["records_sum_over_tables"] == 5, d
assert d["deletes_sum_over_tables"] == 0 and d["format_version"] == 2, d
assert "records" not in d, d
assert sum(t["records"] for t in d["tables"]) == 5, d
assert d["tables"][0]["smallest_hex"] == "61", d
'
	# a UTF-8 key reads back as its characters; others exactly through *_hex
	printf 'caf\xc3\xa9\tx\n\xff\ty\n' | sst-build -q --into u
	run --separate-stderr sst-info --json u
	printf '%s' "$output" | python3 -c '
import json, sys
t = json.load(sys.stdin)["tables"][0]
assert t["smallest"] == "caf\u00e9", t
assert bytes.fromhex(t["largest_hex"]) == b"\xff", t
'
}

@test "store format: a version-1 store is read as it is and upgraded by its next writer" {
	local data="$BATS_TEST_DIRNAME/../data"
	cp -a "$data/store-v1" v1
	cp -a v1 orig
	[ "$(head -1 v1/MANIFEST)" = "sstkit-store 1" ]
	sst-dump v1 >got.tsv
	same "$data/store-v1.dump" got.tsv
	sst-verify -q v1
	run --separate-stderr sst-info v1
	[ "$status" -eq 0 ]
	[[ "$output" == *"format version: 1"* ]]
	local k v
	while IFS=$'\t' read -r k v; do
		[ "$(sst-get -k "$k" v1)" = "$v" ] || fail "sst-get -k $k"
	done < <(awk 'NR % 9 == 1' "$data/store-v1.dump")
	run sst-get -k k050 v1		# deleted in the newest table
	[ "$status" -eq 1 ]
	cut -f1 "$data/store-v1.dump" | sst-get v1 >batch.tsv
	same "$data/store-v1.dump" batch.tsv
	diff -r orig v1		# readers change nothing
	# each writer upgrades it to version 2, content kept
	cp -a orig w1 && printf 'zz\tnew\n' | sst-build -q --into w1
	cp -a orig w2 && sst-merge -q --compact --set l0-trigger=2 w2
	cp -a orig w3 && printf 'zz\tnew\n' | sst-build -q -o zz.sst && sst-ingest -q w3 zz.sst
	for w in w1 w2 w3; do
		[ "$(head -1 $w/MANIFEST)" = "sstkit-store 2" ] || fail "$w not upgraded"
		sst-verify -q "$w"
		sst-dump "$w" | grep -v '^zz	' >got.tsv
		same "$data/store-v1.dump" got.tsv
	done
	[ "$(sst-get -k zz w1)" = new ] && [ "$(sst-get -k zz w3)" = new ]
	[ "$(awk '$1 == "table"' w2/MANIFEST | awk 'NF != 7' | wc -l)" -eq 0 ]
}

@test "store readers: a scan that outlasts several compactions sees its snapshot; kept tables go later" {
	local i LV="--strategy leveled --set l0-trigger=2 --set level1-size=16K --set level-growth=4 --set file-size=8K --set max-levels=5"
	rm -rf st
	for i in 1 2 3 5 6 7; do load_batch st "$i" 3000 20000; done
	sst-merge -q --compact $LV st
	model_dump >want.tsv
	[ "$(wc -c <want.tsv)" -gt 150000 ]
	mkfifo pipe
	sst-dump st >pipe &
	local pid=$!
	exec 4<pipe
	head -c 1000 <&4 >got.tsv	# the dump is now blocked on a full pipe
	# several compactions replace every table the reader has not reached
	for i in 9 10 11 13 14; do
		load_batch st "$i" 3000 20000
		sst-merge -q --compact $LV st
	done
	sst-merge -q --compact --strategy size-tiered --set min-threshold=2 st
	ls st/.MANIFEST.snap-* >/dev/null || fail "no pinned manifest kept: $(ls -a st)"
	cat <&4 >>got.tsv
	exec 4<&-
	wait "$pid"
	same want.tsv got.tsv
	# released: the next writer removes the tables it kept
	[ "$(ls st/*.sst | wc -l)" -gt "$(tables_of st | wc -l)" ]
	: | sst-build -q --into st
	[ "$(ls st/*.sst | wc -l)" -eq "$(tables_of st | wc -l)" ]
	[ -z "$(ls st/.MANIFEST.snap-* 2>/dev/null)" ]
	model_dump >want2.tsv
	sst-dump st >got2.tsv
	same want2.tsv got2.tsv
	sst-verify -q st
}
