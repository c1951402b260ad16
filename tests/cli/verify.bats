#!/usr/bin/env bats
# sst-verify: intact tables exit 0, damaged ones exit 1 naming the file.

load common

setup() {
	common_setup
	python3 -c '
for i in range(2000):
    print("key%05d\tvalue %d %s" % (i, i, "x" * (i % 50)))' >in.tsv
	sst-build -q -b 1K -o t.sst in.tsv
}

@test "verify: -h/--help to stdout exit 0, --version, usage errors exit 2" {
	for h in -h --help; do
		run --separate-stderr sst-verify "$h"
		[ "$status" -eq 0 ]
		[[ "$output" == *sst-verify* ]]
		[ -z "$stderr" ]
	done
	run --separate-stderr sst-verify --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ [0-9]+\.[0-9]+ ]]
	for args in "--bogus t.sst" "" "-x t.sst"; do
		run --separate-stderr sst-verify $args
		[ "$status" -eq 2 ] || fail "sst-verify $args: exit $status, want 2"
		[[ "${stderr_lines[0]}" == "sst-verify: "* ]] || fail "stderr '$stderr'"
	done
}

@test "verify: intact tables exit 0 (options, empty, several)" {
	run --separate-stderr sst-verify t.sst
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	sst-build -q -c none --bloom-bits 0 -o n.sst in.tsv
	sst-build -q -b 256 --bloom-bits 64 -l 19 -o s.sst in.tsv
	sst-build -q -o e.sst /dev/null
	printf '+1,0:a->\n-1:b\n' | sst-build -q -f cdb -o d.sst
	run --separate-stderr sst-verify t.sst n.sst s.sst e.sst d.sst
	[ "$status" -eq 0 ]
	run --separate-stderr sst-verify -q t.sst n.sst
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
}

@test "verify: a flipped byte in a data block exits 1 naming the file" {
	cp t.sst bad.sst
	model flip bad.sst 100
	run --separate-stderr sst-verify bad.sst
	[ "$status" -eq 1 ]
	[[ "$output$stderr" == *bad.sst* ]]
	# naming the block or offset, and what is wrong
	[[ "$output$stderr" =~ (block|offset|@)[^0-9]*[0-9]+ ]] || fail "no block/offset in: $output$stderr"
	[[ "$output$stderr" =~ checksum|damaged|corrupt|mismatch ]] || fail "no fault named in: $output$stderr"
	run --separate-stderr sst-verify -q bad.sst
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	# good + bad: still 1, and the bad one is named, not the good one as bad
	run --separate-stderr sst-verify t.sst bad.sst
	[ "$status" -eq 1 ]
	[[ "$output$stderr" == *bad.sst* ]]
	run --separate-stderr sst-verify bad.sst t.sst
	[ "$status" -eq 1 ]
}

@test "verify: damage in footer, index, properties, filter is found" {
	size=$(stat -c %s t.sst)
	# footer fields, magic, the index (just before the footer), the middle
	for off in -1 -8 -9 -13 -16 -20 -40 -72 -73 -80 -100 $((size / 2)) $((size * 3 / 4)) 0; do
		cp t.sst bad.sst
		model flip bad.sst "$off" 0x10
		run --separate-stderr sst-verify bad.sst
		[ "$status" -eq 1 ] || fail "flip at $off: exit $status, want 1"
		[[ "$output$stderr" == *bad.sst* ]]
	done
}

@test "verify: a data block copied to another place is caught" {
	# equal-sized raw blocks, so that a swap keeps every length right
	python3 -c '
for i in range(400):
    print("k%04d\t%s" % (i, chr(65 + i % 26) * 40))' >eq.tsv
	sst-build -q -c none -b 512 -o eq.sst eq.tsv
	model swapblocks eq.sst swapped.sst
	run --separate-stderr sst-verify swapped.sst
	[ "$status" -eq 1 ]
	[[ "$output$stderr" == *swapped.sst* ]]
	run --separate-stderr sst-dump swapped.sst
	[ "$status" -eq 3 ]
	check_err sst-dump 'swapped\.sst'
	run --separate-stderr sst-get -k k0000 swapped.sst
	[ "$status" -eq 3 ]
}

@test "verify: not a table exits 1 naming the file" {
	head -c 4000 /dev/urandom >random.bin
	head -c 4000 /dev/zero >zeros.bin
	: >empty.bin
	size=$(stat -c %s t.sst)
	head -c $((size - 72)) t.sst >nofooter.sst
	head -c $((size - 1)) t.sst >short.sst
	{ cat t.sst; printf 'x'; } >long.sst
	{ printf 'x'; cat t.sst; } >shifted.sst
	for f in random.bin zeros.bin empty.bin nofooter.sst short.sst long.sst shifted.sst in.tsv; do
		run --separate-stderr sst-verify "$f"
		[ "$status" -eq 1 ] || fail "$f: exit $status, want 1"
		[[ "$output$stderr" == *"$f"* ]] || fail "$f not named: $output $stderr"
	done
}

@test "verify: missing file exits 4" {
	run --separate-stderr sst-verify nope.sst
	[ "$status" -eq 4 ]
	check_err sst-verify 'nope\.sst'
}

@test "verify: a table that verifies reads; one that fails verify is refused by a full read" {
	cp t.sst bad.sst
	model flip bad.sst 500
	run sst-verify -q bad.sst
	[ "$status" -eq 1 ]
	run --separate-stderr sst-dump bad.sst
	[ "$status" -eq 3 ]
	check_err sst-dump 'bad\.sst'
	sst-dump t.sst >out
	LC_ALL=C sort in.tsv >want
	same out want
}
