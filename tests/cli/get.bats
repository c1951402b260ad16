#!/usr/bin/env bats
# sst-get: point lookups with -k and stdin batches, several sources.

load common

setup() {
	common_setup
	fruit_tsv | mk_table fruit.sst
}

@test "get: -h/--help to stdout exit 0, --version, usage errors exit 2" {
	for h in -h --help; do
		run --separate-stderr sst-get "$h"
		[ "$status" -eq 0 ]
		[[ "$output" == *sst-get* ]]
		[ -z "$stderr" ]
	done
	run --separate-stderr sst-get --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ [0-9]+\.[0-9]+ ]]
	for args in "--bogus fruit.sst" "-k" "-k apple" "-f" "-f xml -k apple fruit.sst" ""; do
		run --separate-stderr sst-get $args </dev/null
		[ "$status" -eq 2 ] || fail "sst-get $args: exit $status, want 2"
		[[ "${stderr_lines[0]}" == "sst-get: "* ]] || fail "sst-get $args: stderr '$stderr'"
	done
}

@test "get: -k prints the value followed by LF; exit 0" {
	run --separate-stderr sst-get -k apple fruit.sst
	[ "$status" -eq 0 ]
	[ "$output" = crimson ]
	[ -z "$stderr" ]
	sst-get -k cherry fruit.sst >out
	printf 'dark red\n' >want
	same out want
}

@test "get: several -k in the order asked; exit 1 if any missing" {
	sst-get -k pear -k apple -k banana -k apple fruit.sst >out
	printf 'green\ncrimson\nyellow\ncrimson\n' >want
	same out want
	run --separate-stderr sst-get -k pear -k kiwi -k apple fruit.sst
	[ "$status" -eq 1 ]
	[ "$output" = $'green\ncrimson' ]
	run --separate-stderr sst-get -k kiwi fruit.sst
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	# a prefix of a key, and a key extended, are not the key
	run sst-get -k appl fruit.sst
	[ "$status" -eq 1 ]
	run sst-get -k applex fruit.sst
	[ "$status" -eq 1 ]
	run sst-get -k a fruit.sst
	[ "$status" -eq 1 ]
}

@test "get: empty value prints an empty line; binary value exact" {
	printf '+5,0:empty->\n+3,4:bin->\0\xff\t\r\n' >in.cdb
	sst-build -q -f cdb -o b.sst in.cdb
	sst-get -k empty b.sst >out
	printf '\n' >want
	same out want
	sst-get -k bin b.sst >out
	printf '\0\xff\t\r\n' >want
	same out want
}

@test "get: batch from stdin prints KEY<TAB>VALUE in input order" {
	printf 'pear\nkiwi\napple\ncherry\napple\n' | sst-get fruit.sst >out && rc=0 || rc=$?
	[ "$rc" -eq 1 ]
	printf 'pear\tgreen\napple\tcrimson\ncherry\tdark red\napple\tcrimson\n' >want
	same out want
	printf 'banana\npear' | sst-get fruit.sst >out
	printf 'banana\tyellow\npear\tgreen\n' >want
	same out want
	run sst-get fruit.sst </dev/null
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "get: batch -f cdb output" {
	printf 'cherry\nnope\napple\n' | sst-get -f cdb fruit.sst >out && rc=0 || rc=$?
	[ "$rc" -eq 1 ]
	printf '+6,8:cherry->dark red\n+5,7:apple->crimson\n' >want
	same out want
	printf 'apple\n' | sst-get --format cdb fruit.sst >out
	printf '+5,7:apple->crimson\n' >want
	same out want
}

@test "get: batch -e decodes keys and escapes output" {
	printf '+3,5:a\tb->x\ny\tz\n+2,1:\0\xff->\\\n+1,1:c->d\n' >in.cdb
	sst-build -q -f cdb -o e.sst in.cdb
	printf 'a\\tb\n\\0\\xff\n\\x00\\xFF\nc\n' | sst-get -e -f cdb e.sst >out
	printf '+3,5:a\tb->x\ny\tz\n+2,1:\0\xff->\\\n+2,1:\0\xff->\\\n+1,1:c->d\n' >want
	same out want
	printf 'a\\tb\n\\0\\xff\n' | sst-get -e e.sst >out.tsv
	python3 - <<-'EOF'
	import sys
	sys.path.insert(0, __import__('os').environ['MODEL'].rsplit('/', 1)[0])
	import model
	got = model.parse_tsv(open('out.tsv', 'rb').read(), True)
	want = [('+', b'a\tb', b'x\ny\tz'), ('+', b'\0\xff', b'\\')]
	assert got == want, (got, want)
	EOF
	# a bad escape in a key line is bad input naming stdin and the line
	run --separate-stderr sst-get -e e.sst < <(printf 'c\n\\q\n')
	[ "$status" -eq 3 ]
	check_err sst-get ':2'
}

@test "get: plain tsv output that cannot carry a record fails naming -e and -f cdb" {
	printf '+1,3:a->x\ny\n+1,1:b->2\n' >in.cdb
	sst-build -q -f cdb -o lf.sst in.cdb
	run --separate-stderr sst-get lf.sst < <(printf 'a\n')
	[ "$status" -eq 3 ]
	check_err sst-get
	[[ "$stderr" == "sst-get: lf.sst: "* ]] || fail "message does not name the table: $stderr"
	[[ "$stderr" == *-e* ]]
	[[ "$stderr" == *cdb* ]]
	[[ "$output" != *x* ]]
	# fine with -e or -f cdb
	printf 'a\n' | sst-get -f cdb lf.sst >out
	printf '+1,3:a->x\ny\n' >want
	same out want
	printf 'a\n' | sst-get -e lf.sst >out
	printf 'a\tx\\ny\n' >want
	same out want
}

@test "get: several sources, later wins; tombstones hide older values" {
	printf 'a\told\nb\tkept\nc\tgone\nd\tbase\n' | mk_table 1.sst
	printf 'a\tnew\ne\tadded\n' | mk_table 2.sst
	printf 'c\nd\n' | mk_table 3.sst --delete
	printf 'd\treborn\n' | mk_table 4.sst
	run sst-get -k a -k b -k e -k d 1.sst 2.sst 3.sst 4.sst
	[ "$status" -eq 0 ]
	[ "$output" = $'new\nkept\nadded\nreborn' ]
	run sst-get -k c 1.sst 2.sst 3.sst 4.sst
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	run sst-get -k d 1.sst 2.sst 3.sst
	[ "$status" -eq 1 ]
	run sst-get -k a 2.sst 1.sst
	[ "$output" = old ]
	printf 'c\na\nd\nb\n' | sst-get 1.sst 2.sst 3.sst >out && rc=0 || rc=$?
	[ "$rc" -eq 1 ]
	printf 'a\tnew\nb\tkept\n' >want
	same out want
	# a delete in a single table: not found
	run sst-get -k c 3.sst
	[ "$status" -eq 1 ]
}

@test "get: a large batch over many blocks, present and absent keys" {
	python3 -c '
for i in range(0, 40000, 2):
    print("key%07d\tvalue-%d" % (i, i * 3))' >in.tsv
	sst-build -q -b 1K -o big.sst in.tsv
	python3 -c '
import random
r = random.Random(3)
ks = [r.randrange(40000) for _ in range(5000)]
with open("q", "w") as q, open("want", "w") as w:
    for k in ks:
        q.write("key%07d\n" % k)
        if k % 2 == 0:
            w.write("key%07d\tvalue-%d\n" % (k, k * 3))'
	sst-get big.sst <q >out && rc=0 || rc=$?
	[ "$rc" -eq 1 ]
	same out want
	run sst-get -k key0039998 -k key0000000 big.sst
	[ "$status" -eq 0 ]
	[ "$output" = $'value-119994\nvalue-0' ]
}

@test "get: not a table exits 3 naming the file" {
	head -c 5000 /dev/urandom >random.bin
	head -c 5000 /dev/zero >zeros.bin
	: >empty.bin
	head -c 100 fruit.sst >trunc.sst
	size=$(stat -c %s fruit.sst)
	head -c $((size - 1)) fruit.sst >short.sst
	fruit_tsv >text.tsv
	for f in random.bin zeros.bin empty.bin trunc.sst short.sst text.tsv; do
		run --separate-stderr sst-get -k apple "$f"
		[ "$status" -eq 3 ] || fail "$f: exit $status, want 3"
		check_err sst-get "$f"
		run --separate-stderr sst-get "$f" <<<"apple"
		[ "$status" -eq 3 ] || fail "$f batch: exit $status, want 3"
		check_err sst-get "$f"
		# also behind a good table
		run --separate-stderr sst-get -k apple fruit.sst "$f"
		[ "$status" -eq 3 ] || fail "fruit.sst $f: exit $status, want 3"
	done
}

@test "get: missing source exits 4 naming it" {
	run --separate-stderr sst-get -k apple nope.sst
	[ "$status" -eq 4 ]
	check_err sst-get 'nope\.sst'
	run --separate-stderr sst-get -k apple fruit.sst nope.sst
	[ "$status" -eq 4 ]
}

@test "get: the filter is consulted before any data block is read" {
	# one data block; damage it; absent keys inside the key range must
	# still answer "not found" (exit 1) when the filter rules them out
	python3 -c '
for i in range(0, 400, 2):
    print("k%03d\tvalue %d" % (i, i))' >in.tsv
	sst-build -q -b 64K -c none -o f.sst in.tsv
	sst-build -q -b 64K -c none --bloom-bits 0 -o nf.sst in.tsv
	[ "$(model blocks f.sst | wc -l)" -eq 1 ]
	model flip f.sst 200
	model flip nf.sst 200
	run sst-verify -q f.sst
	[ "$status" -eq 1 ]
	ones=0
	for i in $(seq 1 2 99); do
		rc=0
		sst-get -k "$(printf 'k%03d' "$i")" f.sst >/dev/null 2>&1 || rc=$?
		[ "$rc" -eq 1 ] || [ "$rc" -eq 3 ] || fail "k$i: exit $rc"
		[ "$rc" -eq 1 ] && ones=$((ones + 1))
	done
	# 10 bits per key: about 1% false positives; allow a few
	[ "$ones" -ge 45 ] || fail "only $ones of 50 absent keys answered without reading the damaged block"
	# without a filter the damaged block must be read, and found bad
	run --separate-stderr sst-get -k k001 nf.sst
	[ "$status" -eq 3 ]
	check_err sst-get 'nf\.sst'
}

@test "get: more than 64 plain tables under ulimit -n 40: later wins, -k, batch and --missing" {
	for i in $(seq 1 70); do
		printf 'k%03d\tv%d\nshared\t%d\n' "$i" "$i" "$i" | sst-build -q -o "t$i.sst"
	done
	set -- $(seq -f 't%.0f.sst' 1 70)
	(ulimit -n 40; exec sst-get -k shared -k k001 -k k070 -k nope "$@") >out && rc=0 || rc=$?
	[ "$rc" -eq 1 ]
	printf '70\nv1\nv70\n' >want
	same out want
	printf 'k002\nshared\nnope\nk069\n' >q
	(ulimit -n 40; exec sst-get "$@" <q) >out && rc=0 || rc=$?
	[ "$rc" -eq 1 ]
	printf 'k002\tv2\nshared\t70\nk069\tv69\n' >want
	same out want
	(ulimit -n 40; exec sst-get --missing -k nope -k k005 "$@") >out || true
	printf 'nope\n' >want
	same out want
}

@test "get: -k opens each table once, reads its tail once, allocates no batch buffers" {
	skip_if_san
	need_cmd strace
	for i in 1 2 3 4 5; do
		printf 'apple\told\nk%d\tv%d\n' "$i" "$i" | sst-build -q -o "o$i.sst"
	done
	strace -e trace=openat,open,pread64,mmap -o trace \
	    sst-get -k apple -k k1 -k k5 o1.sst o2.sst o3.sst o4.sst o5.sst fruit.sst >out
	[ "$(cat out)" = $'crimson\nv1\nv5' ]
	for f in fruit o1 o2 o3 o4 o5; do
		[ "$(grep -c "\"$f\\.sst\"" trace)" -eq 1 ] || fail "$f: $(cat trace)"
	done
	# one read at open holds the footer and the top-level index; then the
	# filter chunk and its checksum, the index partition, the data block
	fd=$(sed -n 's/^openat(.*"fruit\.sst".* = \([0-9]*\)$/\1/p' trace)
	[ -n "$fd" ] || fail "$(cat trace)"
	[ "$(grep -c "^pread64($fd," trace)" -le 5 ] || fail "$(cat trace)"
	# no anonymous mapping of 1 MiB or more (the batch's buffers, sized for
	# half a million keys, were allocated for a single -k key)
	! grep -E 'mmap\(NULL, [0-9]{7,},.*MAP_ANONYMOUS' trace || fail "$(cat trace)"
}
