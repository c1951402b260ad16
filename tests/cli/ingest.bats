#!/usr/bin/env bats
# sst-ingest: options, exit statuses, placement (RocksDB's rule), links and
# --move, locking, and what the next writer does with a table copied by hand.

load common
load store_helpers

setup() {
	common_setup
	[ -x "$SST_BIN/sst-ingest" ] || fail "missing $SST_BIN/sst-ingest"
	printf 'a\t1\nb\t2\n' | sst-build -q -o ab.sst
	printf 'c\t3\nd\t4\n' | sst-build -q -o cd.sst
	printf 'b\t22\nc\t33\n' | sst-build -q -o bc.sst
	printf 'x\t9\ny\t9\n' | sst-build -q -o xy.sst
}

# levels STORE: the levels of the listed tables, in manifest order.
levels() {
	awk '$1 == "table" { print $3 }' "$1/MANIFEST" | tr '\n' ' '
}

@test "ingest: creates the store, one commit, later tables newer, one summary line" {
	run --separate-stderr sst-ingest st ab.sst bc.sst cd.sst
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$output" = "sst-ingest: 3 tables, 6 records, $(($(stat -c %s ab.sst) + $(stat -c %s bc.sst) + $(stat -c %s cd.sst))) bytes -> level 0 (linked)" ]
	[ -z "$stderr" ]
	[ "$(sst-dump st)" = $'a\t1\nb\t22\nc\t3\nd\t4' ]
	[ "$(levels st)" = "0 0 0 " ]
	sst-verify -q st
	# the sources are left as they are, and the store holds its own names
	[ -f ab.sst ] && [ -f cd.sst ]
	[ "$(stat -c %h ab.sst)" -eq 2 ]
	# the store's newest data: over older tables of the store
	printf 'a\told\n' | sst-build -q --into st2
	sst-ingest -q st2 ab.sst
	[ "$(sst-get -k a st2)" = 1 ]
	# -q: nothing on stdout
	run --separate-stderr sst-ingest -q st2 cd.sst
	[ "$status" -eq 0 ] && [ -z "$output" ] && [ -z "$stderr" ]
}

@test "ingest: --move removes the sources after the commit" {
	cp ab.sst m1.sst && cp cd.sst m2.sst
	sst-ingest -q --move st m1.sst m2.sst
	[ ! -e m1.sst ] && [ ! -e m2.sst ]
	[ "$(sst-dump st | wc -l)" -eq 4 ]
	sst-verify -q st
	# a failed ingest removes nothing
	cp ab.sst m3.sst && echo junk >bad.sst
	run --separate-stderr sst-ingest --move st m3.sst bad.sst
	[ "$status" -eq 3 ]
	[ -f m3.sst ] && [ -f bad.sst ]
}

@test "ingest: a damaged table, a non-table, a store or a directory is 3 naming it; the store is unchanged" {
	sst-ingest -q st ab.sst
	cp -a st before
	cp cd.sst dmg.sst
	printf 'XXXX' | dd of=dmg.sst bs=1 seek=40 conv=notrunc 2>/dev/null
	echo 'a text file' >text.sst
	mkdir plain && touch plain/x
	for bad in dmg.sst text.sst st plain; do
		run --separate-stderr sst-ingest st2 xy.sst "$bad"
		[ "$status" -eq 3 ] || fail "$bad: status $status"
		check_err sst-ingest "$bad"
		[ ! -e st2 ] || fail "$bad: st2 was created"
		run --separate-stderr sst-ingest st xy.sst "$bad"
		[ "$status" -eq 3 ]
		diff -r before st || fail "$bad: the store changed"
	done
	# a missing table is 4
	run --separate-stderr sst-ingest st nope.sst
	[ "$status" -eq 4 ]
	check_err sst-ingest 'nope.sst'
	diff -r before st
}

@test "ingest: usage errors are 2" {
	run --separate-stderr sst-ingest
	[ "$status" -eq 2 ]
	run --separate-stderr sst-ingest st
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"no TABLE"* ]]
	run --separate-stderr sst-ingest --bogus st ab.sst
	[ "$status" -eq 2 ]
	[ ! -e st ]
}

@test "ingest: a locked store is 75, or --wait waits" {
	need_cmd flock
	sst-ingest -q st ab.sst
	hold_lock st/LOCK 2
	run --separate-stderr sst-ingest st cd.sst
	[ "$status" -eq 75 ]
	check_err sst-ingest 'lock'
	run --separate-stderr sst-ingest -q --wait st cd.sst
	[ "$status" -eq 0 ]
	wait
	[ "$(sst-dump st | wc -l)" -eq 4 ]
}

@test "ingest: placement in a leveled store (RocksDB's rule)" {
	# an empty leveled store: disjoint tables go to the deepest level
	: | sst-build -q --into lv
	sst-merge -q --compact --strategy leveled --set max-levels=4 lv
	run --separate-stderr sst-ingest lv ab.sst cd.sst
	[[ "$output" == *"-> level 3"* ]] || fail "$output"
	# nothing in levels 0..3 overlaps x..y: level 3 again
	run --separate-stderr sst-ingest lv xy.sst
	[[ "$output" == *"-> level 3"* ]] || fail "$output"
	# overlapping level 3: the level above it
	run --separate-stderr sst-ingest lv bc.sst
	[[ "$output" == *"-> level 2"* ]] || fail "$output"
	# tables that overlap each other: level 0, in argument order
	printf 'a\tA\n' | sst-build -q -o a1.sst
	printf 'a\tB\nz\tZ\n' | sst-build -q -o a2.sst
	run --separate-stderr sst-ingest lv a1.sst a2.sst
	[[ "$output" == *"-> level 0"* ]] || fail "$output"
	[ "$(sst-get -k a lv)" = B ]
	# once level 0 holds a table overlapping them, disjoint tables go to level 0 too
	printf 'y\tY\n' | sst-build -q -o y.sst
	run --separate-stderr sst-ingest lv y.sst
	[[ "$output" == *"-> level 0"* ]] || fail "$output"
	[ "$(levels lv)" = "3 3 3 2 0 0 0 " ] || fail "$(levels lv)"
	sst-verify -q lv
	[ "$(sst-dump lv)" = $'a\tB\nb\t22\nc\t33\nd\t4\nx\t9\ny\tY\nz\tZ' ]
	# size-tiered: always level 0
	sst-ingest -q st ab.sst cd.sst
	[ "$(levels st)" = "0 0 " ]
}

@test "ingest: then leveled compaction moves tables that overlap nothing below without rewriting" {
	: | sst-build -q --into lv
	sst-merge -q --compact --strategy leveled --set max-levels=4 --set l0-trigger=2 lv
	sst-ingest -q lv bc.sst		# level 3
	sst-ingest -q lv ab.sst bc.sst	# overlap each other: level 0
	sst-ingest -q lv xy.sst		# disjoint from all: level 3
	printf 'q\t1\n' | sst-build -q --into lv
	printf 'r\t1\n' | sst-build -q --into lv
	# level 0 overlaps level 1? level 1 is empty: a level-0 compaction merges
	run --separate-stderr sst-merge --compact lv
	[ "$status" -eq 0 ]
	sst-verify -q lv
	# disjoint level-0 tables that overlap nothing in level 1 are moved
	: | sst-build -q --into mv
	sst-merge -q --compact --strategy leveled --set l0-trigger=2 mv
	printf 'a\t1\n' | sst-build -q --into mv
	printf 'b\t1\n' | sst-build -q --into mv
	local before
	before=$(awk '$1 == "table" { print $2, $5 }' mv/MANIFEST | sort)
	run --separate-stderr sst-merge --compact mv
	[ "$status" -eq 0 ]
	[[ "$output" == *"moved 2 tables from level 0 to level 1"*"not rewritten: a trivial move"* ]] ||
		fail "$output"
	[ "$(awk '$1 == "table" { print $2, $5 }' mv/MANIFEST | sort)" = "$before" ]
	[ "$(levels mv)" = "1 1 " ]
	sst-verify -q mv
	[ "$(sst-dump mv)" = $'a\t1\nb\t1' ]
}

@test "ingest: a table copied in by hand is a leftover for the next writer; an ingested one is kept" {
	sst-ingest -q st ab.sst
	local next
	next=$(awk '$1 == "next" { printf "%06d.sst", $2 }' st/MANIFEST)
	cp cd.sst "st/$next"
	cp cd.sst st/999999.sst
	[ "$(sst-dump st)" = $'a\t1\nb\t2' ]		# readers ignore them
	sst-ingest -q st xy.sst
	[ ! -e "st/999999.sst" ]
	[ "$(ls st/*.sst | wc -l)" -eq "$(tables_of st | wc -l)" ]
	[ "$(sst-dump st)" = $'a\t1\nb\t2\nx\t9\ny\t9' ]
	: | sst-build -q --into st
	[ "$(sst-dump st)" = $'a\t1\nb\t2\nx\t9\ny\t9' ]
	sst-verify -q st
}

@test "ingest: a store created by a failing command is removed again" {
	chmod 000 ab.sst
	if [ -r ab.sst ]; then
		# root reads anything: make the failure a damaged table instead
		chmod 644 ab.sst
		printf 'XXXX' | dd of=ab.sst bs=1 seek=40 conv=notrunc 2>/dev/null
	fi
	run --separate-stderr sst-ingest new cd.sst ab.sst
	[ "$status" -ne 0 ]
	[ ! -e new ]
	# an empty directory made a store and failed: the directory stays, empty
	mkdir empty
	run --separate-stderr sst-ingest empty cd.sst ab.sst
	[ "$status" -ne 0 ]
	[ -d empty ] && [ -z "$(ls -A empty)" ]
}

@test "ingest: disjoint level-0 tables read as one run; overlapping newer ones still win" {
	# 40 disjoint parts (as the scale-out pipeline ingests them) into a
	# size-tiered store: level 0, read as one sorted run
	awk 'BEGIN { srand(7); for (i = 0; i < 4000; i++) printf "k%05d\tv%d\n", int(rand() * 6000), i }' >all.tsv
	sst-sample -n 2000 all.tsv >s.txt
	sst-sample --splits 40 s.txt >splits.txt
	sst-build -q --split-at splits.txt -o p.sst all.tsv
	sst-ingest -q st p-*.sst
	# newer data overlapping the parts and each other, then a delete
	awk 'BEGIN { srand(8); for (i = 0; i < 300; i++) printf "k%05d\tu1-%d\n", int(rand() * 6000), i }' >u1.tsv
	awk 'BEGIN { srand(9); for (i = 0; i < 300; i++) printf "k%05d\tu2-%d\n", int(rand() * 6000), i }' >u2.tsv
	sst-build -q -o u1.sst u1.tsv
	sst-build -q -o u2.sst u2.tsv
	sst-ingest -q st u1.sst u2.sst
	head -n 50 all.tsv | cut -f1 >dels.txt
	sst-build -q --delete --into st dels.txt
	# the same records in one table
	sst-build -q -o ref.sst all.tsv u1.tsv u2.tsv
	sst-build -q --delete -o refdel.sst dels.txt
	[ "$(sst-dump st | cksum)" = "$(sst-dump ref.sst refdel.sst | cksum)" ] || fail "dump differs"
	[ "$(sst-dump --from k01000 --to k04000 st | cksum)" = "$(sst-dump --from k01000 --to k04000 ref.sst refdel.sst | cksum)" ]
	awk 'BEGIN { for (i = 0; i < 6000; i += 7) printf "k%05d\n", i }' >keys.txt
	run sst-get st <keys.txt
	a=$output
	run sst-get ref.sst refdel.sst <keys.txt
	[ "$a" = "$output" ] || fail "batch answers differ"
	for k in $(head -n 20 keys.txt) $(head -n 5 dels.txt); do
		[ "$(sst-get -k "$k" st || echo none)" = "$(sst-get -k "$k" ref.sst refdel.sst || echo none)" ] || fail "$k"
	done
	sst-verify -q st
}
