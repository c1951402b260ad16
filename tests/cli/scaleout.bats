#!/usr/bin/env bats
# The scale-out drivers (CONTRACT.md "Scaling out"): scripts/sst-parallel-build
# under GNU parallel with local job slots (-S 2/:), and scripts/sst-slurm-build
# on a single-node Slurm cluster that the test starts itself
# (scripts/slurm-local). Each result must equal one sst-build of all shards
# in order (later shards win) and verify clean; a failed job stops the
# pipeline before the ingest, and the store is not made.

load common

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

setup() {
	common_setup
	# Four shards of overlapping keys: every key appears in several shards
	# with a value naming the shard, so "later shards win" is visible; one
	# shard is gzip-compressed, one holds a key far beyond the others.
	for s in 1 2 3 4; do
		awk -v s="$s" 'BEGIN { srand(s); for (i = 0; i < 3000; i++) {
			k = int(rand() * 5000); printf "key%06d\tv%d-%d\n", k, s, i } }' >"shard$s.tsv"
	done
	printf 'zzz-last\tfrom-4\n' >>shard4.tsv
	gzip shard2.tsv
	sst-build -q -o single.sst shard1.tsv shard2.tsv.gz shard3.tsv shard4.tsv
	sst-dump single.sst >single.txt
}

# same_as_single STORE: the store's records are the single build's.
same_as_single() {
	sst-dump "$1" >store.txt
	cmp single.txt store.txt || { diff single.txt store.txt | head >&2; return 1; }
	sst-verify -q "$1"
}

@test "sst-parallel-build: the store equals one sst-build of all shards (2 local job slots)" {
	need_cmd parallel
	run sh "$ROOT/scripts/sst-parallel-build" -S 2/: -P 4 -n 500 -B "$SST_BIN" \
	    -- -m 8M store shard1.tsv shard2.tsv.gz shard3.tsv shard4.tsv
	[ "$status" -eq 0 ] || fail "$output"
	same_as_single store
	[ ! -e store.work ]
	# the parts are disjoint: they form one level in one commit
	run sst-info --json store
	[ "$status" -eq 0 ]
}

@test "sst-parallel-build: a failed job stops the pipeline; --resume finishes it" {
	need_cmd parallel
	cp shard3.tsv good3.tsv
	printf 'ok\tvalue\n\tempty key\n' >>shard3.tsv	# bad data: sst-sample exits 3
	run sh "$ROOT/scripts/sst-parallel-build" -S 2/: -P 3 -n 500 -B "$SST_BIN" \
	    store shard1.tsv shard2.tsv.gz shard3.tsv shard4.tsv
	[ "$status" -ne 0 ]
	[[ "$output" == *"step 'sample' failed"* ]] || fail "$output"
	[ ! -e store ]
	[ -f store.work/joblog.sample ]
	# the same command again without --resume refuses the old work dir
	run sh "$ROOT/scripts/sst-parallel-build" -S 2/: -P 3 -B "$SST_BIN" \
	    store shard1.tsv shard2.tsv.gz shard3.tsv shard4.tsv
	[ "$status" -eq 2 ]
	cp good3.tsv shard3.tsv
	run sh "$ROOT/scripts/sst-parallel-build" -S 2/: -P 3 -n 500 -B "$SST_BIN" --resume \
	    store shard1.tsv shard2.tsv.gz shard3.tsv shard4.tsv
	[ "$status" -eq 0 ] || fail "$output"
	same_as_single store
}

@test "sst-parallel-build: usage errors exit 2" {
	run sh "$ROOT/scripts/sst-parallel-build" --bogus store a
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown option"* ]]
	run sh "$ROOT/scripts/sst-parallel-build" store
	[ "$status" -eq 2 ]
	run sh "$ROOT/scripts/sst-parallel-build" -P x store shard1.tsv
	[ "$status" -eq 2 ]
	run sh "$ROOT/scripts/sst-parallel-build" --help
	[ "$status" -eq 0 ]
	[[ "$output" == Usage:* ]]
}

@test "sst-slurm-build: job arrays with afterok on a one-node cluster; a failed task cancels the ingest" {
	skip_if_san "the driver is shell; its tools run under ASan in their own tests"
	need_cmd sbatch
	[ "$(id -u)" = 0 ] || skip "slurmd needs root"
	[ -x /usr/sbin/slurmctld ] && [ -x /usr/sbin/slurmd ] && [ -x /usr/sbin/munged ] ||
	    skip "slurm-wlm or munge not installed"
	SL="$T/slurm"
	run sh "$ROOT/scripts/slurm-local" start "$SL"
	[ "$status" -eq 0 ] || { sh "$ROOT/scripts/slurm-local" stop "$SL"; fail "$output"; }
	export SLURM_CONF="$SL/slurm.conf"
	run sh "$ROOT/scripts/sst-slurm-build" --wait -P 4 -n 500 -B "$SST_BIN" \
	    -- -m 8M store shard1.tsv shard2.tsv.gz shard3.tsv shard4.tsv
	ok=$status out=$output
	if [ "$ok" -eq 0 ]; then
		same_as_single store || ok=99
	fi
	# a failing task (bad data in a shard): every later job is cancelled, no store
	printf '\tempty key\n' >>shard4.tsv
	run sh "$ROOT/scripts/sst-slurm-build" --wait -P 4 -n 500 -B "$SST_BIN" -w bad.work \
	    bad shard1.tsv shard2.tsv.gz shard3.tsv shard4.tsv
	bad=$status badout=$output
	sh "$ROOT/scripts/slurm-local" stop "$SL"
	[ "$ok" -eq 0 ] || fail "good run: $ok $out"
	[ "$bad" -eq 1 ] || fail "bad run: $bad $badout"
	[[ "$badout" == *"pipeline failed"* ]]
	[ ! -e bad ]
	[ ! -e bad.work/ingested ]
}

@test "sst-slurm-build: usage errors exit 2" {
	run sh "$ROOT/scripts/sst-slurm-build" --bogus store a
	[ "$status" -eq 2 ]
	run sh "$ROOT/scripts/sst-slurm-build" store
	[ "$status" -eq 2 ]
	run sh "$ROOT/scripts/sst-slurm-build" --help
	[ "$status" -eq 0 ]
	[[ "$output" == Usage:* ]]
}

@test "drivers: installed by make install they find their shared part (sst-driver.sh), also through a link; make uninstall removes it" {
	stage=$T/stage
	make -s -C "$ROOT" BUILD="$(dirname "$SST_BIN")" DESTDIR="$stage" PREFIX=/usr \
	    PYDIR=/usr/lib/python3/dist-packages install >/dev/null
	bin=$stage/usr/bin
	[ -f "$stage/usr/share/sstkit/sst-driver.sh" ]
	[ ! -e "$bin/sst-driver.sh" ]
	run sh "$bin/sst-parallel-build" -S 2/: -P 3 -n 500 -B "$bin" -- -b 1K -l 1 st shard1.tsv \
	    shard2.tsv.gz shard3.tsv shard4.tsv
	[ "$status" -eq 0 ] || fail "$output"
	same_as_single st
	sst-info st/*.sst | grep -q '^block size: *1024' || fail "-b 1K did not reach the tables"
	ln -s "$bin/sst-slurm-build" slurm-link
	run sh slurm-link --help
	[ "$status" -eq 0 ]
	[[ "$output" == Usage:* ]]
	run sh slurm-link -n x st2 shard1.tsv
	[ "$status" -eq 2 ]
	[[ "$output" == *"--sample: want a number, not 'x'"* ]]
	# die's message is the message alone, its status the status
	run sh "$bin/sst-parallel-build" -B "$bin" st3 missing.tsv
	[ "$status" -eq 4 ]
	[[ "$output" == *"missing.tsv: cannot read" ]] || fail "$output"
	make -s -C "$ROOT" BUILD="$(dirname "$SST_BIN")" DESTDIR="$stage" PREFIX=/usr \
	    PYDIR=/usr/lib/python3/dist-packages uninstall >/dev/null
	[ ! -e "$stage/usr/share/sstkit" ]
	[ ! -e "$bin/sst-parallel-build" ]
}
