#!/usr/bin/env bats
# hostile.bats - limits against hostile files (issue 5 §4) that only the
# command line shows: temporary files are private (mode 0600, exclusive
# creation), reading an archive never writes its members anywhere, and a
# table or WAL whose lengths point past its end is refused, not followed.
# (A zstd bomb in a data block: tests/unit/test_hostile.c.)

load common

setup() {
	common_setup
}

# Runs CMD with its input on a fifo that stays open, so the tool sits with
# its temporary output created; prints the mode of each temp file in DIR.
modes_while_open() {
	local dir=$1 pid i
	shift
	mkfifo in.fifo
	"$@" in.fifo &
	pid=$!
	exec 7>in.fifo
	printf 'a\t1\n' >&7
	for ((i = 0; i < 100; i++)); do
		[ -n "$(find "$dir" -maxdepth 1 -name '.*tmp*' -print -quit)" ] && break
		sleep 0.05
	done
	find "$dir" -maxdepth 1 -name '.*tmp*' -printf '%m %f\n'
	exec 7>&-
	wait "$pid"
}

@test "hostile: temporary outputs are created private (0600) and published 0666 & ~umask" {
	mkdir out
	run modes_while_open out sst-build -q -o out/t.sst
	[ "$status" -eq 0 ] || fail "sst-build: $output"
	[[ "$output" == "600 .t.sst.tmp-"* ]] || fail "temporary file modes: '$output'"
	[ "$(stat -c %a out/t.sst)" = "$(printf '%o' $((0666 & ~$(umask))))" ]
	[ "$(sst-get -k a out/t.sst)" = 1 ]
	run modes_while_open out sst-build -q --into out/st
	[ "$status" -eq 0 ] || fail "sst-build --into: $output"
	run find out/st -maxdepth 1 -name '*.sst' -printf '%m\n'
	[ "$output" = "$(printf '%o' $((0666 & ~$(umask))))" ]
}

@test "hostile: an archive's member names are never paths written to" {
	mkdir -p src/sub
	printf 'k1\tv1\n' >src/sub/a.tsv
	printf 'k2\tv2\n' >src/evil.tsv
	# members named with .., an absolute path and a symlink member
	ln -s /etc/passwd src/link
	tar -C src -cf in.tar --transform 's,^evil.tsv,../../escaped.tsv,' \
	    --transform "s,^sub/a.tsv,/tmp/sst-abs-$$.tsv," -P evil.tsv sub/a.tsv link
	tar -tvPf in.tar >&3 || true
	mkdir work && cd work
	rm -f "/tmp/sst-abs-$$.tsv"
	run --separate-stderr sst-build -q -o ../t.sst ../in.tar
	[ "$status" -eq 0 ] || fail "sst-build: $stderr"
	[ ! -e ../../escaped.tsv ] && [ ! -e "$T/escaped.tsv" ] || fail "a member was written out"
	[ ! -e "/tmp/sst-abs-$$.tsv" ] || fail "a member was written to its absolute path"
	[ -z "$(ls -A .)" ] || fail "files appeared in the working directory: $(ls -A .)"
	# both regular members read; the symlink member is not followed
	run sst-dump ../t.sst
	[ "$output" = "$(printf 'k1\tv1\nk2\tv2')" ] || fail "content: $output"
}

@test "hostile: lengths pointing past the end are refused before use" {
	printf 'a\t1\nb\t2\n' | sst-build -q -o t.sst
	size=$(stat -c %s t.sst)
	# 1) the file cut short (every handle then points past the end, or
	#    the footer is gone): exit 3 for readers, 1 for verify
	for cut in 1 8 71 72 $((size - 1)); do
		head -c $((size - cut)) t.sst >cut.sst
		run --separate-stderr sst-get -k a cut.sst
		[ "$status" -eq 3 ] || fail "cut $cut: sst-get exit $status"
		run sst-verify -q cut.sst
		[ "$status" -eq 1 ] || fail "cut $cut: sst-verify exit $status"
	done
	# 2) a WAL record whose length field claims 4 GiB
	printf 'k\tv\n' | wal-append w.wal
	wsize=$(stat -c %s w.wal)
	cp w.wal big.wal
	printf '\377\377\377\377\377\377\377\377\377\377\377\377' >>big.wal
	run --separate-stderr wal-replay -o r.sst big.wal
	# a bad tail is a torn record (exit 0, reported) or damage (exit 3);
	# either way the good record survives and nothing huge is allocated
	[ "$status" -eq 0 ] || [ "$status" -eq 3 ] || fail "wal-replay exit $status: $stderr"
	if [ "$status" -eq 0 ]; then
		[ "$(sst-get -k k r.sst)" = v ]
	fi
	[ "$(stat -c %s w.wal)" = "$wsize" ]
	# 3) garbage appended after a table's footer: not a table any more
	cat t.sst t.sst >twice.sst
	run sst-verify -q twice.sst
	[ "$status" -eq 1 ]
}
