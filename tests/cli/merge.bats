#!/usr/bin/env bats
# sst-merge -o: k-way merge of tables (later inputs newer), deletes, --split.

load common

setup() {
	common_setup
	[ -x "$SST_BIN/sst-merge" ] || fail "missing $SST_BIN/sst-merge"
}

# rand_tsv SEED N KEYSPACE: N random puts over KEYSPACE keys (duplicates).
rand_tsv() {
	awk -v s="$1" -v n="$2" -v m="$3" 'BEGIN { srand(s)
		for (i = 0; i < n; i++) printf "k%07d\tv%d-%d\n", int(rand() * m), s, i }'
}

# ref_merge OUT IN...: the contract's reference, sst-dump --tombstones | sst-build.
ref_merge() {
	local out=$1
	shift
	sst-dump --tombstones -f cdb "$@" | sst-build -q -f cdb -o "$out" - ||
		fail "reference merge failed"
}

# same_content A B: the two tables hold the same records, tombstones included.
same_content() {
	sst-dump --tombstones -f cdb "$1" >"$1.dump" || fail "dump $1"
	sst-dump --tombstones -f cdb "$2" >"$2.dump" || fail "dump $2"
	same "$1.dump" "$2.dump"
}

@test "merge: -h prints usage to stdout, --version, usage errors exit 2" {
	run --separate-stderr sst-merge -h
	[ "$status" -eq 0 ]
	[[ "$output" == *"-o OUT INPUT..."* ]]
	[[ "$output" == *"--compact"* ]]
	run --separate-stderr sst-merge --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ [0-9]+\.[0-9]+ ]]
	fruit_tsv | mk_table a.sst
	for args in "a.sst" "-o x.sst" "--bogus -o x.sst a.sst" "--split 1Q -o x.sst a.sst" \
	    "-c lz4 -o x.sst a.sst" "-j 0 -o x.sst a.sst" "--compact" "--compact -o x.sst s" \
	    "--compact --strategy fifo s" "--compact --set nope=1 s" "--wait -o x.sst a.sst" \
	    "--compact --set l0-trigger=abc s" "--compact s t"; do
		run --separate-stderr sst-merge $args
		[ "$status" -eq 2 ] || fail "sst-merge $args: exit $status, want 2"
		[[ "${stderr_lines[0]}" == "sst-merge: "* ]] || fail "stderr: $stderr"
		[ ! -e x.sst ] || fail "sst-merge $args left x.sst"
	done
}

@test "merge: later inputs win; deletes kept, or dropped with --drop-deletes" {
	printf 'a\t1\nb\t1\nc\t1\n' | mk_table t1.sst
	printf 'b\t2\nd\t2\n' | mk_table t2.sst
	printf 'a\nd\n' | mk_table t3.sst --delete
	printf 'd\t4\n' | mk_table t4.sst
	run --separate-stderr sst-merge -q -o m.sst t1.sst t2.sst t3.sst t4.sst
	[ "$status" -eq 0 ]
	run sst-dump --tombstones m.sst
	[ "$output" = "$(printf -- '-1:a\n+1,1:b->2\n+1,1:c->1\n+1,1:d->4')" ]
	# the order of the arguments is the age: reversed, t1 wins
	sst-merge -q -o r.sst t4.sst t3.sst t2.sst t1.sst
	run sst-dump r.sst
	[ "$output" = "$(printf 'a\t1\nb\t1\nc\t1\nd\t2')" ]
	sst-merge -q --drop-deletes -o d.sst t1.sst t2.sst t3.sst
	run sst-dump --tombstones d.sst
	[ "$output" = "$(printf -- '+1,1:b->2\n+1,1:c->1')" ]
	no_tmp_left .
}

@test "merge: one input, empty inputs" {
	rand_tsv 1 500 300 | mk_table one.sst
	printf 'k0000001\n' | mk_table del.sst --delete
	sst-merge -q -o m1.sst one.sst
	same_content one.sst m1.sst
	: | mk_table e1.sst
	: | mk_table e2.sst
	sst-merge -q -o me.sst e1.sst e2.sst
	sst-verify -q me.sst
	[ "$(sst-dump --tombstones --count me.sst)" = 0 ]
	sst-merge -q -o m2.sst e1.sst one.sst e2.sst del.sst
	ref_merge r2.sst e1.sst one.sst e2.sst del.sst
	same_content m2.sst r2.sst
	# everything deleted, deletes dropped: an empty but valid table
	sst-merge -q --drop-deletes -o m3.sst del.sst
	sst-verify -q m3.sst
	[ "$(sst-dump --tombstones --count m3.sst)" = 0 ]
}

@test "merge: 64 inputs equal sst-dump --tombstones | sst-build" {
	local i files=()
	for i in $(seq 1 64); do
		if [ $((i % 5)) -eq 0 ]; then
			rand_tsv "$i" 40 2000 | cut -f1 | mk_table "in$i.sst" --delete
		else
			rand_tsv "$i" 80 2000 | mk_table "in$i.sst" -b 512
		fi
		files+=("in$i.sst")
	done
	sst-merge -q -o m.sst "${files[@]}"
	sst-verify -q m.sst
	ref_merge r.sst "${files[@]}"
	same_content m.sst r.sst
	sst-merge -q --drop-deletes -o md.sst "${files[@]}"
	[ "$(sst-dump --count md.sst)" = "$(sst-dump --count r.sst)" ]
	[ "$(sst-dump --tombstones --count md.sst)" = "$(sst-dump --count r.sst)" ]
}

@test "merge: random binary data with duplicates and deletes (model and reference)" {
	local seed pieces p
	for seed in 11 12; do
		model gen "$seed" "$(san_or 3000 800)" "g$seed"
		pieces=()
		for p in "g$seed"/piece-*.cdb; do
			sst-build -q -f cdb -b 1K -o "$p.sst" "$p"
			pieces+=("$p.sst")
		done
		sst-merge -q -b 1K -o "m$seed.sst" "${pieces[@]}"
		sst-verify -q "m$seed.sst"
		ref_merge "r$seed.sst" "${pieces[@]}"
		same_content "m$seed.sst" "r$seed.sst"
		model check "$seed" "g$seed/all.cdb" "m$seed.sst"
	done
}

@test "merge: --split cuts non-overlapping, complete tables named OUT-NNNN" {
	rand_tsv 5 6000 4000 | mk_table a.sst -b 1K
	rand_tsv 6 3000 8000 | mk_table b.sst -b 1K
	printf 'k0000100\nk0000200\n' | mk_table c.sst --delete
	sst-merge -q -b 1K --split 4K -o out.sst a.sst b.sst c.sst
	sst-merge -q -b 1K -o whole.sst a.sst b.sst c.sst
	[ ! -e out.sst ]
	[ -e out-0001.sst ] && [ -e out-0002.sst ] && [ -e out-0003.sst ]
	local parts=(out-[0-9][0-9][0-9][0-9].sst) i prev="" first last size
	for i in "${!parts[@]}"; do
		[ "${parts[$i]}" = "$(printf 'out-%04d.sst' $((i + 1)))" ] || fail "naming: ${parts[*]}"
		sst-verify -q "${parts[$i]}"
		first=$(sst-dump --tombstones -f cdb "${parts[$i]}" | head -1 | sed 's/.*://; s/->.*//')
		last=$(sst-dump --tombstones -f cdb "${parts[$i]}" | tail -1 | sed 's/.*://; s/->.*//')
		[ -z "$prev" ] || [[ "$prev" < "$first" ]] || fail "overlap: $prev >= $first"
		prev=$last
		size=$(stat -c %s "${parts[$i]}")
		if [ "$i" -lt $((${#parts[@]} - 1)) ]; then
			[ "$size" -ge 2048 ] && [ "$size" -le 12288 ] || fail "${parts[$i]}: $size bytes"
		fi
	done
	sst-dump --tombstones -f cdb "${parts[@]}" >parts.dump
	sst-dump --tombstones -f cdb whole.sst >whole.dump
	same parts.dump whole.dump
	# each part alone is a slice of the whole
	for i in "${parts[@]}"; do sst-dump --tombstones -f cdb "$i"; done >cat.dump
	same cat.dump whole.dump
	no_tmp_left .
}

@test "merge: a store as input stands for its tables" {
	rand_tsv 1 300 500 | sst-build -q --into st -
	rand_tsv 2 300 500 | sst-build -q --into st -
	rand_tsv 3 300 500 | mk_table t.sst
	sst-merge -q -o m.sst st t.sst
	sst-dump st t.sst >want
	sst-dump m.sst >got
	same want got
}

@test "merge: bad input is exit 3, output untouched, no temporary left" {
	fruit_tsv | mk_table a.sst
	echo precious >out.sst
	printf 'not a table at all, just some text that is long enough to have a footer maybe %0100d\n' 0 >bad.sst
	run --separate-stderr sst-merge -o out.sst a.sst bad.sst
	[ "$status" -eq 3 ]
	check_err sst-merge 'bad\.sst'
	[ "$(cat out.sst)" = precious ]
	run --separate-stderr sst-merge -o out.sst a.sst missing.sst
	[ "$status" -eq 4 ] || [ "$status" -eq 3 ]
	check_err sst-merge 'missing\.sst'
	[ "$(cat out.sst)" = precious ]
	# a damaged data block is met while merging
	rand_tsv 9 3000 3000 | mk_table big.sst -b 512 -c none
	printf 'XXXXXXXX' | dd of=big.sst bs=1 seek=2000 conv=notrunc 2>/dev/null
	run --separate-stderr sst-merge --split 4K -o out.sst a.sst big.sst
	[ "$status" -eq 3 ]
	[ "$(cat out.sst)" = precious ]
	[ -z "$(ls out-* 2>/dev/null)" ] || fail "parts left: $(ls out-*)"
	no_tmp_left .
}

@test "merge: inputs read ahead (-j 2) give what -j 1 gives: records, damage messages" {
	local i files=()
	for i in 1 2 3 4 5; do
		rand_tsv "$i" 3000 6000 | mk_table "in$i.sst" -b 512
		files+=("in$i.sst")
	done
	sst-merge -q -j 1 -o one.sst "${files[@]}"
	sst-merge -q -j 2 -o two.sst "${files[@]}"
	same_content one.sst two.sst
	# damaged data blocks met by the readahead thread (inside one of its
	# reads of many blocks, stored raw or compressed): the same failure,
	# naming the same block
	local comp off
	for comp in none zstd; do
		rand_tsv 9 3000 3000 | mk_table big.sst -b 512 -c $comp
		local size=$(stat -c %s big.sst)
		for off in 2000 $((size / 3)) $((size / 2)); do
			cp big.sst dmg.sst
			printf 'XXXXXXXX' | dd of=dmg.sst bs=1 seek=$off conv=notrunc 2>/dev/null
			run --separate-stderr sst-merge -q -j 1 -o o1.sst in1.sst dmg.sst in2.sst
			local s1=$status e1=$stderr
			run --separate-stderr sst-merge -q -j 2 -o o2.sst in1.sst dmg.sst in2.sst
			[ "$status" -eq 3 ] && [ "$s1" -eq 3 ] || fail "$comp, offset $off: exit $s1 / $status"
			[ "$stderr" = "$e1" ] || fail "$comp, offset $off: '$e1' / '$stderr'"
			[[ "$stderr" == *"dmg.sst@"[0-9]*": data block: "* ]] || fail "$comp, offset $off: '$stderr'"
			[ ! -e o2.sst ] || fail "output left"
		done
	done
	no_tmp_left .
}

@test "merge: memory does not grow with the size of the inputs" {
	skip_if_san
	need_cmd /usr/bin/time
	rand_tsv 1 20000 1000000 | mk_table s1.sst
	rand_tsv 2 20000 1000000 | mk_table s2.sst
	rand_tsv 3 400000 1000000 | mk_table b1.sst
	rand_tsv 4 400000 1000000 | mk_table b2.sst
	# without a dictionary, whose sample (up to 2 MiB, held by the larger
	# output only) and training (about 6 MiB) add a bounded constant
	/usr/bin/time -f %M -o small.rss sst-merge -q -j 1 --dict-size 0 -o ms.sst s1.sst s2.sst
	/usr/bin/time -f %M -o big.rss sst-merge -q -j 1 --dict-size 0 -o mb.sst b1.sst b2.sst
	/usr/bin/time -f %M -o dict.rss sst-merge -q -j 1 -o md.sst b1.sst b2.sst
	local s b d
	s=$(tail -1 small.rss)
	b=$(tail -1 big.rss)
	d=$(tail -1 dict.rss)
	echo "peak RSS: small inputs $s KiB, 20x larger inputs $b KiB ($d with a dictionary)" >&3
	[ "$b" -lt $((s + 4096)) ] || fail "RSS grew from $s to $b KiB"
	[ "$d" -lt $((b + 8192)) ] || fail "the dictionary added more than 8 MiB: $b to $d KiB"
	# with the inputs read ahead by threads: a bounded ring of blocks each
	/usr/bin/time -f %M -o small2.rss sst-merge -q -j 2 --dict-size 0 -o ms2.sst s1.sst s2.sst
	/usr/bin/time -f %M -o big2.rss sst-merge -q -j 2 --dict-size 0 -o mb2.sst b1.sst b2.sst
	s=$(tail -1 small2.rss)
	b=$(tail -1 big2.rss)
	echo "peak RSS, -j 2: small inputs $s KiB, 20x larger inputs $b KiB" >&3
	[ "$b" -lt $((s + 4096)) ] || fail "-j 2: RSS grew from $s to $b KiB"
}
