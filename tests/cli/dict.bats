#!/usr/bin/env bats
# Dictionary compression (formats/sstable.md, "Dictionary"): --dict-size of
# sst-build, sst-merge and wal-replay; sst-info and sst-verify on tables
# with and without a dictionary; the checked-in version 1 and 2 tables.

load common

setup() {
	common_setup
	DATA="$BATS_TEST_DIRNAME/../data"
	# about 1.4 MiB of stanza-like records: enough for the default dictionary to pay
	python3 -c '
import random
r = random.Random(7)
w = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango".split()
for i in range(8000):
    d = " ".join(r.choice(w) for _ in range(r.randint(5, 20)))
    print("pkg%05d\tPackage: pkg%05d\\nVersion: %d.%d\\nMaintainer: team %d <t%d@lists.example.org>\\nDescription: %s\\n" % (i, i, r.randint(0, 9), r.randint(0, 99), i % 11, i % 11, d))' >in.tsv
}

@test "dict: sst-build makes a version 2 table with a dictionary; --dict-size 0 a version 1 table" {
	sst-build -q -o d.sst in.tsv
	sst-build -q --dict-size 0 -o n.sst in.tsv
	run sst-info d.sst
	[ "$status" -eq 0 ]
	grep -q '^format version: *2$' <<<"$output"
	grep -Eq '^dictionary: *[0-9]+ bytes$' <<<"$output"
	run sst-info n.sst
	grep -q '^format version: *1$' <<<"$output"
	grep -q '^dictionary: *none$' <<<"$output"
	sst-verify -q d.sst
	sst-verify -q n.sst
	[ "$(stat -c %s d.sst)" -lt "$(stat -c %s n.sst)" ]
	sst-dump d.sst >d.txt
	sst-dump n.sst >n.txt
	[ "$(wc -l <d.txt)" = 8000 ]
	cmp d.txt n.txt
	run sst-get -k pkg01234 d.sst
	[ "$status" -eq 0 ]
	[ "$output" = "$(grep '^pkg01234	' in.tsv | cut -f2)" ]
}

@test "dict: sst-info --json gives dictionary_bytes, null without one" {
	sst-build -q -o d.sst in.tsv
	sst-build -q --dict-size 0 -o n.sst in.tsv
	run sst-info --json d.sst
	grep -Eq '"dictionary_bytes": [1-9][0-9]*' <<<"$output"
	run sst-info --json n.sst
	grep -q '"dictionary_bytes": null' <<<"$output"
}

@test "dict: a small table gets no dictionary" {
	head -n 100 in.tsv >small.tsv
	sst-build -q -o s.sst small.tsv
	run sst-info s.sst
	grep -q '^dictionary: *none$' <<<"$output"
}

@test "dict: --dict-size range is checked (exit 2)" {
	run sst-build --dict-size 100 -o x.sst in.tsv
	[ "$status" -eq 2 ]
	[[ "$output" == *"--dict-size"* ]]
	run sst-build --dict-size 1M -o x.sst in.tsv
	[ "$status" -eq 2 ]
	sst-build -q --dict-size 512K -o x.sst in.tsv
	sst-verify -q x.sst
}

@test "dict: sst-merge and wal-replay write dictionary tables; --dict-size 0 turns it off" {
	head -n 4000 in.tsv >a.tsv
	tail -n 4000 in.tsv >b.tsv
	sst-build -q --dict-size 0 -o a.sst a.tsv
	sst-build -q --dict-size 0 -o b.sst b.tsv
	sst-merge -q -o m.sst a.sst b.sst
	run sst-info m.sst
	grep -q '^format version: *2$' <<<"$output"
	sst-merge -q --dict-size 0 -o m0.sst a.sst b.sst
	run sst-info m0.sst
	grep -q '^dictionary: *none$' <<<"$output"
	sst-dump m.sst >m.txt
	sst-dump m0.sst >m0.txt
	[ "$(wc -l <m.txt)" = 8000 ]
	cmp m.txt m0.txt
	wal-append -e w.wal <in.tsv 2>/dev/null || wal-append w.wal <in.tsv
	wal-replay -q --memtable-size 64M -o r.sst w.wal
	run sst-info r.sst
	grep -q '^format version: *2$' <<<"$output"
	sst-verify -q r.sst
}

@test "dict: the checked-in tables: version 1 and the spec's version 2 example" {
	run sst-verify "$DATA/v1.sst"
	[ "$status" -eq 0 ]
	run sst-get -k cherry "$DATA/v1.sst"
	[ "$output" = "dark red" ]
	run sst-verify "$DATA/v2-dict.sst"
	[ "$status" -eq 0 ]
	run sst-info "$DATA/v2-dict.sst"
	grep -q '^dictionary: *256 bytes$' <<<"$output"
	# the spec's example is what sst-build writes (but for the creation time)
	sst-build -q -e -b 256 --dict-size 256 --bloom-bits 0 -o ex.sst "$DATA/v2-dict.tsv"
	sst-dump -e "$DATA/v2-dict.sst" >a.txt
	sst-dump -e ex.sst >b.txt
	[ "$(wc -l <a.txt)" = 30 ]
	cmp a.txt b.txt
	[ "$(stat -c %s ex.sst)" = 1380 ]
	cmp -n 826 ex.sst "$DATA/v2-dict.sst"	# data and dictionary blocks byte for byte
}

@test "dict: a flipped byte in the dictionary is damage (verify 1, get 3)" {
	sst-build -q -o d.sst in.tsv
	off=$(python3 -c '
import struct, sys
b = open("d.sst", "rb").read()
print(struct.unpack("<Q", b[-88:-80])[0] + 100)')
	printf '\x00' | dd of=d.sst bs=1 seek="$off" conv=notrunc status=none
	run sst-verify d.sst
	[ "$status" -eq 1 ]
	dictoff=$(python3 -c '
import struct
b = open("d.sst", "rb").read()
print(struct.unpack("<Q", b[-88:-80])[0])')
	[[ "$output" == *"d.sst@$dictoff: dictionary: "* ]] || fail "$output"
	run sst-get -k pkg00001 d.sst
	[ "$status" -eq 3 ]
}

@test "dict: wal-replay --into trains no dictionary per flush unless --dict-size is given; -o gives its output one" {
	wal-append w.wal in.tsv
	wal-replay -q --into st w.wal
	run sst-info --json st
	[ "$status" -eq 0 ]
	grep -q '"tables"' <<<"$output"
	for t in st/*.sst; do
		sst-info "$t" | grep -q '^dictionary: *none$' || fail "$t has a dictionary"
	done
	wal-replay -q --dict-size 32K --into st2 w.wal
	sst-info st2/*.sst | grep -Eq '^dictionary: *[0-9]+ bytes$'
	# -o: temporary flushes without, the merged output with a dictionary
	wal-replay -q --memtable-size 128K -o o.sst w.wal
	sst-info o.sst | grep -Eq '^dictionary: *[0-9]+ bytes$'
	[ "$(sst-dump o.sst)" = "$(sst-dump st)" ]
	[ "$(sst-dump st2)" = "$(sst-dump st)" ]
	sst-verify -q st st2 o.sst
}
