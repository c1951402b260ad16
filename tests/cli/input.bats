#!/usr/bin/env bats
# input.bats - what record input may be (CONTRACT.md "Common conventions"):
# every compressed input is checked (gzip's CRC-32 and length too, damage at
# any offset is exit 3 and no output), compressed archive members are
# decompressed, archives in archives are refused, sstkit's own files
# (tables, WALs, stores) are refused naming the tool that takes them, and
# cdb-looking input read as tsv gets a hint.

load common

setup() {
	common_setup
}

# recs N [FIRST]: N tsv records key%06d<TAB>value-%d from FIRST (default 1).
recs() {
	seq "${2:-1}" $((${2:-1} + $1 - 1)) | awk '{printf "key%06d\tvalue-%d\n", $1, $1 * 7}'
}

# damage FILE FORMAT EXCLUDED: flips (xor 0xff) and truncations of FILE at
# many offsets: header, body and trailer. Each must be exit 3 with no output,
# or exit 0 with exactly the records of the clean file (a change that decodes
# to the same bytes, which the decoder cannot and need not see). EXCLUDED
# lists flip offsets that cannot be told from other data (see input.h).
damage() {
	"$PY" - "$1" "$2" "$3" "$(san_or 5 23)" <<'EOF'
import os, subprocess, sys
path, fmt, excl, stride = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
excluded = set()
# the first range is the magic number: a cut leaving less of it is plain data
magic = int(excl.split(",")[0].partition("-")[2]) + 1
for part in filter(None, excl.split(",")):
    a, _, b = part.partition("-")
    excluded.update(range(int(a), int(b or a) + 1))
data = open(path, "rb").read()
n = len(data)
want = subprocess.run(["sst-dump", "clean.sst"], capture_output=True, check=True).stdout
offs = sorted(set(range(0, min(n, 24))) | set(range(24, n - 24, stride)) | set(range(max(0, n - 24), n)))
bad, same = [], 0
for mode in ("flip", "cut"):
    for off in offs:
        if mode == "flip":
            if off in excluded:
                continue
            d = bytearray(data)
            d[off] ^= 0xff
        else:
            if off < magic:
                continue
            d = data[:off]
        open("dmg.in", "wb").write(d)
        if os.path.exists("dmg.sst"):
            os.unlink("dmg.sst")
        r = subprocess.run(["sst-build", "-q", "-o", "dmg.sst", "dmg.in"], capture_output=True)
        if r.returncode == 3 and not os.path.exists("dmg.sst") and \
                r.stderr.decode(errors="replace").startswith("sst-build: dmg.in"):
            continue
        if r.returncode == 0 and mode == "flip" and \
                subprocess.run(["sst-dump", "dmg.sst"], capture_output=True).stdout == want:
            same += 1
            continue
        bad.append((mode, off, r.returncode, r.stderr.decode(errors="replace").strip()))
print("%s: %d bytes, %d offsets, %d flips decoding to the same bytes" % (fmt, n, len(offs), same))
for b in bad:
    print("BAD", fmt, *b)
sys.exit(1 if bad else 0)
EOF
}

@test "input: damage at any offset of gzip, bzip2, xz, zstd, lz4 is exit 3, no output" {
	need_cmd gzip bzip2 xz zstd lz4
	recs 300 >s.tsv
	recs 100 301 >s2.tsv
	sst-build -q -o clean.sst s.tsv
	gzip -n -c s.tsv >s.gz
	bzip2 -c s.tsv >s.bz2
	xz -c s.tsv >s.xz
	zstd -q -c s.tsv >s.zst
	lz4 -q -c s.tsv >s.lz4
	# magic numbers (a changed one is other data, read as plain data);
	# gzip: MTIME, XFL and OS (bytes 4-9) are in no checksum
	damage s.gz gzip 0-2,4-9
	damage s.bz2 bzip2 0-9
	damage s.xz xz 0-5
	damage s.zst zstd 0-3
	damage s.lz4 lz4 0-3
	# two gzip members: each member's CRC-32 and length are checked
	cat s.tsv s2.tsv >both.tsv
	sst-build -q -o clean.sst both.tsv
	gzip -n -c s.tsv >m.gz
	m1=$(stat -c %s m.gz)
	gzip -n -c s2.tsv >>m.gz
	# (a cut exactly after the first member is a whole gzip file: not tested)
	damage m.gz gzip-2 "0-2,4-9,$((m1 + 4))-$((m1 + 9))"
}

@test "input: gzip CRC-32, length, trailing garbage, zero padding, two members" {
	recs 2000 >d.tsv
	sst-build -q -o want.sst d.tsv
	sst-dump want.sst >want.out
	gzip -n -c d.tsv >d.gz
	sz=$(stat -c %s d.gz)
	"$PY" -c '
import sys
d = open("d.gz", "rb").read()
def put(name, off, x=0x10):
    b = bytearray(d); b[off] ^= x; open(name, "wb").write(b)
put("body.gz", len(d) // 2)
put("crc.gz", len(d) - 7, 1)
put("isize.gz", len(d) - 3, 1)
open("garbage.gz", "wb").write(d + b"x")
open("zeros.gz", "wb").write(d + bytes(1000))
open("zerosx.gz", "wb").write(d + bytes(10) + b"\1")'
	for f in body.gz crc.gz isize.gz garbage.gz zerosx.gz; do
		run --separate-stderr sst-build -o "$f.sst" "$f"
		[ "$status" -eq 3 ] || fail "$f: status $status"
		check_err sst-build "^sst-build: $f: damaged gzip data"
		[ ! -e "$f.sst" ]
	done
	run --separate-stderr sst-build -o x.sst crc.gz
	check_err sst-build "incorrect data check"
	run --separate-stderr sst-build -o x.sst isize.gz
	check_err sst-build "incorrect length check"
	# truncated
	head -c $((sz - 1)) d.gz >cut.gz
	run --separate-stderr sst-build -o cut.sst cut.gz
	[ "$status" -eq 3 ] && [ ! -e cut.sst ]
	check_err sst-build "^sst-build: cut.gz: truncated gzip data"
	# the same through a pipe
	run --separate-stderr sh -c 'cat crc.gz | sst-build -o p.sst'
	[ "$status" -eq 3 ] && [ ! -e p.sst ]
	check_err sst-build "^sst-build: -: damaged gzip data"
	# zero padding after the last member is fine, as for gzip(1)
	sst-build -q -o zeros.sst zeros.gz
	sst-dump zeros.sst >zeros.out
	same zeros.out want.out
	# members one after the other: one stream
	head -n 700 d.tsv | gzip -c >two.gz
	tail -n +701 d.tsv | gzip -c >>two.gz
	sst-build -q -o two.sst two.gz
	sst-dump two.sst >two.out
	same two.out want.out
	# damage in the second member
	"$PY" -c '
d = bytearray(open("two.gz", "rb").read()); d[-20] ^= 4; open("two-bad.gz", "wb").write(d)'
	run --separate-stderr sst-build -o x.sst two-bad.gz
	[ "$status" -eq 3 ] && [ ! -e x.sst ]
}

@test "input: a compressor's header with nothing after it is bad data, not plain data" {
	need_cmd zstd lz4 xz
	recs 10 >s.tsv
	zstd -q -c s.tsv | head -c 6 >h.zst
	lz4 -q -c s.tsv | head -c 7 >h.lz4
	xz -c s.tsv | head -c 12 >h.xz
	gzip -c s.tsv | head -c 10 >h.gz
	for f in h.zst h.lz4 h.xz h.gz; do
		run --separate-stderr sst-build -o x.sst "$f"
		[ "$status" -eq 3 ] || fail "$f: status $status"
		check_err sst-build "^sst-build: $f: "
		[ ! -e x.sst ]
	done
}

@test "input: lz4's legacy format (lz4 -l): read; cut in its first block is bad data; of nothing is empty" {
	need_cmd lz4
	recs 300 >s.tsv
	sst-build -q -o want.sst s.tsv
	lz4 -q -l -c s.tsv >l.lz4
	sst-build -q -o l.sst l.lz4
	sst-dump l.sst | cmp - <(sst-dump want.sst)
	local cut
	for cut in 5 6 8 10 11 20; do
		head -c $cut l.lz4 >h.lz4
		run --separate-stderr sst-build -o x.sst h.lz4
		[ "$status" -eq 3 ] || fail "cut at $cut: status $status"
		check_err sst-build "^sst-build: h\.lz4: "
		[ ! -e x.sst ]
	done
	: | lz4 -q -l -c >e.lz4
	[ "$(stat -c %s e.lz4)" = 4 ]
	sst-build -q -o e.sst e.lz4
	[ "$(sst-dump --count e.sst)" = 0 ]
	sst-build -q -o e2.sst - <e.lz4
	[ "$(sst-dump --count e2.sst)" = 0 ]
}

@test "input: a zip member whose CRC-32 does not match is bad data (stored and deflated, file and stdin)" {
	need_cmd zip
	recs 300 >m.tsv
	zip -q -0 s.zip m.tsv
	zip -q -9 d.zip m.tsv
	"$PY" - <<'PYEOF'
for n in ("s.zip", "d.zip"):
    d = bytearray(open(n, "rb").read())
    d[d.find(b"m.tsv") + 5 + 200] ^= 1    # a bit of the member's data
    open("bad-" + n, "wb").write(d)
PYEOF
	local f
	for f in bad-s.zip bad-d.zip; do
		run --separate-stderr sst-build -o x.sst "$f"
		[ "$status" -eq 3 ] || fail "$f: status $status"
		check_err sst-build "^sst-build: $f/m\.tsv: damaged archive: ZIP bad CRC"
		[ ! -e x.sst ]
		run --separate-stderr sh -c "sst-build -o x.sst - <$f"
		[ "$status" -eq 3 ] || fail "$f on stdin: status $status"
		check_err sst-build "^sst-build: -/m\.tsv: damaged archive"
		[ ! -e x.sst ]
	done
	run --separate-stderr wal-append w.wal bad-s.zip
	[ "$status" -eq 3 ]
	[ ! -e w.wal ]
	# intact ones read, a streamed zip (sizes after the data) too
	sst-build -q -o s.sst s.zip
	sst-build -q -o d.sst d.zip
	zip -q - - <m.tsv >stream.zip
	sst-build -q -o st.sst stream.zip
	for f in s.sst d.sst st.sst; do
		[ "$(sst-dump --count $f)" = 300 ]
	done
}

@test "input: compressed members of tar, cpio and zip are decompressed" {
	need_cmd gzip zstd xz tar zip cpio
	recs 3000 >all.tsv
	sst-build -q -o want.sst all.tsv
	sst-dump want.sst >want.out
	mkdir m
	head -n 1000 all.tsv | gzip -c >m/a.tsv.gz
	sed -n 1001,2000p all.tsv | zstd -q -c >m/b.tsv.zst
	tail -n +2001 all.tsv | xz -c >m/c.tsv.xz
	(cd m && tar cf ../logs.tar a.tsv.gz b.tsv.zst c.tsv.xz &&
		printf '%s\n' a.tsv.gz b.tsv.zst c.tsv.xz | cpio -o -H newc --quiet >../logs.cpio &&
		zip -q ../logs.zip a.tsv.gz b.tsv.zst c.tsv.xz)
	gzip -c logs.tar >logs.tgz
	for f in logs.tar logs.cpio logs.zip logs.tgz; do
		sst-build -q -o "$f.sst" "$f"
		sst-dump "$f.sst" >"$f.out"
		same "$f.out" want.out
	done
	# a tar of one .gz, from a pipe
	(cd m && tar cf ../one.tar a.tsv.gz)
	cat one.tar | sst-build -q -o one.sst
	[ "$(sst-dump --count one.sst)" = 1000 ]
	# damage inside a compressed member names ARCHIVE/MEMBER
	"$PY" -c '
import tarfile, io, gzip
raw = bytearray(gzip.compress(open("all.tsv", "rb").read()))
raw[len(raw) - 6] ^= 1
t = tarfile.open("bad.tar", "w")
ti = tarfile.TarInfo("x.tsv.gz"); ti.size = len(raw)
t.addfile(ti, io.BytesIO(bytes(raw))); t.close()'
	run --separate-stderr sst-build -o bad.sst bad.tar
	[ "$status" -eq 3 ] && [ ! -e bad.sst ]
	check_err sst-build "^sst-build: bad.tar/x.tsv.gz: damaged gzip data"
}

@test "input: an archive inside an archive is bad data naming ARCHIVE/MEMBER" {
	need_cmd tar zip gzip
	recs 10 >a.tsv
	tar cf in.tar a.tsv
	gzip -c in.tar >in.tgz
	zip -q in.zip a.tsv
	tar cf outer.tar in.tar
	tar cf outer-tgz.tar in.tgz
	tar cf outer-zip.tar in.zip
	zip -q outer.zip in.tar
	for f in outer.tar outer-tgz.tar outer-zip.tar outer.zip; do
		run --separate-stderr sst-build -o x.sst "$f"
		[ "$status" -eq 3 ] || fail "$f: status $status"
		check_err sst-build "^sst-build: $f/in\.(tar|tgz|zip): holds an archive"
		[ ! -e x.sst ]
	done
	# a compressed tar is one archive, however it is compressed
	gzip -c in.tar | zstd -q -c >in.tgz.zst
	sst-build -q -o ok.sst in.tgz.zst
	[ "$(sst-dump --count ok.sst)" = 10 ]
}

@test "input: tables, WALs and stores as record input are bad data naming the tool" {
	need_cmd tar gzip
	recs 2000 >d.tsv
	sst-build -q -o z.sst d.tsv
	sst-build -q -c none -o n.sst d.tsv
	: | sst-build -q -o e.sst
	recs 3 | wal-append -q w.wal 2>/dev/null || recs 3 | wal-append w.wal
	gzip -c z.sst >z.sst.gz
	gzip -c w.wal >w.wal.gz
	tar cf own.tar n.sst
	tar cf wal.tar w.wal
	for f in z.sst n.sst e.sst z.sst.gz own.tar; do
		run --separate-stderr sst-build -o x.sst "$f"
		[ "$status" -eq 3 ] || fail "$f: status $status"
		check_err sst-build "^sst-build: $f(/n\.sst)?: is an sstkit table: use sst-merge or sst-ingest$"
		[ ! -e x.sst ]
	done
	for f in w.wal w.wal.gz wal.tar; do
		run --separate-stderr sst-build -o x.sst "$f"
		[ "$status" -eq 3 ] || fail "$f: status $status"
		check_err sst-build "^sst-build: $f(/w\.wal)?: is an sstkit WAL: use wal-replay$"
		[ ! -e x.sst ]
	done
	run --separate-stderr sh -c 'cat z.sst | sst-build -o x.sst'
	[ "$status" -eq 3 ]
	check_err sst-build "^sst-build: -: is an sstkit table"
	cp w.wal w2.wal
	run --separate-stderr wal-append w2.wal z.sst
	[ "$status" -eq 3 ]
	check_err wal-append "is an sstkit table"
	cmp w.wal w2.wal
	# a store; a directory that is not one stays a system error
	sst-build -q --into st d.tsv
	run --separate-stderr sst-build -o x.sst st
	[ "$status" -eq 3 ]
	check_err sst-build "^sst-build: st: is an sstkit store: use sst-merge or sst-dump$"
	mkdir plain
	run --separate-stderr sst-build -o x.sst plain
	[ "$status" -eq 4 ]
	check_err sst-build "^sst-build: plain: Is a directory"
	# ordinary data that merely holds the magic numbers is read as it is
	printf 'k\t\211SST\r\n\032\nsstkit-wal\tv\n' >looks.tsv
	sst-build -q -o looks.sst looks.tsv
	[ "$(sst-dump --count looks.sst)" = 3 ]
}

@test "input: a table or WAL compressed with xz, bzip2, zstd or lz4 (or so in a tar) is bad data too" {
	need_cmd tar
	recs 500 >d.tsv
	sst-build -q -o z.sst d.tsv
	sst-build -q -c none -o n.sst d.tsv
	recs 3 | wal-append w.wal
	local c f n=0
	for c in xz bzip2 zstd lz4; do
		command -v "$c" >/dev/null 2>&1 || continue
		n=$((n + 1))
		"$c" -q -c z.sst >z.$c
		"$c" -q -c n.sst >n.$c
		"$c" -q -c w.wal >w.$c
		tar cf m$c.tar n.$c
		for f in n.$c m$c.tar; do
			run --separate-stderr sst-build -o x.sst "$f"
			[ "$status" -eq 3 ] || fail "$f: status $status"
			check_err sst-build "^sst-build: $f(/n\.$c)?: is an sstkit table: use sst-merge or sst-ingest$"
			[ ! -e x.sst ]
		done
		# zstd blocks: libarchive takes the first for zstd input and
		# fails on what follows it; bad data all the same
		run --separate-stderr sst-build -o x.sst z.$c
		[ "$status" -eq 3 ] || fail "z.$c: status $status"
		[ ! -e x.sst ]
		run --separate-stderr wal-append w2.wal w.$c
		[ "$status" -eq 3 ] || fail "w.$c: status $status"
		check_err wal-append "^wal-append: w\.$c: is an sstkit WAL: use wal-replay$"
		run --separate-stderr sst-sample n.$c
		[ "$status" -eq 3 ] || fail "sample n.$c: status $status"
		check_err sst-sample "is an sstkit table"
		# compressed records still read
		"$c" -q -c d.tsv >d.$c
		sst-build -q -o ok.sst d.$c
		[ "$(sst-dump --count ok.sst)" = 500 ]
		rm -f ok.sst
	done
	[ "$n" -gt 0 ] || skip "no xz, bzip2, zstd or lz4"
}

@test "input: cdb-looking input read as tsv gets one hint on stderr (sst-build, wal-append, sst-sample)" {
	printf '+1,2:a->bc\n+2,1:de->f\n' >c.txt
	run --separate-stderr sst-build -o t.sst c.txt
	[ "$status" -eq 0 ]
	check_err sst-build "^sst-build: c.txt: looks like cdb input .*did you mean -f cdb\?$"
	# still read as tsv: two keys, the whole lines
	[ "$(sst-dump --count t.sst)" = 2 ]
	run --separate-stderr wal-append w.wal c.txt
	[ "$status" -eq 0 ]
	check_err wal-append "^wal-append: c.txt: looks like cdb input"
	run --separate-stderr sst-sample c.txt
	[ "$status" -eq 0 ]
	check_err sst-sample "^sst-sample: c.txt: looks like cdb input"
	# as cdb, or not quite cdb: no hint
	run --separate-stderr sst-build -f cdb -o t2.sst c.txt
	[ "$status" -eq 0 ] && [ -z "$stderr" ]
	for line in '+1,2:a->b' '+1,2:a->bcd' '+1,2:ab>c' '+a,2:x->yz' 'k\t+1,1:a->b' '-2:a'; do
		printf -- "$line\\n" >n.txt
		run --separate-stderr sst-build -o n.sst n.txt
		[ -z "$stderr" ] || fail "hint for '$line': $stderr"
	done
	printf -- '-1:a\n' >d.txt
	run --separate-stderr sst-build -o d.sst d.txt
	check_err sst-build "looks like cdb input"
}

@test "input: a sparse tar member, its last hole too, reads as the file" {
	need_cmd tar
	printf 'a\t1\n' >f
	truncate -s 20000 f
	printf 'b\t2\n' >>f
	truncate -s 70000 f
	tar -S -cf gnu.tar f
	tar --format=pax -S -cf pax.tar f
	sst-build -q -o want.sst f
	sst-dump want.sst >want.out
	for t in gnu.tar pax.tar; do
		sst-build -q -o "$t.sst" "$t"
		sst-dump "$t.sst" >"$t.out"
		same "$t.out" want.out
	done
}
