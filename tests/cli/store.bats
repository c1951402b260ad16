#!/usr/bin/env bats
# The store: sst-build --into, compaction by each strategy against a model,
# readers during compaction, the writer lock, leftovers, damage.

load common
load store_helpers

LEVELED="--strategy leveled --set l0-trigger=2 --set level1-size=8K --set level-growth=4 --set file-size=4K --set max-levels=5"
TIERED="--strategy size-tiered --set min-threshold=3"

setup() {
	common_setup
	[ -x "$SST_BIN/sst-merge" ] || fail "missing $SST_BIN/sst-merge"
}

@test "store: created by sst-build --into; readers see the tables in order" {
	[ ! -e st ]
	load_batch st 1 300 500
	[ -f st/MANIFEST ]
	load_batch st 2 300 500
	load_batch st 4 100 500
	[ "$(tables_of st | wc -l)" -eq 3 ]
	check_store st
	# the store as a source among tables: later sources newer
	printf 'k0000001\tnewest\n' | mk_table t.sst
	[ "$(sst-get -k k0000001 st t.sst)" = newest ]
	no_tmp_left st
}

@test "store: size-tiered compaction, model after every step" {
	local i
	for i in $(seq 1 10); do
		load_batch st "$i" 300 2000
		check_store st
		run --separate-stderr sst-merge -q --compact $TIERED st
		[ "$status" -eq 0 ] || fail "compact: $stderr"
		check_store st
		[ "$(tables_of st | wc -l)" -lt 3 ] || fail "size-tiered left $(tables_of st | wc -l) tables"
	done
	grep -q '^strategy size-tiered$' st/MANIFEST
	grep -q '^option min-threshold 3$' st/MANIFEST
	[ -z "$(awk '$1 == "table" && $3 != 0' st/MANIFEST)" ]
	# the summary line: inputs, bytes in and out, records dropped, time
	load_batch st 11 300 2000
	load_batch st 12 300 2000
	run --separate-stderr sst-merge -q --compact st
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" =~ ^sst-merge:\ compact\ size-tiered:\ [0-9]+\ tables.*bytes\ in.*bytes\ out.*dropped.*\ s$ ]] ||
		fail "summary: $output"
	check_store st
	# nothing due: no output, exit 0
	run --separate-stderr sst-merge --compact st
	[ "$status" -eq 0 ] && [ -z "$output" ]
	no_tmp_left st
}

@test "store: leveled compaction, model and level rules after every step" {
	local i
	for i in $(seq 1 14); do
		load_batch st "$i" 400 3000
		run --separate-stderr sst-merge -q --compact $LEVELED st
		[ "$status" -eq 0 ] || fail "compact: $stderr"
		check_store st
		[ "$(awk '$1 == "table" && $3 == 0' st/MANIFEST | wc -l)" -lt 2 ]
	done
	grep -q '^strategy leveled$' st/MANIFEST
	# several levels, levels >= 1 made of several non-overlapping tables
	[ "$(awk '$1 == "table" { print $3 }' st/MANIFEST | sort -u | wc -l)" -ge 2 ]
	[ "$(awk '$1 == "table" && $3 == 1' st/MANIFEST | wc -l)" -ge 2 ]
	# the knobs are remembered: a plain --compact is a no-op now
	run --separate-stderr sst-merge --compact st
	[ "$status" -eq 0 ] && [ -z "$output" ]
	# deletes of every key: the bottom level drops them all eventually
	sst-dump st | cut -f1 | sst-build -q --delete --into st -
	sst-merge -q --compact --set l0-trigger=1 st >/dev/null
	[ "$(sst-dump --count st)" = 0 ]
	sst-verify -q st
	no_tmp_left st
}

@test "store: switching strategies keeps the content" {
	local i
	for i in $(seq 1 8); do load_batch st "$i" 300 1000; done
	sst-merge -q --compact $LEVELED st >/dev/null
	check_store st
	sst-merge -q --compact $TIERED st >/dev/null
	check_store st
	[ -z "$(awk '$1 == "table" && $3 != 0' st/MANIFEST)" ]
	sst-merge -q --compact $LEVELED st >/dev/null
	check_store st
	# --once: a single compaction
	for i in $(seq 9 16); do load_batch st "$i" 300 1000; done
	run --separate-stderr sst-merge -q --compact --once --set l0-trigger=2 st
	[ "$status" -eq 0 ] && [ "${#lines[@]}" -eq 1 ]
	check_store st
}

@test "store: sst-info STORE, text and --json" {
	load_batch st 1 200 500
	load_batch st 2 200 500
	run --separate-stderr sst-info st
	[ "$status" -eq 0 ]
	[[ "$output" == *size-tiered* ]]
	for t in $(tables_of st); do [[ "$output" == *"$t"* ]] || fail "no $t in: $output"; done
	run --separate-stderr sst-info --json st
	[ "$status" -eq 0 ]
	printf '%s' "$output" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["strategy"] == "size-tiered", d
assert len(d["tables"]) == 2, d
assert all(t["level"] == 0 and t["records"] > 0 for t in d["tables"]), d
assert d["tables"][0]["smallest"] <= d["tables"][0]["largest"], d
'
}

@test "store: a second writer exits 75, or waits with --wait" {
	need_cmd flock
	load_batch st 1 200 500
	load_batch st 2 200 500
	load_batch st 3 200 500
	load_batch st 5 200 500
	hold_lock st/LOCK 3
	run --separate-stderr sst-merge --compact st
	[ "$status" -eq 75 ]
	check_err sst-merge 'lock'
	run --separate-stderr sst-build -q --into st batch.tsv
	[ "$status" -eq 75 ]
	local t0=$SECONDS
	run --separate-stderr sst-merge -q --compact --wait st
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	wait
	check_store st
	# two real compactions at once: one runs, the other exits 75 (or both
	# succeed one after the other); never anything else
	local i
	for i in $(seq 6 13); do load_batch st "$i" 300 500; done
	sst-merge -q --compact --set min-threshold=2 st >c1.out 2>c1.err &
	local p1=$!
	sst-merge -q --compact st >c2.out 2>c2.err &
	local p2=$!
	local s1=0 s2=0
	wait $p1 || s1=$?
	wait $p2 || s2=$?
	{ [ $s1 -eq 0 ] || [ $s1 -eq 75 ]; } && { [ $s2 -eq 0 ] || [ $s2 -eq 75 ]; } ||
		fail "statuses $s1 $s2: $(cat c1.err c2.err)"
	[ $s1 -eq 0 ] || [ $s2 -eq 0 ]
	check_store st
}

@test "store: readers during compactions never fail and always see the model" {
	local i n=0
	for i in $(seq 1 16); do load_batch st "$i" "$(san_or 400 150)" 3000; done
	model_dump >want.tsv
	grep -m 20 . want.tsv | cut -f1 >keys
	grep -m 20 . want.tsv | cut -f2 >vals
	(
		for i in $(seq 1 10); do
			sst-merge -q --compact --wait $LEVELED st || exit 1
			sst-merge -q --compact --wait $TIERED st || exit 1
		done
	) >/dev/null &
	local pid=$!
	while kill -0 "$pid" 2>/dev/null || [ "$n" -lt 5 ]; do
		sst-dump st >got.tsv || fail "sst-dump failed during compaction (run $n)"
		same want.tsv got.tsv || fail "sst-dump differs during compaction (run $n)"
		sst-get st <keys | cut -f2 >gotv || fail "sst-get failed during compaction"
		same vals gotv
		n=$((n + 1))
	done
	wait "$pid" || fail "compactions failed"
	echo "$n reader rounds during compaction" >&3
	check_store st
}

@test "store: a table swapped for another of the same size: sst-verify 1, a scan exit 3 (not out of order)" {
	printf 'a\t1\n' | sst-build -q --into st
	printf 'b\t2\n' | sst-build -q --into st
	[ "$(stat -c %s st/000001.sst)" = "$(stat -c %s st/000002.sst)" ]
	mv st/000001.sst x && mv st/000002.sst st/000001.sst && mv x st/000002.sst
	run --separate-stderr sst-verify st
	[ "$status" -eq 1 ]
	for args in "" "--tombstones" "--count" "--from a" "--prefix b"; do
		# shellcheck disable=SC2086
		run --separate-stderr sst-dump $args st
		[ "$status" -eq 3 ] || fail "sst-dump $args: exit $status: $output"
		check_err sst-dump "st/00000[12].sst: records or key range differ from the manifest.s"
	done
}

@test "store: leftovers of a crashed writer are ignored by readers, removed by the next writer" {
	load_batch st 1 200 500
	load_batch st 2 200 500
	echo junk >st/.000777.sst.tmp-AbCdEf
	echo junk >st/.MANIFEST.tmp-XyZ123
	cp st/"$(tables_of st | head -1)" st/000778.sst
	echo mine >st/notes.txt
	check_store st
	sst-merge -q --compact st
	[ ! -e st/.000777.sst.tmp-AbCdEf ] && [ ! -e st/.MANIFEST.tmp-XyZ123 ] && [ ! -e st/000778.sst ]
	[ "$(cat st/notes.txt)" = mine ]
	# names are never reused
	load_batch st 3 200 500
	[ "$(tables_of st | tail -1)" \> 000778.sst ]
	check_store st
}

@test "store: damage is found by sst-verify (1) and is exit 3 for readers" {
	load_batch st 1 300 500
	load_batch st 2 300 500
	cp -a st good
	# a byte of the manifest
	printf 'X' | dd of=st/MANIFEST bs=1 seek=8 conv=notrunc 2>/dev/null
	run --separate-stderr sst-verify st
	[ "$status" -eq 1 ]
	[[ "$output$stderr" == *MANIFEST* ]]
	run --separate-stderr sst-dump st
	[ "$status" -eq 3 ]
	check_err sst-dump MANIFEST
	run --separate-stderr sst-merge --compact st
	[ "$status" -eq 3 ]
	# a torn manifest
	rm -rf st && cp -a good st
	head -c 40 good/MANIFEST >st/MANIFEST
	run --separate-stderr sst-verify st
	[ "$status" -eq 1 ]
	# a missing table
	rm -rf st && cp -a good st
	rm st/"$(tables_of st | head -1)"
	run --separate-stderr sst-verify st
	[ "$status" -eq 1 ]
	[[ "$output$stderr" == *"$(tables_of st | head -1)"* ]]
	run --separate-stderr sst-dump st
	[ "$status" -eq 3 ]
	# a damaged table
	rm -rf st && cp -a good st
	printf 'XXXX' | dd of=st/"$(tables_of st | tail -1)" bs=1 seek=30 conv=notrunc 2>/dev/null
	run --separate-stderr sst-verify st
	[ "$status" -eq 1 ]
	# a table of another size than the manifest says
	rm -rf st && cp -a good st
	echo >>st/"$(tables_of st | tail -1)"
	run --separate-stderr sst-verify st
	[ "$status" -eq 1 ]
	# not a store
	mkdir plain && echo x >plain/file
	run --separate-stderr sst-merge --compact plain
	[ "$status" -eq 3 ]
	run --separate-stderr sst-build -q --into plain batch.tsv
	[ "$status" -eq 3 ]
	[ ! -e plain/MANIFEST ]
	sst-verify -q good
}
