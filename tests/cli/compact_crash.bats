#!/usr/bin/env bats
# kill -9 at random moments during sst-merge --compact and sst-ingest: the
# store always opens in its old or its new state, verifies clean and equals
# the model.

load common
load store_helpers

LEVELED="--strategy leveled --set l0-trigger=2 --set level1-size=16K --set level-growth=4 --set file-size=8K --set max-levels=5"
TIERED="--strategy size-tiered --set min-threshold=2"

setup() {
	common_setup
	[ -x "$SST_BIN/sst-merge" ] || fail "missing $SST_BIN/sst-merge"
}

# ms: milliseconds since the epoch.
ms() {
	date +%s%3N
}

# next_writer_cleans TRIAL: a compaction of st after a crash leaves neither
# temporary files nor unreferenced tables.
next_writer_cleans() {
	sst-merge -q --compact st >/dev/null || fail "trial $1: compaction after the crash failed"
	[ -z "$(find st -name '.*tmp*')" ] || fail "trial $1: leftovers not removed"
	[ "$(ls st | grep -c '\.sst$')" -eq "$(tables_of st | wc -l)" ] ||
		fail "trial $1: unreferenced tables left: $(ls st)"
}

# crash_trials STRATEGY-OPTIONS TRIALS: kill -9 compactions of a copy of base.
crash_trials() {
	local opts=$1 trials=$2 t0 dur i delay killed=0 done_before=0
	cp -a base st
	t0=$(ms)
	sst-merge -q --compact $opts st >/dev/null || fail "full compaction failed"
	dur=$(($(ms) - t0))
	check_store st
	echo "# full compaction ($opts): ${dur} ms" >&3
	for i in $(seq 1 "$trials"); do
		rm -rf st
		cp -a base st
		delay=$((RANDOM % (dur * 3 / 4 + 1)))
		sst-merge -q --compact $opts st >/dev/null 2>&1 &
		local pid=$!
		sleep "$(printf '0.%03d' "$delay")"
		if kill -9 "$pid" 2>/dev/null; then
			killed=$((killed + 1))
		else
			done_before=$((done_before + 1))
		fi
		wait "$pid" 2>/dev/null || true
		sst-verify -q st || fail "trial $i (killed after ${delay} ms): sst-verify failed"
		sst-dump st >got.tsv || fail "trial $i: sst-dump failed"
		same want.tsv got.tsv || fail "trial $i (killed after ${delay} ms): content differs"
		# the next writer cleans up and finishes the work
		if [ $((i % 4)) -eq 0 ]; then
			next_writer_cleans "$i"
			sst-dump st >got.tsv
			same want.tsv got.tsv || fail "trial $i: content differs after recovery"
			sst-verify -q st
		fi
	done
	echo "# $trials trials: $killed killed mid-way, $done_before had finished" >&3
	[ "$killed" -gt 0 ]
}

make_base() {
	local i n
	n=$(san_or 1500 400)
	for i in $(seq 1 12); do load_batch base "$i" "$n" 20000; done
	model_dump >want.tsv
}

@test "crash: kill -9 during size-tiered compaction (random delays)" {
	make_base
	crash_trials "$TIERED" "$(san_or 50 20)"
}

@test "crash: kill -9 during leveled compaction (random delays)" {
	make_base
	crash_trials "$LEVELED" "$(san_or 50 20)"
}

@test "crash: kill -9 during sst-ingest (random delays)" {
	local i n t0 dur delay killed=0 trials
	trials=$(san_or 40 15)
	n=$(san_or 1500 400)
	for i in 1 2 3; do load_batch base "$i" "$n" 20000; done
	sst-merge -q --compact --strategy leveled base
	model_dump >old.tsv
	for i in 4 5 6 7 8 9; do
		rand_tsv "$i" "$n" 20000 | sst-build -q -o "in-$i.sst"
		rand_tsv "$i" "$n" 20000 | awk -F '\t' '{ printf "+%d,%d:%s->%s\n", length($1), length($2), $1, $2 }' >>model.cdb
	done
	model_dump >new.tsv
	cp -a base st
	t0=$(ms)
	sst-ingest -q st in-*.sst || fail "ingest failed"
	dur=$(($(ms) - t0))
	sst-dump st >got.tsv
	same new.tsv got.tsv
	for i in $(seq 1 "$trials"); do
		rm -rf st
		cp -a base st
		delay=$((RANDOM % (dur + 1)))
		sst-ingest -q st in-*.sst >/dev/null 2>&1 &
		local pid=$!
		sleep "$(printf '0.%03d' "$delay")"
		kill -9 "$pid" 2>/dev/null && killed=$((killed + 1))
		wait "$pid" 2>/dev/null || true
		sst-verify -q st || fail "trial $i (killed after ${delay} ms): sst-verify failed"
		sst-dump st >got.tsv || fail "trial $i: sst-dump failed"
		cmp -s got.tsv old.tsv || same new.tsv got.tsv ||
			fail "trial $i (killed after ${delay} ms): neither the old nor the new content"
		[ -f in-4.sst ] && [ -f in-9.sst ] || fail "trial $i: a source was removed"
		# the next writer removes what the killed one left
		next_writer_cleans "$i"
	done
	echo "# $trials trials: $killed killed mid-way" >&3
	[ "$killed" -gt 0 ]
}
