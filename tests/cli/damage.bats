#!/usr/bin/env bats
# Damage: flip one byte at each offset of a small table in turn (and cut it
# at many lengths). sst-verify must exit 1 every time; sst-get and sst-dump
# must return the intact answer or exit 3, never a wrong answer or a crash.
# The detection rates go to the TAP output (fd 3) and to
# $BATS_RUN_TMPDIR/damage-*.txt.

load common

setup() {
	common_setup
	# a table of ~1 KB: several small data blocks (some zstd, some raw),
	# tombstones, a filter, the properties, the index and the footer
	python3 -c '
import os, sys
sys.path.insert(0, os.path.dirname(os.environ["MODEL"]))
import model
recs = []
for i in range(24):
    k = b"key-%02d" % i
    if i % 5 == 3:
        recs.append(("-", k, b""))
    elif i % 3 == 0:
        recs.append(("+", k, b"compressible " * 6))
    else:
        recs.append(("+", k, b"v%d\x00\xff" % (i * 7919)))
open("in.cdb", "wb").write(b"".join(model.cdb_rec(r) for r in recs))
# keys to look up: every key, deleted ones, absent ones
qs = [r[1] for r in recs] + [b"key-99", b"a", b"key-0", b"zzz"]
open("keys", "wb").write(b"".join(model.esc(k) + b"\n" for k in qs))'
	sst-build -q -f cdb -b 256 -o small.sst in.cdb
}

report() {
	local f=$BATS_RUN_TMPDIR/damage-$1.txt
	cp "$2" "$f"
	sed 's/^/# /' "$2" >&3
}

@test "damage: every single-byte flip is detected by sst-verify; reads right or exit 3" {
	size=$(stat -c %s small.sst)
	[ "$size" -ge 600 ] && [ "$size" -le 4096 ] || fail "fixture table is $size bytes"
	[ "$(model blocks small.sst | wc -l)" -ge 3 ]
	stride=$(san_or 1 7)
	run model damage small.sst keys flip.txt "$stride" flip
	report flip flip.txt
	[ "$status" -eq 0 ] || { cat flip.txt >&2; false; }
}

@test "damage: a table cut at any length is refused (verify 1, reads 3)" {
	stride=$(san_or 5 17)
	run model damage small.sst keys cut.txt "$stride" cut
	report cut cut.txt
	[ "$status" -eq 0 ] || { cat cut.txt >&2; false; }
	grep -q 'sst-get: right answer 0,' cut.txt
	grep -q 'sst-dump: right answer 0,' cut.txt
}

@test "damage: a flipped bit in the index or a filter chunk still never gives a wrong answer" {
	# a bigger table, every 499th byte: multi-chunk filter, bigger index
	python3 -c '
for i in range(6000):
    print("k%05d\tvalue-%d" % (i * 3, i))' >big.tsv
	sst-build -q -b 512 -o big.sst big.tsv
	python3 -c '
import random
r = random.Random(1)
for _ in range(300):
    print("k%05d" % r.randrange(18000))' >bigkeys
	run model damage big.sst bigkeys big.txt "$(san_or 499 1999)" flip
	report big big.txt
	[ "$status" -eq 0 ] || { cat big.txt >&2; false; }
}
