#!/usr/bin/env bats
# sst-sample: random key samples with byte weights, and --splits (split files).

load common

setup() {
	common_setup
	[ -x "$SST_BIN/sst-sample" ] || fail "missing $SST_BIN/sst-sample"
}

# keys_tsv N: N records k0000001..kN in a shuffled order, values of varied length.
keys_tsv() {
	awk -v n="$1" 'BEGIN { srand(3); for (i = 1; i <= n; i++) {
		printf "k%07d\t%s\n", (i * 7919) % n + 1, substr("vvvvvvvvvvvvvvvvvvvv", 1, i % 17) } }'
}

# bytes_of TSV: the key and value bytes of a plain tsv file (no TAB, no LF).
bytes_of() {
	awk -F'\t' '{ s += length($0) - 1 } END { print s }' "$1"
}

sum_bytes() {
	awk -F'\t' '{ s += $2 } END { print s + 0 }' "$1"
}

@test "sample: -h, --version, usage errors exit 2" {
	run --separate-stderr sst-sample -h
	[ "$status" -eq 0 ]
	[[ "$output" == *"--splits N"* ]]
	[[ "$output" == *"-n, --count"* ]]
	run --separate-stderr sst-sample --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ [0-9]+\.[0-9]+ ]]
	printf 'a\t1\n' >in.tsv
	for args in "-n 0 in.tsv" "-n x in.tsv" "-n 1K in.tsv" "--seed -1 in.tsv" "--seed x in.tsv" \
	    "-f xml in.tsv" "--splits 0 in.tsv" "--splits x in.tsv" "--splits 3 -n 5 in.tsv" \
	    "--splits 3 -e in.tsv" "--splits 3 --seed 1 in.tsv" "--bogus in.tsv"; do
		run --separate-stderr sst-sample $args
		[ "$status" -eq 2 ] || fail "sst-sample $args: exit $status, want 2"
		[[ "${stderr_lines[0]}" == "sst-sample: "* ]] || fail "stderr: $stderr"
		[ -z "$output" ] || fail "sst-sample $args printed: $output"
	done
}

@test "sample: at most COUNT keys in key order, BYTES summing to the input's bytes" {
	keys_tsv 5000 >in.tsv
	sst-sample -n 100 in.tsv >s
	[ "$(wc -l <s)" -eq 100 ]
	cut -f1 s | LC_ALL=C sort -c -u
	[ "$(sum_bytes s)" -eq "$(bytes_of in.tsv)" ]
	[ -z "$(cut -f1 s | LC_ALL=C comm -23 - <(cut -f1 in.tsv | LC_ALL=C sort -u))" ] ||
		fail "sampled keys that are no input key"
	# the default COUNT is 10,000: a smaller input is sampled whole
	sst-sample in.tsv >all
	[ "$(wc -l <all)" -eq 5000 ]
	[ "$(cut -f1 all)" = "$(cut -f1 in.tsv | LC_ALL=C sort)" ]
	[ "$(sum_bytes all)" -eq "$(bytes_of in.tsv)" ]
	# one line per distinct key: duplicates add their weights
	printf 'x\t1\nx\t22\ny\t333\n' | sst-sample >d
	[ "$(cat d)" = "$(printf 'x\t6\ny\t3')" ]	# 9 bytes, 3 each
	# an empty input: an empty sample
	: | sst-sample >e
	[ ! -s e ]
}

@test "sample: --seed makes it deterministic; another seed gives another sample" {
	keys_tsv 5000 >in.tsv
	sst-sample -n 50 --seed 7 in.tsv >a
	sst-sample -n 50 --seed 7 <in.tsv >b
	sst-sample -n 50 --seed 8 in.tsv >c
	same a b
	! cmp -s a c
	# the default seed is fixed too
	sst-sample -n 50 in.tsv >d
	sst-sample -n 50 in.tsv >e
	same d e
	# about uniform: of 200 keys out of 5000, 60..140 in the lower half
	sst-sample -n 200 --seed 3 in.tsv | awk '$1 < "k0002501"' >low
	local n
	n=$(wc -l <low)
	[ "$n" -ge 60 ] && [ "$n" -le 140 ] || fail "$n of 200 in the lower half"
}

@test "sample: keys are printed escaped, whatever the input format; -e input" {
	printf '+3,1:a\tb->1\n+3,2:c\nd->22\n+2,0:\000z->\n-1:q\n' >bin.cdb
	run --separate-stderr sst-sample -f cdb bin.cdb
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '\\0z\t3\na\\tb\t3\nc\\nd\t3\nq\t3')" ]	# 12 bytes
	printf 'a\\tb\tv\nz\\\\\tw\n' >e.tsv
	run --separate-stderr sst-sample -e e.tsv
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'a\\tb\t3\nz\\\\\t4')" ]	# 7 bytes: 3 + 4
	# round trip: sample keys are split-file keys
	sst-sample -f cdb bin.cdb | sst-sample --splits 10 - >sp
	[ "$(wc -l <sp)" -eq 3 ]
	[ "$(cat sp)" = "$(printf 'a\\tb\nc\\nd\nq')" ]
}

@test "sample: every input rule of sst-build (compressed, several inputs, stdin)" {
	keys_tsv 3000 >in.tsv
	head -1000 in.tsv | gzip >p1.gz
	tail -n +1001 in.tsv | zstd -q -c >p2.zst 2>/dev/null || tail -n +1001 in.tsv | xz -c >p2.zst
	sst-sample -n 3000 p1.gz p2.zst >s
	[ "$(wc -l <s)" -eq 3000 ]
	[ "$(sum_bytes s)" -eq "$(bytes_of in.tsv)" ]
	gzip -dc p1.gz | sst-sample -n 3000 - p2.zst >t
	same s t
}

@test "sample: bad input exit 3 naming the line, a missing input 4, as sst-build" {
	printf 'a\t1\n\tno key\n' >bad.tsv
	run --separate-stderr sst-sample bad.tsv
	[ "$status" -eq 3 ]
	check_err sst-sample 'bad\.tsv:2'
	[ -z "$output" ]
	printf 'a\\q\t1\n' >esc.tsv
	run --separate-stderr sst-sample -e esc.tsv
	[ "$status" -eq 3 ]
	check_err sst-sample 'esc\.tsv:1'
	run --separate-stderr sst-sample missing.tsv
	[ "$status" -eq 4 ]
	check_err sst-sample 'missing\.tsv'
	# a table is not records where sst-build says so (the input rules)
	printf 'a\t1\n' | mk_table t.sst
	run --separate-stderr sst-build -o x.sst t.sst
	local want=$status
	run --separate-stderr sst-sample t.sst
	[ "$status" -eq "$want" ] || fail "sst-sample exit $status, sst-build $want"
	[ "$want" -eq 0 ] || check_err sst-sample 't\.sst'
}

@test "sample --splits: N parts of about equal bytes, cut keys start parts" {
	keys_tsv 6000 >in.tsv
	head -2000 in.tsv >s1.tsv
	tail -n +2001 in.tsv >s2.tsv
	sst-sample -n 1000 s1.tsv >a
	sst-sample -n 1000 s2.tsv >b
	sst-sample --splits 4 a b >sp
	[ "$(wc -l <sp)" -eq 3 ]
	LC_ALL=C sort -c -u sp
	# each part holds 1000..2000 of the 6000 records (an even cut is 1500)
	local prev="" k n
	for k in $(cat sp) '~'; do
		n=$(cut -f1 in.tsv | awk -v lo="$prev" -v hi="$k" '$0 >= lo && $0 < hi' | wc -l)
		[ "$n" -ge 1000 ] && [ "$n" -le 2000 ] || fail "part [$prev, $k): $n records"
		prev=$k
	done
	# --splits 1: no key; the samples in another order: the same split file
	sst-sample --splits 1 a b >one
	[ ! -s one ]
	sst-sample --splits 4 b a >sp2
	same sp sp2
	# a sample read from stdin
	sst-sample --splits 4 - b <a >sp3
	same sp sp3
}

@test "sample --splits: fewer lines for few distinct keys; one key is never split" {
	printf 'a\t100\nb\t1\n' >s1
	printf 'a\t50\n' >s2
	run --separate-stderr sst-sample --splits 10 s1 s2
	[ "$status" -eq 0 ]
	[ "$output" = b ]
	printf 'only\t5\n' >s3
	run --separate-stderr sst-sample --splits 10 s3
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	: >empty
	run --separate-stderr sst-sample --splits 3 empty
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "sample --splits: skewed input gives valid, if uneven, parts" {
	# half of the records under one key
	awk 'BEGIN { for (i = 0; i < 4000; i++)
		if (i % 2) print "hot\tv" i; else printf "k%05d\tv%d\n", i, i }' >half.tsv
	sst-sample -n 500 half.tsv >s
	sst-sample --splits 8 s >sp
	[ -s sp ]
	LC_ALL=C sort -c -u sp
	[ "$(wc -l <sp)" -le 7 ]
	sst-build -q --split-at sp -o p.sst half.tsv
	sst-build -q -o whole.sst half.tsv
	local parts=(p-*.sst)
	[ "${#parts[@]}" -eq $(($(wc -l <sp) + 1)) ]
	sst-dump "${parts[@]}" >got
	sst-dump whole.sst >want
	same got want
	# every key shares a long prefix
	awk 'BEGIN { p = sprintf("%0200d", 0); for (i = 0; i < 3000; i++) printf "%s%05d\tv\n", p, (i * 37) % 3000 }' >pre.tsv
	sst-sample -n 300 pre.tsv >s2
	sst-sample --splits 5 s2 >sp2
	[ "$(wc -l <sp2)" -eq 4 ]
	LC_ALL=C sort -c -u sp2
	sst-build -q --split-at sp2 -o q.sst pre.tsv
	for p in q-000[1-5].sst; do
		n=$(sst-dump --count "$p")
		[ "$n" -ge 300 ] && [ "$n" -le 1200 ] || fail "$p: $n records"
	done
}

@test "sample --splits: a bad sample line is exit 3 naming FILE:LINE, a missing file 4" {
	printf 'a\t1\nb\tx\n' >s1
	printf 'a\t1\nb\n' >s2
	printf 'a\\q\t1\n' >s3
	printf 'a\t99999999999999999999\n' >s4
	printf 'a\t18446744073709551615\nb\t1\n' >s5
	local f
	for f in s1:2 s2:2 s3:1 s4:1 s5:2; do
		run --separate-stderr sst-sample --splits 2 "${f%:*}"
		[ "$status" -eq 3 ] || fail "$f: exit $status"
		check_err sst-sample "^sst-sample: $f: " || fail "$f: $stderr"
		[ -z "$output" ]
	done
	run --separate-stderr sst-sample --splits 2 nope
	[ "$status" -eq 4 ]
	check_err sst-sample nope
}

@test "sample: memory is bounded by COUNT keys, not by the input" {
	skip_if_san
	need_cmd /usr/bin/time
	awk 'BEGIN { for (i = 0; i < 20000; i++) printf "key%09d\tvalue%d\n", (i * 7919) % 20000, i }' >small.tsv
	awk 'BEGIN { for (i = 0; i < 2000000; i++) printf "key%09d\tvalue%d\n", (i * 7919) % 2000000, i }' >big.tsv
	/usr/bin/time -f %M -o small.rss sst-sample -n 1000 small.tsv >s1
	/usr/bin/time -f %M -o big.rss sst-sample -n 1000 big.tsv >s2
	[ "$(wc -l <s2)" -eq 1000 ]
	local s b
	s=$(tail -1 small.rss)
	b=$(tail -1 big.rss)
	echo "peak RSS: 20,000 records $s KiB, 2,000,000 records $b KiB" >&3
	[ "$b" -le $((s + 4096)) ] || fail "peak RSS grew from $s KiB to $b KiB"
}
