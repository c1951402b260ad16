#!/usr/bin/env bats
# sst-build: options, record formats, inputs, errors, atomic output.

load common

setup() {
	common_setup
}

# --- common conventions ------------------------------------------------------

@test "build: -h and --help print usage to stdout, exit 0" {
	for h in -h --help; do
		run --separate-stderr sst-build "$h"
		[ "$status" -eq 0 ]
		[[ "$output" == *sst-build* ]]
		[[ "$output" == *-o* ]]
		[ -z "$stderr" ]
	done
}

@test "build: --version prints the version, exit 0" {
	run --separate-stderr sst-build --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ [0-9]+\.[0-9]+ ]]
}

@test "build: usage errors exit 2 with 'sst-build: ' on stderr" {
	fruit_tsv >in.tsv
	for args in "--no-such-option -o x.sst in.tsv" "-Z -o x.sst in.tsv" "in.tsv" \
	    "-o" "-o x.sst -m" "-o x.sst -b" "-o x.sst -f" "-o x.sst -f json in.tsv" \
	    "-o x.sst -c lz4 in.tsv" "-o x.sst -l 99 in.tsv" "-o x.sst -l abc in.tsv" \
	    "-o x.sst --bloom-bits 65 in.tsv" "-o x.sst --bloom-bits -1 in.tsv" \
	    "-o x.sst --bloom-bits ten in.tsv" "-o x.sst -j abc in.tsv" "-o x.sst -j -3 in.tsv" \
	    "-o x.sst -T" "-o x.sst --tmpdir"; do
		run --separate-stderr sst-build $args
		[ "$status" -eq 2 ] || fail "sst-build $args: exit $status, want 2"
		[[ "${stderr_lines[0]}" == "sst-build: "* ]] || fail "sst-build $args: stderr '$stderr'"
		[ ! -e x.sst ] || fail "sst-build $args left x.sst"
	done
}

@test "build: bad SIZE arguments exit 2" {
	fruit_tsv >in.tsv
	for s in 12X 1T -1 "" K 1.5M 0x10 "10 M" 99999999999999999999; do
		run --separate-stderr sst-build -m "$s" -o x.sst in.tsv
		[ "$status" -eq 2 ] || fail "-m '$s': exit $status, want 2"
		run --separate-stderr sst-build -b "$s" -o x.sst in.tsv
		[ "$status" -eq 2 ] || fail "-b '$s': exit $status, want 2"
	done
	# block size out of its documented range 256 B .. 16 MiB
	for s in 1 255 17M 1G; do
		run --separate-stderr sst-build -b "$s" -o x.sst in.tsv
		[ "$status" -eq 2 ] || fail "-b $s: exit $status, want 2"
	done
	[ ! -e x.sst ]
}

@test "build: SIZE suffixes K M G are powers of 1024" {
	fruit_tsv >in.tsv
	for b in 256 4K 1M 16M; do
		sst-build -q -b "$b" -m 1G -o "b$b.sst" in.tsv
		sst-info --json "b$b.sst" >info.json
		case $b in
		4K) want=4096 ;; 1M) want=1048576 ;; 16M) want=16777216 ;; *) want=$b ;;
		esac
		model jfind info.json 'block.?size' | grep -qx ".*=$want" ||
			fail "-b $b: block size in sst-info --json is not $want: $(cat info.json)"
	done
	sst-build -q -m 64M -o m.sst in.tsv
	sst-build -q --memory 1G -o m.sst in.tsv
	sst-build -q --block-size 8K -o m.sst in.tsv
}

# --- records -----------------------------------------------------------------

@test "build: later wins within one input; output sorted bytewise" {
	printf 'b\t1\na\t2\nb\t3\nab\t4\nA\t5\n\xff\t6\n0\t7\na\t8\n' >in.tsv
	sst-build -q -o t.sst in.tsv
	sst-dump t.sst >got.tsv
	printf '0\t7\nA\t5\na\t8\nab\t4\nb\t3\n\xff\t6\n' >want.tsv
	same got.tsv want.tsv
}

@test "build: later input files are newer" {
	printf 'k\told\nx\t1\n' >a.tsv
	printf 'k\tnew\ny\t2\n' >b.tsv
	sst-build -q -o t.sst a.tsv b.tsv
	run sst-get -k k -k x -k y t.sst
	[ "$status" -eq 0 ]
	[ "$output" = $'new\n1\n2' ]
	sst-build -q -o u.sst b.tsv a.tsv
	run sst-get -k k u.sst
	[ "$output" = old ]
}

@test "build: tsv rules: no TAB = empty value, TABs in value, last line without LF" {
	printf 'solo\nk\tv1\tv2\t\tv3\nlast\tno-newline' >in.tsv
	sst-build -q -o t.sst in.tsv
	sst-dump -f cdb t.sst >got.cdb
	printf '+1,9:k->v1\tv2\t\tv3\n+4,10:last->no-newline\n+4,0:solo->\n\n' >want.cdb
	same got.cdb want.cdb
	run sst-get -k solo t.sst
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
}

@test "build: empty key is bad input, exit 3 naming file:line" {
	printf 'a\t1\nb\t2\n\tnokey\nc\t3\n' >in.tsv
	run --separate-stderr sst-build -o t.sst in.tsv
	[ "$status" -eq 3 ]
	check_err sst-build 'in\.tsv:3'
	[ ! -e t.sst ]
	printf 'a\t1\n\nc\t3\n' >blank.tsv
	run --separate-stderr sst-build -o t.sst blank.tsv
	[ "$status" -eq 3 ]
	check_err sst-build 'blank\.tsv:2'
	[ ! -e t.sst ]
	no_tmp_left .
}

@test "build: key limits: 65536 bytes ok, 65537 bad input (exit 3)" {
	python3 -c 'import sys; sys.stdout.write("k"*65536 + "\tv\n" + "a\tb\n")' >ok.tsv
	sst-build -q -o ok.sst ok.tsv
	[ "$(sst-dump --count ok.sst)" = 2 ]
	run sst-get -k "$(printf 'k%.0s' $(seq 65536))" ok.sst
	[ "$status" -eq 0 ]
	[ "$output" = v ]
	python3 -c 'import sys; sys.stdout.write("a\tb\n" + "k"*65537 + "\tv\n")' >long.tsv
	run --separate-stderr sst-build -o bad.sst long.tsv
	[ "$status" -eq 3 ]
	check_err sst-build 'long\.tsv:2'
	[ ! -e bad.sst ]
}

@test "build: a 5 MiB value round-trips" {
	python3 -c 'import os,sys; sys.stdout.buffer.write(b"big\t" + os.urandom(5<<20).hex().encode()[:5<<20] + b"\nsmall\tx\n")' >in.tsv
	sst-build -q -o t.sst in.tsv
	sst-dump t.sst >out.tsv
	LC_ALL=C sort in.tsv >want.tsv
	same out.tsv want.tsv
	sst-verify -q t.sst
}

@test "build: -e decodes \\\\ \\t \\n \\r \\0 \\xHH in keys and values" {
	printf 'a\\tb\tv\\\\1\\n2\nz\\0\\x00\\xff\\xFE\t\\r\\x41\n' >in.tsv
	sst-build -q -e -o t.sst in.tsv
	sst-dump -f cdb t.sst >got.cdb
	printf '+3,5:a\tb->v\\1\n2\n+5,2:z\0\0\xff\xfe->\rA\n\n' >want.cdb
	same got.cdb want.cdb
	# without -e the bytes are taken as they are
	sst-build -q -o raw.sst in.tsv
	run sst-get -k 'a\tb' raw.sst
	[ "$status" -eq 0 ]
	[ "$output" = 'v\\1\n2' ]
}

@test "build: -e bad escapes are bad input naming the line" {
	for bad in 'a\q\tv' 'a\x4\tv' 'a\xZZ\tv' 'a\tv\' 'k\tv\x'; do
		printf 'ok\t1\n%s\n' "$bad" >in.tsv
		run --separate-stderr sst-build -e -o t.sst in.tsv
		[ "$status" -eq 3 ] || fail "'$bad': exit $status, want 3"
		check_err sst-build 'in\.tsv:2'
		[ ! -e t.sst ]
	done
}

@test "build: -f cdb with deletes and the optional terminating empty line" {
	printf '+1,1:b->2\n+1,3:a->x\ny\n-1:c\n+2,0:dd->\n\n' >in.cdb
	sst-build -q -f cdb -o t.sst in.cdb
	sst-dump --tombstones -f cdb t.sst >got.cdb
	printf '+1,3:a->x\ny\n+1,1:b->2\n-1:c\n+2,0:dd->\n' >want.cdb
	same got.cdb want.cdb
	# without the empty line too, and --format long form
	printf '+1,1:b->2\n-1:b\n+1,1:a->1\n' >in2.cdb
	sst-build -q --format cdb -o u.sst in2.cdb
	sst-dump --tombstones -f cdb u.sst >got2.cdb
	printf '+1,1:a->1\n-1:b\n' >want2.cdb
	same got2.cdb want2.cdb
	run sst-get -k b u.sst
	[ "$status" -eq 1 ]
}

@test "build: malformed cdb is bad input naming the offset" {
	for bad in '+1,1:a->b\n+2,1:a->b\n' '+1,1:a->b\n*junk\n' '+1,1:a->bc\n' \
	    '+1,1:a-b\n' '+x,1:a->b\n' '-2:a\n' '+0,1:->b\n' '+1,5:a->b\n' '+1,1a->b\n'; do
		printf -- "$bad" >in.cdb
		run --separate-stderr sst-build -f cdb -o t.sst in.cdb
		[ "$status" -eq 3 ] || fail "cdb '$bad': exit $status, want 3"
		check_err sst-build 'in\.cdb@[0-9]+'
		[ ! -e t.sst ]
	done
}

@test "build: --delete makes every record a tombstone (value ignored)" {
	printf 'a\t1\nb\t2\nc\t3\n' >put.tsv
	printf 'b\tanything\nzz\n' >del.tsv
	sst-build -q -o p.sst put.tsv
	sst-build -q --delete -o d.sst del.tsv
	sst-dump --tombstones -f cdb d.sst >got.cdb
	printf -- '-1:b\n-2:zz\n' >want.cdb
	same got.cdb want.cdb
	[ "$(sst-dump --count d.sst)" = 0 ]
	sst-dump p.sst d.sst >merged.tsv
	printf 'a\t1\nc\t3\n' >want.tsv
	same merged.tsv want.tsv
	# -e with --delete decodes keys
	printf 'a\\x00\n' >del2.tsv
	sst-build -q -e --delete -o d2.sst del2.tsv
	printf -- '-2:a\0\n' >want2.cdb
	sst-dump --tombstones -f cdb d2.sst >got2.cdb
	same got2.cdb want2.cdb
}

@test "build: --sorted accepts sorted input and rejects disorder naming the line" {
	printf 'a\t1\nab\t2\nb\t3\n' >s.tsv
	sst-build -q --sorted -o s.sst s.tsv
	[ "$(sst-dump --count s.sst)" = 3 ]
	printf 'a\t1\nc\t2\nd\t3\nb\t4\ne\t5\n' >u.tsv
	run --separate-stderr sst-build --sorted -o u.sst u.tsv
	[ "$status" -eq 3 ]
	check_err sst-build 'u\.tsv:4'
	[ ! -e u.sst ]
	no_tmp_left .
	# the same input sorts fine without --sorted
	sst-build -q -o u.sst u.tsv
	[ "$(sst-dump --count u.sst)" = 5 ]
}

@test "build: -c zstd|none, -l: compression shows in size and sst-info" {
	python3 -c '
for i in range(3000):
    print("key%06d\t%s" % (i, "the same words again and again " * 3))' >in.tsv
	sst-build -q -c none -o none.sst in.tsv
	sst-build -q -c zstd -o zstd.sst in.tsv
	sst-build -q --compression zstd -l 19 -o z19.sst in.tsv
	sst-build -q --level 1 -o z1.sst in.tsv
	sst-build -q -o def.sst in.tsv
	n=$(stat -c %s none.sst)
	z=$(stat -c %s zstd.sst)
	d=$(stat -c %s def.sst)
	[ "$z" -lt $((n / 4)) ] || fail "zstd table $z bytes vs none $n: not compressed"
	[ "$d" -lt $((n / 4)) ] || fail "default is not zstd: $d vs $n"
	for t in none zstd z19 z1 def; do
		sst-dump "$t.sst" >"$t.out"
		same "$t.out" none.out
		sst-verify -q "$t.sst"
	done
	sst-info --json none.sst >none.json
	sst-info --json zstd.sst >zstd.json
	model jfind none.json 'compression' | grep -qi none
	model jfind zstd.json 'compression' | grep -qi zstd
}

@test "build: --bloom-bits N sets the filter, 0 means none" {
	seq 1000 | sed 's/$/\tv/' >in.tsv
	sst-build -q --bloom-bits 0 -o b0.sst in.tsv
	sst-build -q --bloom-bits 20 -o b20.sst in.tsv
	sst-build -q -o b10.sst in.tsv
	s0=$(stat -c %s b0.sst)
	s20=$(stat -c %s b20.sst)
	s10=$(stat -c %s b10.sst)
	# 1000 keys at 10 bits ~ 1.25 KB of filter, at 20 bits ~ 2.5 KB
	[ $((s10 - s0)) -ge 1000 ] || fail "10-bit filter adds only $((s10 - s0)) bytes"
	[ $((s20 - s10)) -ge 1000 ] || fail "20-bit filter adds only $((s20 - s10)) bytes over 10"
	for b in 0 10 20; do
		sst-info --json "b$b.sst" >i.json
		model jfind i.json 'bits' | grep -Eq "=$b(\.0+)?\$" ||
			fail "--bloom-bits $b not in sst-info: $(model jfind i.json bits)"
		run sst-get -k 500 -k 1000 -k 1 "b$b.sst"
		[ "$status" -eq 0 ]
		[ "$output" = $'v\nv\nv' ]
		run sst-get -k 1001 "b$b.sst"
		[ "$status" -eq 1 ]
		sst-verify -q "b$b.sst"
	done
}

@test "build: -j 1 and -j 2 give the same records" {
	python3 -c '
import random
r = random.Random(5)
for i in range(20000):
    print("%x\t%d" % (r.randrange(5000), i))' >in.tsv
	sst-build -q -j 1 -m 1M -o j1.sst in.tsv
	sst-build -q --threads 2 -m 1M -o j2.sst in.tsv
	sst-build -q -o jd.sst in.tsv
	sst-dump j1.sst >j1.out
	sst-dump j2.sst >j2.out
	sst-dump jd.sst >jd.out
	same j1.out j2.out
	same j1.out jd.out
	awk -F'\t' '{v[$1]=$2} END {for (k in v) print k "\t" v[k]}' in.tsv | LC_ALL=C sort >want.out
	same j1.out want.out
}

@test "build: -q and non-terminal stderr stay silent; --progress forces progress" {
	seq 5000 | sed 's/$/\tvalue/' >in.tsv
	sst-build -o a.sst in.tsv 2>err.txt
	[ ! -s err.txt ] || fail "stderr not a terminal, yet: $(head -c 300 err.txt)"
	sst-build -q -o c.sst in.tsv 2>err.txt
	[ ! -s err.txt ]
	# --progress: input arrives in two bursts half a second apart
	{ head -2500 in.tsv; sleep 0.6; tail -n +2501 in.tsv; } |
		sst-build --progress -o d.sst - 2>prog.txt
	[ -s prog.txt ] || fail "--progress printed nothing"
	[ "$(sst-dump --count d.sst)" = 5000 ]
}

# --- inputs ------------------------------------------------------------------

@test "build: stdin as '-' and as no path" {
	fruit_tsv >in.tsv
	sst-build -q -o want.sst in.tsv
	sst-dump want.sst >want.out
	fruit_tsv | sst-build -q -o a.sst -
	fruit_tsv | sst-build -q -o b.sst
	sst-dump a.sst >a.out
	sst-dump b.sst >b.out
	same a.out want.out
	same b.out want.out
	gzip -c in.tsv | sst-build -q -o c.sst -
	sst-dump c.sst >c.out
	same c.out want.out
}

@test "build: compressed inputs gzip bzip2 xz zstd lz4, detected from content" {
	python3 -c '
import random
r = random.Random(9)
for i in range(5000):
    print("k%d\tv%d" % (r.randrange(3000), i))' >in.tsv
	sst-build -q -o want.sst in.tsv
	sst-dump want.sst >want.out
	gzip -c in.tsv >in.gz.txt
	bzip2 -c in.tsv >in.bz2
	xz -c in.tsv >in.xz
	zstd -q -c in.tsv >in.zst
	lz4 -q -c in.tsv >in.lz4
	cp in.gz.txt in.gz
	for f in in.gz.txt in.gz in.bz2 in.xz in.zst in.lz4; do
		sst-build -q -o "$f.sst" "$f"
		sst-dump "$f.sst" >"$f.out"
		same "$f.out" want.out
	done
	# misleading names: xz data named .gz
	cp in.xz lies.gz
	sst-build -q -o lies.sst lies.gz
	sst-dump lies.sst >lies.out
	same lies.out want.out
}

@test "build: tar members in order, later wins across members" {
	mkdir m
	printf 'k\tfirst\na\t1\n' >m/1.tsv
	printf 'k\tsecond\nb\t2\n' >m/2.tsv
	printf 'k\tthird\nc\t3\n' >m/3.tsv
	tar -C m -cf in.tar 1.tsv 2.tsv 3.tsv
	tar -C m -czf in.tgz 1.tsv 2.tsv 3.tsv
	tar -C m -cf rev.tar 3.tsv 2.tsv 1.tsv
	printf 'a\t1\nb\t2\nc\t3\nk\tthird\n' >want.out
	for f in in.tar in.tgz; do
		sst-build -q -o t.sst "$f"
		sst-dump t.sst >got.out
		same got.out want.out
	done
	sst-build -q -o r.sst rev.tar
	run sst-get -k k r.sst
	[ "$output" = first ]
	# a bad member names the archive and the member
	printf 'x\t1\n\tbad\n' >m/4.tsv
	tar -C m -cf bad.tar 1.tsv 4.tsv
	run --separate-stderr sst-build -o bad.sst bad.tar
	[ "$status" -eq 3 ]
	check_err sst-build 'bad\.tar.*4\.tsv:2'
	[ ! -e bad.sst ]
}

@test "build: cpio and zip archives" {
	printf 'k\tfirst\na\t1\n' >1.tsv
	printf 'k\tsecond\nb\t2\n' >2.tsv
	printf 'a\t1\nb\t2\nk\tsecond\n' >want.out
	model cpio in.cpio 1.tsv 2.tsv
	sst-build -q -o c.sst in.cpio
	sst-dump c.sst >c.out
	same c.out want.out
	if command -v zip >/dev/null 2>&1; then
		zip -q in.zip 1.tsv 2.tsv
		sst-build -q -o z.sst in.zip
		sst-dump z.sst >z.out
		same z.out want.out
	fi
	if command -v cpio >/dev/null 2>&1; then
		printf '1.tsv\n2.tsv\n' | cpio -o -H newc --quiet >gnu.cpio
		sst-build -q -o g.sst gnu.cpio
		sst-dump g.sst >g.out
		same g.out want.out
	fi
}

@test "build: a cpio member longer than the file is damage (exit 3); member names print on one line" {
	# Found by fuzz_records (F12): exit 4 "out of memory" and the raw
	# member name (a newline in it) on stderr.
	python3 - <<'PY'
name = b"a\nb\x01" + b"n" * 600 + b"\0"
def cpio(name, body, size):
	h = b"070701" + b"".join(b"%08x" % v for v in (1, 0o100644, 0, 0, 1, 0, size, 0, 0, 0, 0, len(name), 0))
	d = h + name
	d += bytes(-len(d) % 4) + body
	return d + bytes(-len(d) % 4)
open("short.cpio", "wb").write(cpio(name, bytes(200), 100000)[:800])
open("names.cpio", "wb").write(cpio(name, b"k\tv\n", 4) + cpio(b"TRAILER!!!\0", b"", 0))
PY
	run --separate-stderr sst-build -o s.sst short.cpio
	[ "$status" -eq 3 ]
	check_err sst-build 'short\.cpio/a\\x0ab\\x01n+\.\.\.: cannot read: '
	[ ! -e s.sst ]
	printf 'k\tv\n' >want.out
	sst-build -q -o n.sst names.cpio
	sst-dump n.sst | cmp - want.out
	printf 'k\tv\n\tbad\n' >bad.tsv
	python3 -c 'import sys; n = b"x\ty\n" + b"m" * 300 + b"\0"; b = open("bad.tsv", "rb").read(); h = b"070701" + b"".join(b"%08x" % v for v in (1, 0o100644, 0, 0, 1, 0, len(b), 0, 0, 0, 0, len(n), 0)); d = h + n; d += bytes(-len(d) % 4) + b; d += bytes(-len(d) % 4); sys.stdout.buffer.write(d)' >bad.cpio
	run --separate-stderr sst-build -o b.sst bad.cpio
	[ "$status" -eq 3 ]
	check_err sst-build 'bad\.cpio/x\\x09y\\x0am+\.\.\.:2'
}

@test "build: cdb input compressed and in a tar" {
	printf '+1,1:a->1\n-1:b\n+1,1:c->3\n\n' >in.cdb
	zstd -q -c in.cdb >in.cdb.zst
	sst-build -q -f cdb -o a.sst in.cdb.zst
	sst-dump --tombstones -f cdb a.sst >got.cdb
	printf '+1,1:a->1\n-1:b\n+1,1:c->3\n' >want.cdb
	same got.cdb want.cdb
	tar -cf in.tar in.cdb
	sst-build -q -f cdb -o b.sst in.tar
	sst-dump --tombstones -f cdb b.sst >got2.cdb
	same got2.cdb want.cdb
}

@test "build: empty input gives an empty, valid table" {
	sst-build -q -o e.sst /dev/null
	[ -s e.sst ]
	run sst-dump e.sst
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(sst-dump --count e.sst)" = 0 ]
	sst-verify -q e.sst
	run sst-get -k a e.sst
	[ "$status" -eq 1 ]
	: | sst-build -q -o e2.sst
	sst-verify -q e2.sst
}

@test "build: input that starts like an empty or nameless archive is plain data" {
	# A key of 600 NUL bytes (plain tsv carries them); found by fuzz_records.
	{ head -c 600 /dev/zero; printf '\tv\nk\tw\n'; } >z.tsv
	for src in file pipe gzip; do
		case $src in
		file) sst-build -q -o z.sst z.tsv ;;
		pipe) cat z.tsv | sst-build -q -o z.sst ;;
		gzip) gzip -c z.tsv | sst-build -q -o z.sst - ;;
		esac
		[ "$(sst-dump --count z.sst)" = 2 ]
		sst-dump z.sst | cmp - z.tsv
	done
	# Zeros and two 0x80 bytes pass a tar header's checksum, naming nothing.
	python3 -c 'import sys; d = bytearray(700); d[165] = d[461] = 0x80; sys.stdout.buffer.write(bytes(d) + b"\tv\n")' >n.tsv
	sst-build -q -o n.sst n.tsv
	[ "$(sst-dump --count n.sst)" = 1 ]
	sst-dump n.sst | cmp - n.tsv
	# "PK\5\6" (zip's end record) then records: plain data.
	printf 'PK\005\006\tv\nk\tw\n' >pk.tsv
	sst-build -q -o pk.sst pk.tsv
	[ "$(sst-dump --count pk.sst)" = 2 ]
	# A zip end record at the end of plain data whose bytes 20-21 (an end
	# record's comment length) count the rest: plain data, not an empty zip.
	python3 -c 'import sys
d = b"k\t" + b"x" * 18 + b"AA\n"
i = 0
while len(d) < 0x4141:
	d += b"key%05d\tval\n" % i
	i += 1
d = d[:0x4141 - 1] + b"\n" + b"PK\x05\x06" + bytes(18)
sys.stdout.buffer.write(d)' >eocd.tsv
	[ "$(head -c 22 eocd.tsv | tail -c 2)" = AA ] && [ "$(stat -c %s eocd.tsv)" = $((22 + 0x4141)) ]
	sst-build -q -o eocd.sst eocd.tsv
	[ "$(sst-dump --count eocd.sst)" = $(($(wc -l <eocd.tsv) + 1)) ]
	# Zeros only are an empty tar archive: no records.
	head -c 10240 /dev/zero >empty.tar
	sst-build -q -o e.sst empty.tar
	[ "$(sst-dump --count e.sst)" = 0 ]
}

# --- errors ------------------------------------------------------------------

@test "build: missing input exits 4 naming the file; a directory exits 4" {
	fruit_tsv >in.tsv
	run --separate-stderr sst-build -o t.sst in.tsv nope.tsv
	[ "$status" -eq 4 ]
	check_err sst-build 'nope\.tsv'
	[ ! -e t.sst ]
	mkdir adir
	run --separate-stderr sst-build -o t.sst adir
	[ "$status" -eq 4 ]
	check_err sst-build 'adir'
	[ ! -e t.sst ]
	no_tmp_left .
}

@test "build: output in a missing directory exits 4" {
	fruit_tsv >in.tsv
	run --separate-stderr sst-build -o nodir/t.sst in.tsv
	[ "$status" -eq 4 ]
	check_err sst-build 'nodir'
}

@test "build: missing --tmpdir exits 4 when the sort spills" {
	python3 -c '
for i in range(100000):
    print("k%09d\t%s" % ((i * 7919) % 100000, "v" * 40))' >in.tsv
	run --separate-stderr sst-build -m 1M -T "$T/no/such/dir" -o t.sst in.tsv
	[ "$status" -eq 4 ]
	check_err sst-build
	[ ! -e t.sst ]
	mkdir td
	sst-build -q -m 1M --tmpdir "$T/td" -o t.sst in.tsv
	[ "$(sst-dump --count t.sst)" = 100000 ]
	[ -z "$(ls -A td)" ]
	TMPDIR="$T/td" sst-build -q -m 1M -o t2.sst in.tsv
	[ -z "$(ls -A td)" ]
	no_tmp_left .
}

# --- atomic output -----------------------------------------------------------

@test "build: failing build leaves no file, an existing file untouched, no temp files" {
	seq 100000 | sed 's/$/\tv/' >good.tsv
	{ seq 50000 | sed 's/$/\tv/'; printf '\tbad\n'; seq 3; } >bad.tsv
	run --separate-stderr sst-build -o t.sst bad.tsv
	[ "$status" -eq 3 ]
	check_err sst-build 'bad\.tsv:50001'
	[ ! -e t.sst ]
	no_tmp_left .
	echo precious >t.sst
	run --separate-stderr sst-build -o t.sst good.tsv bad.tsv
	[ "$status" -eq 3 ]
	[ "$(cat t.sst)" = precious ]
	run --separate-stderr sst-build --sorted -o t.sst bad.tsv
	[ "$status" -eq 3 ]
	[ "$(cat t.sst)" = precious ]
	run --separate-stderr sst-build -o t.sst good.tsv missing.tsv
	[ "$status" -eq 4 ]
	[ "$(cat t.sst)" = precious ]
	no_tmp_left .
	# success replaces it, with mode 0666 & ~umask
	umask 022
	sst-build -q -o t.sst good.tsv
	[ "$(sst-dump --count t.sst)" = 100000 ]
	[ "$(stat -c %a t.sst)" = 644 ]
	no_tmp_left .
}

# feed_fifo FIFO FILE: open FIFO read-write (never blocks) as fd 5 and write
# FILE into it, giving up after 20 s if the reader is gone.
feed_fifo() {
	exec 5<>"$1"
	timeout 20 cat "$2" >&5 || true
}

# signal_build SIG [build options]: start a build that reads from a FIFO, feed
# part of the input, send SIG, and check nothing is left behind.
signal_build() {
	local sig=$1 pid rc=0
	shift
	seq -w 200000 | sed 's/$/\tsome value of a fair length/' >part.tsv
	mkfifo fifo
	mkdir td
	# background jobs of a non-interactive shell ignore SIGINT: reset it
	bg_sigdfl sst-build -q -T "$T/td" "$@" -o new.sst fifo &
	pid=$!
	feed_fifo fifo part.tsv
	wait_exec "$pid" sst-build
	sleep 0.3
	kill -0 "$pid" || fail "build ended early"
	kill -s "$sig" "$pid"
	wait "$pid" || rc=$?
	exec 5>&-
	[ "$rc" -ne 0 ] || fail "killed build exited 0"
	[ ! -e new.sst ] || fail "partial output left after SIG$sig"
	no_tmp_left .
	[ -z "$(ls -A td)" ] || fail "temp files left in -T dir: $(ls -A td)"
}

@test "build: SIGTERM during a build leaves no partial output, no temp files" {
	signal_build TERM -m 1M
}

@test "build: SIGINT during a --sorted build leaves no partial output" {
	signal_build INT --sorted
}

@test "build: SIGTERM over an existing output name leaves it untouched" {
	seq -w 100000 | sed 's/$/\tv/' >part.tsv
	mkfifo fifo
	echo precious >t.sst
	bg_sigdfl sst-build -q --sorted -o t.sst fifo &
	pid=$!
	feed_fifo fifo part.tsv
	wait_exec "$pid" sst-build
	sleep 0.3
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	exec 5>&-
	[ "$rc" -ne 0 ]
	[ "$(cat t.sst)" = precious ]
	no_tmp_left .
}

# --- round trips -------------------------------------------------------------

@test "build: sst-dump | sst-build round-trips exactly (tsv, -e, cdb, tombstones)" {
	printf 'b\tx\ty\na\t\nc\\d\tback\\slash\n' >plain.tsv
	sst-build -q -o t.sst plain.tsv
	sst-dump t.sst | sst-build -q -o t2.sst
	sst-dump t.sst >1.out
	sst-dump t2.sst >2.out
	same 1.out 2.out
	printf '+3,3:a\tb->x\ny\n+1,0:\n->\n+2,2:\0\xff->\t\\\n-1:z\n' >bin.cdb
	sst-build -q -f cdb -o b.sst bin.cdb
	sst-dump -e b.sst | sst-build -q -e -o b2.sst
	sst-dump -f cdb b.sst | sst-build -q -f cdb -o b3.sst
	sst-dump --tombstones -f cdb b.sst | sst-build -q -f cdb -o b4.sst
	sst-dump -f cdb b.sst >1.cdb
	for t in b2 b3 b4; do
		sst-dump -f cdb "$t.sst" >"$t.cdb"
		same "$t.cdb" 1.cdb
	done
	sst-dump --tombstones -f cdb b.sst >1t.cdb
	sst-dump --tombstones -f cdb b4.sst >4t.cdb
	same 1t.cdb 4t.cdb
	grep -q -- '-1:z' 4t.cdb
}
