#!/usr/bin/env bats
# sst-dump: ordered scans, ranges, prefixes, counts, formats.

load common

setup() {
	common_setup
	# keys chosen around prefix and byte-order edges
	printf 'b\t1\na\t2\nab\t3\naa\t4\nabc\t5\nb\xff\t6\nB\t7\nba\t8\n\xff\t9\nabd\t10\n' >keys.tsv
	mk_table k.sst <keys.tsv
}

@test "dump: -h/--help to stdout exit 0, --version, usage errors exit 2" {
	for h in -h --help; do
		run --separate-stderr sst-dump "$h"
		[ "$status" -eq 0 ]
		[[ "$output" == *sst-dump* ]]
		[ -z "$stderr" ]
	done
	run --separate-stderr sst-dump --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ [0-9]+\.[0-9]+ ]]
	for args in "--bogus k.sst" "" "--prefix" "--from" "--to" "-f" "-f yaml k.sst" \
	    "--prefix a --from b k.sst"; do
		run --separate-stderr sst-dump $args
		[ "$status" -eq 2 ] || fail "sst-dump $args: exit $status, want 2"
		[[ "${stderr_lines[0]}" == "sst-dump: "* ]] || fail "sst-dump $args: stderr '$stderr'"
	done
}

@test "dump: key order is unsigned bytewise, as LC_ALL=C sort" {
	sst-dump k.sst >out
	LC_ALL=C sort -t "$(printf '\t')" -k1,1 keys.tsv >want
	same out want
}

@test "dump: --prefix" {
	run sst-dump --prefix ab k.sst
	[ "$status" -eq 0 ]
	[ "$output" = $'ab\t3\nabc\t5\nabd\t10' ]
	run sst-dump --prefix b k.sst
	[ "$output" = $'b\t1\nba\t8\nb\xff\t6' ]
	run sst-dump --prefix $'\xff' k.sst
	[ "$output" = $'\xff\t9' ]
	run sst-dump --prefix zz k.sst
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run sst-dump --prefix abcd k.sst
	[ -z "$output" ]
	[ "$(sst-dump --prefix a --count k.sst)" = 5 ]
}

@test "dump: --from inclusive, --to exclusive" {
	run sst-dump --from ab --to b k.sst
	[ "$status" -eq 0 ]
	[ "$output" = $'ab\t3\nabc\t5\nabd\t10' ]
	run sst-dump --from abb k.sst
	[ "$output" = $'abc\t5\nabd\t10\nb\t1\nba\t8\nb\xff\t6\n\xff\t9' ]
	run sst-dump --to aa k.sst
	[ "$output" = $'B\t7\na\t2' ]
	run sst-dump --from b --to b k.sst
	[ -z "$output" ]
	run sst-dump --from c --to a k.sst
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run sst-dump --from $'\xff' k.sst
	[ "$output" = $'\xff\t9' ]
	run sst-dump --from 0 --to z k.sst
	[ "${#lines[@]}" -eq 9 ]
	[ "$(sst-dump --from a --to b --count k.sst)" = 5 ]
	# --prefix with --to
	run sst-dump --prefix ab --to abd k.sst
	[ "$output" = $'ab\t3\nabc\t5' ]
}

@test "dump: --count prints only the number" {
	run --separate-stderr sst-dump --count k.sst
	[ "$status" -eq 0 ]
	[ "$output" = 10 ]
	printf 'a\nzz\n' | mk_table d.sst --delete
	[ "$(sst-dump --count k.sst d.sst)" = 9 ]
	sst-build -q -o e.sst /dev/null
	[ "$(sst-dump --count e.sst)" = 0 ]
}

@test "dump: several sources merged, later wins, deletes left out" {
	printf 'a\told\nb\tb1\nc\tc1\n' | mk_table 1.sst
	printf 'a\tnew\nd\td2\n' | mk_table 2.sst
	printf 'b\nd\nx\n' | mk_table 3.sst --delete
	printf 'd\tback\n' | mk_table 4.sst
	sst-dump 1.sst 2.sst 3.sst 4.sst >out
	printf 'a\tnew\nc\tc1\nd\tback\n' >want
	same out want
	sst-dump 2.sst 1.sst >out
	printf 'a\told\nb\tb1\nc\tc1\nd\td2\n' >want
	same out want
	sst-dump --tombstones -f cdb 1.sst 2.sst 3.sst >out
	printf '+1,3:a->new\n-1:b\n+1,2:c->c1\n-1:d\n-1:x\n' >want
	same out want
	# the same source twice is harmless
	sst-dump 1.sst 1.sst >out
	sst-dump 1.sst >want
	same out want
}

@test "dump: --tombstones -f cdb shows deletes; round-trips with them" {
	printf '+1,1:a->1\n-1:b\n+1,1:c->3\n-2:dd\n' >in.cdb
	sst-build -q -f cdb -o t.sst in.cdb
	sst-dump --tombstones -f cdb t.sst >out
	same out in.cdb
	sst-dump -f cdb t.sst >out
	printf '+1,1:a->1\n+1,1:c->3\n\n' >want
	same out want
	sst-dump --tombstones -f cdb t.sst | sst-build -q -f cdb -o t2.sst
	sst-dump --tombstones -f cdb t2.sst >out2
	same out2 in.cdb
	sst-dump --tombstones -f cdb --prefix d t.sst >out
	printf -- '-2:dd\n' >want
	same out want
}

@test "dump: -e escapes what plain tsv cannot carry; plain tsv refuses it" {
	printf '+3,4:a\tb->x\ny\\\n+1,2:c->\r\0\n+2,1:d\n->v\n+1,3:e->t\tt\n' >in.cdb
	sst-build -q -f cdb -o t.sst in.cdb
	sst-dump -e t.sst >out.tsv
	[ "$(wc -l <out.tsv)" -eq 4 ]
	python3 - <<-'EOF'
	import os, sys
	sys.path.insert(0, os.path.dirname(os.environ['MODEL']))
	import model
	got = model.parse_tsv(open('out.tsv', 'rb').read(), True)
	want = [('+', b'a\tb', b'x\ny\\'), ('+', b'c', b'\r\0'), ('+', b'd\n', b'v'), ('+', b'e', b't\tt')]
	assert got == want, (got, want)
	EOF
	sst-build -q -e -o t2.sst out.tsv
	sst-dump -f cdb t2.sst >rt.cdb
	printf '\n' >>in.cdb
	same rt.cdb in.cdb
	# plain tsv: each of key-with-TAB, key-with-LF, value-with-LF is refused
	for k in 'a\tb' 'd\n'; do
		run --separate-stderr sst-dump --prefix "$(printf "$k")" t.sst
		[ "$status" -eq 3 ] || fail "key $k: exit $status, want 3"
		check_err sst-dump
		[[ "$stderr" == *-e* && "$stderr" == *cdb* ]] || fail "message does not name -e and -f cdb: $stderr"
		[[ "$stderr" == "sst-dump: t.sst: "* ]] || fail "message does not name the table: $stderr"
		[ -z "$output" ] || fail "mangled output: $output"
	done
	printf '+1,3:k->x\ny\n' | sst-build -q -f cdb -o v.sst
	run --separate-stderr sst-dump v.sst
	[ "$status" -eq 3 ]
	[[ "$stderr" == *-e* && "$stderr" == *cdb* ]]
	[[ "$output" != *x* ]]
	# TAB in a value and CR/NUL are fine in plain tsv
	sst-dump --prefix e t.sst >out
	printf 'e\tt\tt\n' >want
	same out want
}

@test "dump: -f cdb of binary data is exact" {
	python3 -c '
import os, sys
sys.path.insert(0, os.path.dirname(os.environ["MODEL"]))
import model, random
r = random.Random(11)
recs = {}
for i in range(3000):
    k = r.randbytes(r.randint(1, 12))
    recs[k] = r.randbytes(r.randint(0, 300))
open("in.cdb", "wb").write(b"".join(model.cdb_put(k, v) for k, v in recs.items()))
open("want.cdb", "wb").write(b"".join(model.cdb_put(k, recs[k]) for k in sorted(recs)) + b"\n")'
	sst-build -q -f cdb -b 512 -o t.sst in.cdb
	sst-dump -f cdb t.sst >got.cdb
	same got.cdb want.cdb
}

@test "dump: not a table exits 3, missing file 4, naming the file" {
	head -c 3000 /dev/urandom >random.bin
	head -c 3000 /dev/zero >zeros.bin
	: >empty.bin
	size=$(stat -c %s k.sst)
	head -c $((size / 2)) k.sst >trunc.sst
	for f in random.bin zeros.bin empty.bin trunc.sst keys.tsv; do
		run --separate-stderr sst-dump "$f"
		[ "$status" -eq 3 ] || fail "$f: exit $status, want 3"
		check_err sst-dump "$f"
		run --separate-stderr sst-dump --count k.sst "$f"
		[ "$status" -eq 3 ] || fail "k.sst $f --count: exit $status, want 3"
	done
	run --separate-stderr sst-dump nope.sst
	[ "$status" -eq 4 ]
	check_err sst-dump 'nope\.sst'
}

@test "dump: output to a closed pipe or full disk is not a crash" {
	python3 -c '
for i in range(50000):
    print("k%07d\tvalue %d" % (i, i))' | mk_table big.sst
	run bash -c 'sst-dump big.sst | head -1'
	[ "$status" -eq 0 ]
	[ "$output" = $'k0000000\tvalue 0' ]
	if [ -w /dev/full ]; then
		run --separate-stderr bash -c 'sst-dump big.sst >/dev/full'
		[ "$status" -eq 4 ] || fail "sst-dump >/dev/full: exit $status, want 4"
		check_err sst-dump
	fi
}
