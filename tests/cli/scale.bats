#!/usr/bin/env bats
# Stores of any number of tables (CONTRACT.md, the store's "Any number of
# tables"): a leveled store of 10,000 disjoint tables and a store of 3,000
# overlapping level-0 tables, every reading and writing tool under
# `ulimit -n 64`, checked against model.py; sst-merge -o with 300 inputs
# (in passes through temporary tables).
# The tables are made by one sst-merge --split each and added by one
# sst-ingest, not by thousands of process launches.

load common
load store_helpers

setup() {
	common_setup
	for t in sst-merge sst-ingest; do
		[ -x "$SST_BIN/$t" ] || fail "missing $SST_BIN/$t"
	done
}

# tsv_to_cdb: tsv records (no TAB in keys, no LF) as cdb puts.
tsv_to_cdb() {
	awk -F '\t' '{ v = substr($0, length($1) + 2); printf "+%d,%d:%s->%s\n", length($1), length(v), $1, v }'
}

# split_tables N STEP OFF TAG SIZE PREFIX: records k<STEP*i+OFF> for i < N,
# values TAG-i, cut by sst-merge --split SIZE into PREFIX-NNNN.sst; appends
# the records to model.cdb.
split_tables() {
	local n=$1 step=$2 off=$3 tag=$4 size=$5 prefix=$6
	awk -v n="$n" -v s="$step" -v o="$off" -v t="$tag" \
	    'BEGIN { for (i = 0; i < n; i++) printf "k%07d\t%s-%d\n", s * i + o, t, i }' >"$prefix.tsv"
	tsv_to_cdb <"$prefix.tsv" >>model.cdb
	sst-build -q --sorted -o "$prefix.all.sst" "$prefix.tsv"
	sst-merge -q --split "$size" --bloom-bits 0 -b 256 -o "$prefix.sst" "$prefix.all.sst"
	rm "$prefix.all.sst" "$prefix.tsv"
}

# under64 CMD...: CMD with soft and hard open-file limits of 64.
under64() {
	(ulimit -n 64 && "$@")
}

@test "scale: a leveled store of 10,000 disjoint tables, every tool under ulimit -n 64" {
	skip_if_san "10,000 tables: too slow under ASan"
	local n=10000
	: >model.cdb
	# a leveled store whose level 2 holds one table spanning every key
	sst-build -q --into st </dev/null
	sst-merge -q --compact --strategy leveled --set max-levels=3 --set level1-size=64K st
	printf 'k0000000\tspan-lo\nk9999999\tspan-hi\n' >span.tsv
	tsv_to_cdb <span.tsv >>model.cdb
	sst-build -q -o span.sst span.tsv
	run --separate-stderr sst-ingest st span.sst
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 table, 2 records"*"-> level 2"* ]] || fail "$output"
	split_tables "$n" 1 1 v 1 p
	[ "$(ls p-*.sst | wc -l)" -eq "$n" ]
	# disjoint, overlapping level 2: level 1, in one commit
	run --separate-stderr under64 sst-ingest --move st p-*.sst
	[ "$status" -eq 0 ] || fail "$stderr"
	[[ "$output" == *"$n tables, $n records"*"-> level 1"* ]] || fail "$output"
	[ -z "$(ls p-*.sst 2>/dev/null)" ]
	[ "$(tables_of st | wc -l)" -eq $((n + 1)) ]
	under64 sst-verify -q st
	run --separate-stderr under64 sst-info st
	[ "$status" -eq 0 ]
	[[ "$output" == *"tables: $((n + 1))"* ]]
	under64 sst-info --json st >info.json
	# lookups and scans against the model (sst-get -k and batch, sst-dump
	# full, --prefix, --from/--to, --count)
	under64 python3 "$MODEL" check 1 model.cdb st
	# sst-merge -o of the whole store, and of store plus table
	under64 sst-merge -q -o all.sst st
	sst-dump all.sst >all.tsv
	model_dump >want.tsv
	same want.tsv all.tsv
	# compaction: one level-1 table merged into level 2
	run --separate-stderr under64 sst-merge --compact --once st
	[ "$status" -eq 0 ] || fail "$stderr"
	[[ "$output" == *"2 tables (level 1) -> 1 tables (level 2)"* ]] || fail "$output"
	under64 sst-verify -q st
	under64 python3 "$MODEL" check 2 model.cdb --light st
}

@test "scale: 3,000 overlapping level-0 tables, every tool under ulimit -n 64" {
	local n
	n=$(san_or 3100 400)
	: >model.cdb
	# three sets of tables of about 3 records: even keys, odd keys, even
	# keys again (newer values); tables of different sets overlap
	split_tables "$n" 2 0 a 30 a
	split_tables "$n" 2 1 b 30 b
	split_tables "$n" 2 0 c 30 c
	local nt
	nt=$(ls a-*.sst b-*.sst c-*.sst | wc -l)
	[ "$nt" -ge $(san_or 3000 390) ] || fail "only $nt tables"
	run --separate-stderr under64 sst-ingest st a-*.sst b-*.sst c-*.sst
	[ "$status" -eq 0 ] || fail "$stderr"
	[[ "$output" == *"$nt tables"*"-> level 0"* ]] || fail "$output"
	[ "$(awk '$1 == "table" && $3 == 0' st/MANIFEST | wc -l)" -eq "$nt" ]
	under64 sst-verify -q st
	under64 sst-info st >/dev/null
	under64 python3 "$MODEL" check 3 model.cdb st
	under64 sst-merge -q -o all.sst st
	sst-dump all.sst >all.tsv
	model_dump >want.tsv
	same want.tsv all.tsv
	# the sources again as tables on the command line, in the same order
	under64 sst-dump a-*.sst b-*.sst c-*.sst >args.tsv
	same want.tsv args.tsv
	# size-tiered: one compaction of at most max-threshold tables
	cp -a st st2
	run --separate-stderr under64 sst-merge --compact --once st
	[ "$status" -eq 0 ] || fail "$stderr"
	[[ "$output" == *"32 tables (level 0) -> 1 tables"* ]] || fail "$output"
	under64 sst-verify -q st
	under64 python3 "$MODEL" check 4 model.cdb --light st
	# leveled: all of level 0 in one compaction
	run --separate-stderr under64 sst-merge -q --compact --strategy leveled st2
	[ "$status" -eq 0 ] || fail "$stderr"
	[ "$(awk '$1 == "table" && $3 == 0' st2/MANIFEST | wc -l)" -eq 0 ]
	under64 sst-verify -q st2
	under64 python3 "$MODEL" check 5 model.cdb --light st2
}

@test "scale: sst-merge -o of 300 overlapping inputs under ulimit -n 64: in passes" {
	local i
	: >model.cdb
	for i in $(seq 1 300); do
		printf 'k%04d\tv%d\nk%04d\tw%d\n' $((i * 7 % 500)) "$i" $((i * 13 % 500)) "$i"
	done >all.tsv
	tsv_to_cdb <all.tsv >model.cdb
	# one table per 2 lines, named in input order
	awk '{ f = sprintf("in-%04d.tsv", int((NR - 1) / 2)); print > f }' all.tsv
	for f in in-*.tsv; do sst-build -q -o "${f%.tsv}.sst" "$f"; done
	[ "$(ls in-*.sst | wc -l)" -eq 300 ]
	# pass tables left by a killed merge (a process that is gone) are
	# removed; one of a live process is not
	sleep 60 &
	local live=$!
	touch "$TMPDIR/sst-merge-pass-4194000-0.sst" "$TMPDIR/.sst-merge-pass-4194000-1.sst.tmp-abcdef" \
	    "$TMPDIR/sst-merge-pass-$live-0.sst"
	run --separate-stderr under64 sst-merge -q -o m.sst in-*.sst
	[ "$status" -eq 0 ] || fail "$stderr"
	[ "$(ls -A "$TMPDIR")" = "sst-merge-pass-$live-0.sst" ] || fail "left in TMPDIR: $(ls -A "$TMPDIR")"
	kill "$live"
	rm "$TMPDIR/sst-merge-pass-$live-0.sst"
	sst-dump m.sst >got.tsv
	model_dump >want.tsv
	same want.tsv got.tsv
	# in passes through temporary tables: seen with strace, none left
	if command -v strace >/dev/null && [ "$SST_SAN" != 1 ]; then
		(ulimit -n 64; strace -f -e trace=unlink,unlinkat -o trace.txt sst-merge -q -o m2.sst in-*.sst)
		[ "$(grep -c 'sst-merge-pass-' trace.txt)" -ge 10 ] || fail "no passes: $(head trace.txt)"
		cmp m.sst m2.sst || same got.tsv <(sst-dump m2.sst)
		[ -z "$(ls -A "$TMPDIR")" ]
	fi
	# killed mid-way (kill -9): the next merge in passes removes what it left
	local i pid
	for i in 1 2 3 4 5; do
		(ulimit -n 64; exec sst-merge -q -o mk.sst in-*.sst) &
		pid=$!
		sleep "0.0$((RANDOM % 10))"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		under64 sst-merge -q -o mk.sst in-*.sst
		same got.tsv <(sst-dump mk.sst)
		[ -z "$(ls -A "$TMPDIR")" ] || fail "trial $i: left in TMPDIR: $(ls -A "$TMPDIR")"
	done
	# with tombstones: a delete in a late input hides the key through the passes
	printf 'k%04d\n' 7 14 | sst-build -q --delete -o zz-del.sst
	under64 sst-merge -q -o md.sst in-*.sst zz-del.sst
	[ -z "$(sst-get -k k0007 md.sst)" ] && [ -z "$(sst-get -k k0014 md.sst)" ]
	[ "$(sst-dump md.sst | wc -l)" -eq $(($(wc -l <want.tsv) - $(grep -c '^k00\(07\|14\)	' want.tsv))) ]
	under64 sst-merge -q --drop-deletes -o md2.sst in-*.sst zz-del.sst
	[ "$(sst-dump --tombstones md2.sst | wc -l)" -eq "$(sst-dump md.sst | wc -l)" ]
	under64 python3 "$MODEL" check 6 model.cdb --light in-*.sst
}

@test "scale: every tool raises its soft open-file limit to the hard limit" {
	need_cmd strace
	skip_if_san "strace under ASan"
	sst-build -q -o t.sst <<<$'a\t1'
	local t
	for t in "sst-get -k a t.sst" "sst-dump t.sst" "sst-info t.sst" "sst-verify t.sst" \
	    "sst-merge -q -o m.sst t.sst" "sst-ingest -q st t.sst"; do
		(ulimit -S -n 100; strace -f -e trace=prlimit64,setrlimit -o trace.txt $t >/dev/null)
		grep -q 'RLIMIT_NOFILE, {rlim_cur=' trace.txt || fail "$t: no raise in $(cat trace.txt)"
	done
}
