#!/usr/bin/env bats
# External sort: inputs many times the -m budget, peak RSS, temp files,
# several merge passes, latest-wins across runs.

load common

setup() {
	common_setup
}

# big_build M R MEM [extra options]: generate R passes over M keys (each key
# once per pass, the last pass wins), build with -m MEM, check every record.
big_build() {
	local m=$1 r=$2 mem=$3
	shift 3
	model biggen in.tsv "$m" "$r"
	mkdir -p td
	local t0=$SECONDS
	/usr/bin/time -f '%M %e' -o rss.txt sst-build -q -m "$mem" -T "$T/td" "$@" -o big.sst in.tsv
	BUILD_SECS=$((SECONDS - t0))
	INPUT_BYTES=$(stat -c %s in.tsv)
	rm -f in.tsv
	RSS_KB=$(cut -d' ' -f1 rss.txt)
	[ -z "$(ls -A td)" ] || fail "temp files left in -T dir: $(ls -A td)"
	no_tmp_left .
	sst-verify -q big.sst
	sst-dump big.sst >dump.tsv
	model bigcheck dump.tsv "$m" "$r" >/dev/null
	[ "$(sst-dump --count big.sst)" = "$m" ]
	rm -f dump.tsv
}

@test "extsort: 256 MiB input with -m 32M: correct, RSS under 64 MiB, no temp files" {
	skip_if_san
	big_build $((1 << 20)) 4 32M
	[ "$INPUT_BYTES" -ge $((256 << 20)) ]
	echo "# extsort: $INPUT_BYTES bytes in ${BUILD_SECS}s with -m 32M, peak RSS ${RSS_KB} KiB, table $(stat -c %s big.sst) bytes" >&3
	echo "extsort 256MiB -m 32M: $(cat rss.txt) (KiB, s)" >"$BATS_RUN_TMPDIR/extsort.txt"
	[ "$RSS_KB" -lt $(((32 + 32) * 1024)) ] || fail "peak RSS $RSS_KB KiB over -m 32M + 32 MiB"
	# spot checks by batch lookup of the last pass
	python3 -c '
import os, sys
sys.path.insert(0, os.path.dirname(os.environ["MODEL"]))
import model
m = 1 << 20
with open("q", "wb") as q, open("want", "wb") as w:
    for j in range(0, m, 997):
        k = model.big_key((j * model.BIG_A) & (m - 1))
        q.write(k + b"\n")
        w.write(b"%s\tv%07d:%s\n" % (k, 3 * m + j, model.BIG_PAD))'
	sst-get big.sst <q >got
	same got want
}

@test "extsort: the filter of many distinct keys stays within the cap" {
	skip_if_san
	# 3M distinct keys at 40 bits a key: a 15 MB filter, built after the
	# sort in slices of half of -m, so it does not add to the peak.
	awk 'BEGIN { for (i = 0; i < 3000000; i++) printf "k%09d\tv\n", (i * 7919) % 3000000 }' >in.tsv
	/usr/bin/time -f '%M' -o rss0.txt sst-build -q -m 4M --bloom-bits 0 -o none.sst in.tsv
	/usr/bin/time -f '%M' -o rss.txt sst-build -q -m 4M --bloom-bits 40 -o big.sst in.tsv
	sst-verify -q big.sst
	run sst-info --json big.sst
	[[ "$output" == *'"filter_bytes": 15'* ]] || fail "filter not ~15 MB: $output"
	echo "# filter: 3M keys, -m 4M: peak $(cat rss.txt) KiB with --bloom-bits 40, $(cat rss0.txt) KiB with none" >&3
	# the whole filter would be 14.6 MiB more; allow 4 MiB (one slice, hashes)
	[ "$(cat rss.txt)" -lt $(($(cat rss0.txt) + 4096)) ] ||
		fail "peak RSS $(cat rss.txt) KiB, $(cat rss0.txt) KiB without a filter"
	[ "$(cat rss.txt)" -lt $(((4 + 12) * 1024)) ] || fail "peak RSS $(cat rss.txt) KiB over -m 4M + 12 MiB"
}

@test "extsort: -m 1M with a low open-file limit: several merge passes, correct" {
	if [ "$SST_SAN" = 1 ]; then m=$((1 << 14)); else m=$((1 << 16)); fi
	# 16 MiB (plain) of input in 1 MiB of memory, at most ~10 free descriptors
	(ulimit -n 16 && big_build "$m" 4 1M -j 2)
}

@test "extsort: -j 1 spills and merges too" {
	if [ "$SST_SAN" = 1 ]; then m=$((1 << 13)); else m=$((1 << 15)); fi
	big_build "$m" 3 1M -j 1
}

@test "extsort: duplicates and deletes in different runs: latest wins" {
	python3 -c '
import os, sys
sys.path.insert(0, os.path.dirname(os.environ["MODEL"]))
import model
out = open("in.cdb", "wb")
def filler(tag):
    out.write(b"".join(model.cdb_put(b"fill-%s-%06d" % (tag, i), b"x" * 60) for i in range(30000)))
# A: put, put -> 2nd; B: put, delete -> tombstone; C: delete, put -> put;
# D: put, delete, put -> 3rd; E: delete only
seq = [[("+", b"A", b"A1"), ("+", b"B", b"B1"), ("-", b"C", b""), ("+", b"D", b"D1")],
       [("+", b"A", b"A2"), ("-", b"B", b""), ("+", b"C", b"C2"), ("-", b"D", b""), ("-", b"E", b"")],
       [("+", b"D", b"D3")]]
for n, evs in enumerate(seq):
    filler(b"%d" % n)
    out.write(b"".join(model.cdb_rec(r) for r in evs))
    filler(b"%dz" % n)'
	sst-build -q -f cdb -m 1M -o t.sst in.cdb
	sst-dump --tombstones -f cdb --to fill t.sst >got
	printf '+1,2:A->A2\n-1:B\n+1,2:C->C2\n+1,2:D->D3\n-1:E\n' >want
	same got want
	[ "$(sst-dump --count t.sst)" = $((6 * 30000 + 3)) ]
	# the same with --sorted off and the input through gzip and -j 1
	gzip -c in.cdb | sst-build -q -f cdb -m 1M -j 1 -o t2.sst -
	sst-dump --tombstones -f cdb --to fill t2.sst >got2
	same got2 want
}
