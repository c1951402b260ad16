#!/usr/bin/env bats
# --split-at FILE (sst-build and sst-merge): one table per key range of a
# split file; and the "Scaling out" pipeline on one machine against model.py.

load common

setup() {
	common_setup
	[ -x "$SST_BIN/sst-merge" ] || fail "missing $SST_BIN/sst-merge"
	[ -x "$SST_BIN/sst-sample" ] || fail "missing $SST_BIN/sst-sample"
}

# recs_tsv SEED N KEYSPACE: N random puts over KEYSPACE keys (duplicates).
recs_tsv() {
	awk -v s="$1" -v n="$2" -v m="$3" 'BEGIN { srand(s)
		for (i = 0; i < n; i++) printf "k%05d\tv%d-%d\n", int(rand() * m), s, i }'
}

# info_key TABLE smallest|largest: the key sst-info prints.
info_key() {
	sst-info "$1" | sed -n "s/^$2 key: *//p"
}

@test "split-at: exactly N tables for N-1 keys, empty parts too, keys in their ranges" {
	recs_tsv 1 3000 2000 >in.tsv
	# no key lies between k005a and k005b (k00599 < k005a < k005b < k00600): an
	# empty part; kz is past every key: the last part is empty too
	printf 'k00300\nk005a\nk005b\nk01700\nkz\n' >sp
	sst-build -q --split-at sp -o day.sst in.tsv
	[ ! -e day.sst ]
	local parts=(day-*.sst)
	[ "${parts[*]}" = "day-0001.sst day-0002.sst day-0003.sst day-0004.sst day-0005.sst day-0006.sst" ]
	for p in "${parts[@]}"; do sst-verify -q "$p"; done
	[ "$(sst-dump --count day-0003.sst)" -eq 0 ]
	[ "$(sst-dump --count day-0006.sst)" -eq 0 ]
	# each part's keys inside its range
	[[ "$(info_key day-0001.sst largest)" < k00300 ]]
	[[ "$(info_key day-0002.sst smallest)" > k00299 ]]
	[[ "$(info_key day-0002.sst largest)" < k005a ]]
	[[ "$(info_key day-0004.sst smallest)" > k005b ]]
	[[ "$(info_key day-0004.sst largest)" < k01700 ]]
	[[ "$(info_key day-0005.sst smallest)" > k01699 ]]
	[ "$(info_key day-0002.sst smallest)" = k00300 ] || fail "a cut key is the first key of its part"
	# their union is one sst-build of the same input
	sst-build -q -o whole.sst in.tsv
	sst-dump --tombstones -f cdb "${parts[@]}" >parts.dump
	sst-dump --tombstones -f cdb whole.sst >whole.dump
	same parts.dump whole.dump
	no_tmp_left .
	# an empty split file: one part
	: >none
	sst-build -q --split-at none -o one.sst in.tsv
	[ "$(echo one*.sst)" = one-0001.sst ]
	sst-dump --tombstones -f cdb one-0001.sst >one.dump
	same one.dump whole.dump
	# empty input: every part exists, empty
	: | sst-build -q --split-at sp -o e.sst
	[ "$(ls e-*.sst | wc -l)" -eq 6 ]
	# the directory part of -o and a name without an extension
	mkdir d
	sst-build -q --split-at sp -o d/x in.tsv
	[ -e d/x-0001 ]
	[ -e d/x-0006 ]
}

@test "split-at: later wins across inputs, deletes kept; --sorted input; binary keys" {
	printf 'a\t1\nb\t1\nm\t1\nz\t1\n' >i1.tsv
	printf 'b\t2\nm\t2\n' >i2.tsv
	printf 'z\n' >del.tsv
	printf 'm\n' >sp
	sst-build -q --split-at sp -o p.sst i1.tsv i2.tsv
	[ "$(sst-dump p-0001.sst)" = "$(printf 'a\t1\nb\t2')" ]
	[ "$(sst-dump p-0002.sst)" = "$(printf 'm\t2\nz\t1')" ]
	sst-build -q --delete --split-at sp -o d.sst del.tsv
	[ "$(sst-dump --tombstones d-0002.sst)" = "-1:z" ]
	[ "$(sst-dump --count d-0001.sst)" -eq 0 ]
	# --sorted streams into the parts, the last of equal keys kept
	printf 'a\t1\nm\t1\nm\t2\nn\t3\n' | sst-build -q --sorted --split-at sp -o s.sst
	[ "$(sst-dump s-0001.sst)" = "$(printf 'a\t1')" ]
	[ "$(sst-dump s-0002.sst)" = "$(printf 'm\t2\nn\t3')" ]
	# escaped binary keys in the split file
	printf 'a\\tb\n\\xff\\x00\n' >bsp
	printf '+1,1:a->1\n+3,1:a\tb->2\n+2,1:\377\000->3\n+1,1:\377->4\n' | sst-build -q -f cdb --split-at bsp -o b.sst
	[ "$(sst-dump -e b-0001.sst)" = "$(printf 'a\t1')" ]
	[ "$(sst-dump -e b-0002.sst)" = "$(printf 'a\\\\tb\t2\n\\\\xff\t4')" ] ||
		[ "$(sst-dump -e b-0002.sst | wc -l)" -eq 2 ]
	[ "$(sst-dump --count b-0003.sst)" -eq 1 ]
}

@test "split-at: a bad split file is exit 3 naming its line, before any input is read" {
	printf 'a\t1\n' >in.tsv
	printf 'b\nd\nc\n' >dec
	printf 'b\nb\n' >eq
	printf 'b\nc\\q\n' >esc
	printf 'b\n\nc\n' >empty
	printf 'b\t5\n' >sample
	local f
	for f in dec:3 eq:2 esc:2 empty:2 sample:1; do
		# the input does not exist: the split file is read first
		run --separate-stderr sst-build --split-at "${f%:*}" -o o.sst missing.tsv
		[ "$status" -eq 3 ] || fail "build $f: exit $status"
		check_err sst-build "^sst-build: $f: "
		run --separate-stderr sst-merge --split-at "${f%:*}" -o o.sst missing.sst
		[ "$status" -eq 3 ] || fail "merge $f: exit $status"
		check_err sst-merge "^sst-merge: $f: "
	done
	run --separate-stderr sst-build --split-at nope -o o.sst in.tsv
	[ "$status" -eq 4 ]
	check_err sst-build nope
	run --separate-stderr sst-merge --split-at nope -o o.sst in.tsv
	[ "$status" -eq 4 ]
	check_err sst-merge nope
	[ -z "$(ls o* 2>/dev/null)" ] || fail "left: $(ls o*)"
	no_tmp_left .
}

@test "split-at: a compressed split file is read as every input is, never as one binary key" {
	need_cmd gzip xz
	seq -w 1000 | sed 's/$/\tv/' >in.tsv
	sst-build -q -o in.sst in.tsv
	printf '0250\n0500\n0750\n' >sp
	gzip -c sp >sp.gz
	xz -c sp >sp.xz
	local f
	for f in sp.gz sp.xz; do
		sst-build -q --split-at "$f" -o "b-$f.sst" in.tsv
		sst-merge -q --split-at "$f" -o "m-$f.sst" in.sst
		[ "$(ls b-"$f"-*.sst | wc -l)" = 4 ] || fail "$f: $(ls b-"$f"-*)"
		[ "$(ls m-"$f"-*.sst | wc -l)" = 4 ] || fail "$f: $(ls m-"$f"-*)"
		[ "$(sst-dump --count "b-$f-0002.sst")" = 250 ]
	done
	# damaged is bad data; a table is not a split file
	head -c 20 sp.gz >cut.gz
	run --separate-stderr sst-build --split-at cut.gz -o o.sst in.tsv
	[ "$status" -eq 3 ]
	check_err sst-build '^sst-build: cut\.gz: '
	run --separate-stderr sst-merge --split-at in.sst -o o.sst in.sst
	[ "$status" -eq 3 ]
	check_err sst-merge '^sst-merge: in\.sst: is an sstkit table'
	[ -z "$(ls o* 2>/dev/null)" ] || fail "left: $(ls o*)"
}

@test "split-at: usage errors exit 2" {
	printf 'm\n' >sp
	printf 'a\t1\n' | mk_table a.sst
	run --separate-stderr sst-build --split-at sp --into st a.sst
	[ "$status" -eq 2 ]
	[[ "${stderr_lines[0]}" == "sst-build: "*split-at* ]] || fail "$stderr"
	[ ! -e st ]
	run --separate-stderr sst-merge --split 4K --split-at sp -o o.sst a.sst
	[ "$status" -eq 2 ]
	[[ "${stderr_lines[0]}" == "sst-merge: "*split-at* ]] || fail "$stderr"
	run --separate-stderr sst-merge --compact --split-at sp st
	[ "$status" -eq 2 ]
	run --separate-stderr sst-build --split-at
	[ "$status" -eq 2 ]
	[ -z "$(ls o-* 2>/dev/null)" ]
}

@test "split-at: a failure mid-way leaves no part, and existing parts untouched" {
	printf 'c\nf\n' >sp
	echo precious >o-0001.sst
	# --sorted: parts 1 and 2 are complete when the disorder is met
	printf 'a\t1\nd\t1\ng\t1\nb\t1\n' >dis.tsv
	run --separate-stderr sst-build --sorted --split-at sp -o o.sst dis.tsv
	[ "$status" -eq 3 ]
	check_err sst-build 'dis\.tsv:4'
	[ "$(cat o-0001.sst)" = precious ]
	[ "$(ls -A | grep -c '^o-\|^\.o-')" -eq 1 ] || fail "left: $(ls -A)"
	no_tmp_left .
	# sst-merge: a damaged block met after the first parts were written
	recs_tsv 2 4000 4000 | mk_table big.sst -b 512 -c none
	printf 'k01000\nk02000\n' >sp2
	printf 'XXXXXXXX' | dd of=big.sst bs=1 seek=$(($(stat -c %s big.sst) / 2)) conv=notrunc 2>/dev/null
	run --separate-stderr sst-merge -q --split-at sp2 -o o.sst big.sst
	[ "$status" -eq 3 ]
	[ "$(cat o-0001.sst)" = precious ]
	[ "$(ls -A | grep -c '^o-\|^\.o-')" -eq 1 ] || fail "left: $(ls -A)"
	no_tmp_left .
}

@test "merge --split-at: cut at the keys, same naming and rules, deletes kept or dropped" {
	recs_tsv 3 2000 1500 | mk_table a.sst
	recs_tsv 4 2000 1500 | mk_table b.sst
	printf 'k00100\nk00200\n' | mk_table c.sst --delete
	printf 'k00150\nk00800\nk9\n' >sp
	sst-merge -q --split-at sp -o m.sst a.sst b.sst c.sst
	[ "$(echo m-*.sst)" = "m-0001.sst m-0002.sst m-0003.sst m-0004.sst" ]
	[ "$(sst-dump --count m-0004.sst)" -eq 0 ]
	sst-merge -q -o whole.sst a.sst b.sst c.sst
	sst-dump --tombstones -f cdb m-000[1-4].sst >parts.dump
	sst-dump --tombstones -f cdb whole.sst >whole.dump
	same parts.dump whole.dump
	[ "$(sst-dump --tombstones m-0001.sst | grep -c '^-6:k00100')" -eq 1 ]
	[[ "$(info_key m-0002.sst smallest)" > k00149 ]]
	[[ "$(info_key m-0002.sst largest)" < k00800 ]]
	sst-merge -q --drop-deletes --split-at sp -o n.sst a.sst b.sst c.sst
	[ "$(sst-dump --tombstones n-0001.sst | grep -c '^-')" -eq 0 ]
	no_tmp_left .
}

# pipeline SEED PARTS: the "Scaling out" steps on the shards of model gen,
# checked against the model (latest wins over all shards in order).
pipeline() {
	local seed=$1 nparts=$2 p s j shards=() parts=()
	model gen "$seed" "$(san_or 1200 400)" g
	for p in g/piece-*.cdb; do
		s=${p#g/piece-}
		s=${s%.cdb}
		sst-sample -f cdb -n 40 --seed "$seed" "$p" >"sample-$s"
		model sample-check 40 "sample-$s" "$p"
		shards+=("$s")
	done
	sst-sample --splits "$nparts" sample-* >splits
	for s in "${shards[@]}"; do
		sst-build -q -f cdb -b 512 --split-at splits -o "shard-$s.sst" "g/piece-$s.cdb"
	done
	j=1
	while [ -e "shard-${shards[0]}-$(printf %04d $j).sst" ]; do
		local in=()
		for s in "${shards[@]}"; do in+=("shard-$s-$(printf %04d $j).sst"); done
		sst-merge -q -o "part-$(printf %04d $j).sst" "${in[@]}"
		sst-verify -q "part-$(printf %04d $j).sst"
		sst-dump --tombstones -f cdb "part-$(printf %04d $j).sst" >"part-$(printf %04d $j).cdb"
		parts+=("part-$(printf %04d $j).cdb")
		j=$((j + 1))
	done
	model split-check g/all.cdb splits "$nparts" "${parts[@]}"
	# the union equals one sst-build of all shards in order
	sst-build -q -f cdb -o one.sst g/piece-*.cdb
	sst-dump --tombstones -f cdb one.sst >one.cdb
	cat "${parts[@]}" >union.cdb
	same union.cdb one.cdb
}

@test "split-at: the scaling-out pipeline equals one build of all shards (differential)" {
	local seed
	for seed in 11 12 13; do
		mkdir "$T/r$seed"
		cd "$T/r$seed"
		echo "seed $seed" >&2
		pipeline "$seed" $((seed % 5 + 2))
	done
}
