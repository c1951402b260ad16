#!/usr/bin/env bats
# wal-append and wal-replay: round trips with many flushes, torn tails,
# damage and --skip-corrupt, kill -9 during appends, --remove, memory.

load common

setup_file() {
	cat >"$BATS_FILE_TMPDIR/walpy.py" <<'EOF'
import os, random, sys

def rec(k, v, kind):
    if kind == 'del':
        return b'-%d:%s\n' % (len(k), k)
    return b'+%d,%d:%s->%s\n' % (len(k), len(v), k, v)

def parse(data):
    out, i = [], 0
    while i < len(data) and data[i:i+1] != b'\n':
        op = data[i:i+1]
        j = data.index(b':', i)
        if op == b'+':
            kl, vl = map(int, data[i+1:j].split(b','))
            k = data[j+1:j+1+kl]
            v = data[j+3+kl:j+3+kl+vl]
            out.append((k, v, 'put'))
            i = j + 3 + kl + vl + 1
        else:
            kl = int(data[i+1:j])
            out.append((data[j+1:j+1+kl], b'', 'del'))
            i = j + 1 + kl + 1
    return out

def gen(seed, n, d, prefix=b''):
    # random binary records, one file per record plus all.cdb
    r = random.Random(seed)
    alpha = b'ab\x00\xff\t\n\\+-:>'
    os.makedirs(d, exist_ok=True)
    allf = open(os.path.join(d, 'all.cdb'), 'wb')
    for i in range(n):
        k = prefix + bytes(r.choice(alpha) for _ in range(r.randint(1, 6)))
        if r.random() < 0.15:
            x = rec(k, b'', 'del')
        else:
            vl = r.choice([0, 1, 5, 40, 300, 2000]) if r.random() > 0.004 else 70000
            x = rec(k, bytes(r.getrandbits(8) for _ in range(vl)) if vl < 3000 else os.urandom(vl), 'put')
        allf.write(x)
        with open(os.path.join(d, 'r-%06d.cdb' % i), 'wb') as f:
            f.write(x)

def model(files, tomb=True):
    m = {}
    for fn in files:
        for k, v, kind in parse(open(fn, 'rb').read()):
            m[k] = (v, kind)
    out = b''.join(rec(k, m[k][0], m[k][1]) for k in sorted(m) if tomb or m[k][1] == 'put')
    if not tomb:
        out += b'\n'  # sst-dump -f cdb ends with cdbmake's closing empty line
    sys.stdout.buffer.write(out)

def check_kill(dump, trials):
    # every record of an append that exited 0 is there; a killed append left
    # a prefix of its records (the WAL keeps append order)
    got = {k: v for k, v, kind in parse(open(dump, 'rb').read())}
    bad = 0
    for line in open(trials):
        t, st, fn = line.split()
        recs = parse(open(fn, 'rb').read())
        present = [k in got and got[k] == v for k, v, _ in recs]
        if st == '0' and not all(present):
            print('trial %s exited 0 but lost %d records' % (t, present.count(False)))
            bad += 1
        if st != '0':
            n = present.count(True)
            if present != [True] * n + [False] * (len(present) - n):
                print('trial %s: survivors are not a prefix' % t)
                bad += 1
    sys.exit(1 if bad else 0)

cmd = sys.argv[1]
if cmd == 'gen':
    gen(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5].encode() if len(sys.argv) > 5 else b'')
elif cmd == 'model':
    model(sys.argv[2:])
elif cmd == 'model-live':
    model(sys.argv[2:], False)
elif cmd == 'check-kill':
    check_kill(sys.argv[2], sys.argv[3])
EOF
}

setup() {
	common_setup
	for t in wal-append wal-replay; do
		[ -x "$SST_BIN/$t" ] || fail "missing tool $SST_BIN/$t"
	done
}

walpy() {
	python3 "$BATS_FILE_TMPDIR/walpy.py" "$@"
}

# append_each WAL DIR: one wal-append call per record file; prints the WAL
# size after each (the record boundaries).
append_each() {
	local f
	for f in "$2"/r-*.cdb; do
		wal-append --sync none -f cdb "$1" "$f" || return 1
		stat -c %s "$1"
	done
}

# --- common conventions ------------------------------------------------------

@test "wal: -h/--help to stdout exit 0, --version, usage errors exit 2" {
	for t in wal-append wal-replay; do
		for h in -h --help; do
			run --separate-stderr "$t" "$h"
			[ "$status" -eq 0 ] && [[ "$output" == *"$t"* ]] && [ -z "$stderr" ] ||
			    fail "$t $h: $status $output"
		done
		run --separate-stderr "$t" --version
		[ "$status" -eq 0 ] && [[ "$output" =~ [0-9]+\.[0-9]+ ]]
	done
	for args in "" "--sync" "--sync sometimes w.wal" "-f json w.wal" "--bogus w.wal"; do
		run --separate-stderr wal-append $args
		[ "$status" -eq 2 ] || fail "wal-append $args: exit $status"
		[[ "${stderr_lines[0]}" == "wal-append: "* ]] || fail "stderr: $stderr"
	done
	[ ! -e w.wal ]
	for args in "" "w.wal" "-o x.sst" "-o x.sst --into st w.wal" "--memtable-size 1X -o x.sst w.wal" \
	    "--memtable-size 1K -o x.sst w.wal" "--wait -o x.sst w.wal" "--bogus -o x.sst w.wal"; do
		run --separate-stderr wal-replay $args
		[ "$status" -eq 2 ] || fail "wal-replay $args: exit $status"
		[[ "${stderr_lines[0]}" == "wal-replay: "* ]] || fail "stderr: $stderr"
	done
	[ ! -e x.sst ] && [ ! -e st ]
}

@test "wal: tsv, -e and --delete appends replay to the latest record of each key" {
	fruit_tsv | wal-append w.wal
	printf 'apple\n' | wal-append --delete w.wal
	printf 'k\\tab\tv\\n1\n' | wal-append -e w.wal
	run --separate-stderr wal-replay -o out.sst w.wal
	[ "$status" -eq 0 ] && [ -z "$stderr" ]
	run sst-dump -e out.sst
	[ "$output" = "$(printf 'banana\tyellow\ncherry\tdark red\nk\\tab\tv\\n1\npear\tgreen')" ]
	run sst-dump --tombstones -f cdb out.sst
	[[ "$output" == *"-5:apple"* ]]
	no_tmp_left .
}

@test "wal: bad input exits 3 and a failed append adds nothing" {
	fruit_tsv | wal-append w.wal
	cp w.wal before.wal
	run --separate-stderr wal-append w.wal <(printf 'x\t1\n\ty\n')
	[ "$status" -eq 3 ]
	check_err wal-append ':2'
	same w.wal before.wal
	run --separate-stderr wal-append -f cdb w.wal <(printf '+1,1:a->b\n+9,1:a->b\n')
	[ "$status" -eq 3 ]
	same w.wal before.wal
	run --separate-stderr wal-append w.wal /nonexistent/in.tsv
	[ "$status" -eq 4 ]
	same w.wal before.wal
}

@test "wal: files that are not WALs exit 3 and are left alone" {
	printf 'hello, I am not a log\n' >junk
	cp junk junk.orig
	run --separate-stderr wal-replay -o out.sst junk
	[ "$status" -eq 3 ]
	check_err wal-replay 'junk: not an sstkit WAL'
	run --separate-stderr wal-append junk <(printf 'a\tb\n')
	[ "$status" -eq 3 ]
	same junk junk.orig
	run --separate-stderr wal-replay -o out.sst missing.wal
	[ "$status" -eq 4 ]
	check_err wal-replay 'missing.wal'
	[ ! -e out.sst ]
	no_tmp_left .
}

@test "wal: a WAL on a pipe, FIFO or device is exit 3, never an empty replay; '-' is stdin redirected from a file" {
	printf 'a\t1\nb\t2\n' | wal-append w.wal
	run --separate-stderr sh -c 'cat w.wal | wal-replay -o out.sst /dev/stdin'
	[ "$status" -eq 3 ] || fail "status $status: $stderr"
	check_err wal-replay '^wal-replay: /dev/stdin: not a regular file'
	[ ! -e out.sst ]
	run --separate-stderr sh -c 'cat w.wal | wal-replay --into st -'
	[ "$status" -eq 3 ] || fail "status $status: $stderr"
	check_err wal-replay '^wal-replay: -: not a regular file'
	[ ! -e st ]
	run --separate-stderr wal-replay -o out.sst /dev/null
	[ "$status" -eq 3 ]
	wal-replay -q -o out.sst - <w.wal
	[ "$(sst-dump out.sst)" = "$(printf 'a\t1\nb\t2')" ]
	run --separate-stderr wal-replay --remove -o out2.sst - <w.wal
	[ "$status" -eq 2 ]
	[ -e w.wal ] && [ ! -e out2.sst ]
}

# --- round trips ---------------------------------------------------------------

@test "wal: round trip with many flushes (-o and --into) equals the model" {
	local i n=$(san_or 600 300)
	for i in 1 2 3 4; do
		walpy gen "$i" "$n" "g$i"
		wal-append -f cdb w.wal "g$i/all.cdb"
	done
	walpy model g1/all.cdb g2/all.cdb g3/all.cdb g4/all.cdb >want.cdb
	walpy model-live g1/all.cdb g2/all.cdb g3/all.cdb g4/all.cdb >want-live.cdb
	run --separate-stderr wal-replay --memtable-size 128K -o out.sst w.wal
	[ "$status" -eq 0 ] && [ -z "$stderr" ] || fail "$stderr"
	sst-dump --tombstones -f cdb out.sst >got.cdb
	same got.cdb want.cdb
	sst-verify out.sst
	wal-replay --memtable-size 128K --into st w.wal
	[ "$(ls st/*.sst | wc -l)" -gt 3 ] || fail "expected many flushes: $(ls st)"
	sst-dump -f cdb st >got-live.cdb
	same got-live.cdb want-live.cdb
	sst-verify st
	# replaying the same WAL again leaves the same content
	wal-replay --into st w.wal
	sst-dump -f cdb st >again.cdb
	same again.cdb want-live.cdb
	wal-replay -o out2.sst w.wal w.wal
	sst-dump --tombstones -f cdb out2.sst >got2.cdb
	same got2.cdb want.cdb
	no_tmp_left . st
}

@test "wal: later WALs on the command line are newer" {
	printf 'k\told\nj\t1\n' | wal-append a.wal
	printf 'k\tnew\n' | wal-append b.wal
	printf 'j\n' | wal-append --delete b.wal
	wal-replay -o ab.sst a.wal b.wal
	[ "$(sst-dump ab.sst)" = "$(printf 'k\tnew')" ]
	wal-replay -o ba.sst b.wal a.wal
	[ "$(sst-dump ba.sst)" = "$(printf 'j\t1\nk\told')" ]
}

# --- torn tails and damage ------------------------------------------------------

@test "wal: a torn tail at every byte of the last records is reported and ignored" {
	walpy gen 7 $(san_or 300 120) g
	wal-append -f cdb w.wal g/all.cdb
	stat -c %s w.wal >ends
	# the last records: small ones around one that spans three blocks
	walpy gen 8 3 last
	printf '+4,70000:bigk->' >last/r-000001.cdb
	head -c 70000 /dev/urandom >>last/r-000001.cdb
	printf '\n' >>last/r-000001.cdb
	append_each w.wal last >>ends
	python3 - "$BATS_FILE_TMPDIR/walpy.py" $(san_or 1 3) <<'EOF2'
import random, subprocess, sys
bounds = [int(x) for x in open('ends').read().split()]
data = open('w.wal', 'rb').read()
thin = int(sys.argv[2])
# every byte of the unit tests is too slow with one process per cut: here the
# edges (record and block boundaries, headers) densely, the rest sampled
cuts = set()
for b in bounds:
    cuts.update(range(b - 1, b + 9))
for blk in range(bounds[0] // 32768 + 1, len(data) // 32768 + 1):
    cuts.update(range(blk * 32768 - 4, blk * 32768 + 5))
r = random.Random(3)
for i in range(3):
    cuts.update(r.randrange(bounds[i], bounds[i + 1]) for _ in range(6))
cuts = sorted(c for c in cuts if bounds[0] <= c <= len(data))[::thin]
bad = 0
want_cache = {}
for cut in cuts:
    open('cut.wal', 'wb').write(data[:cut])
    p = subprocess.run(['wal-replay', '-q', '-o', 'cut.sst', 'cut.wal'], capture_output=True)
    done = max(b for b in bounds if b <= cut)
    err = p.stderr.decode()
    pad = 32768 - done % 32768
    torn = cut != done and not (pad < 7 and cut - done <= pad)
    if p.returncode != 0:
        print('cut %d: exit %d %s' % (cut, p.returncode, err)); bad += 1
    elif torn:
        want = 'wal-replay: cut.wal@%d: torn final record ignored, %d bytes dropped' % (done, cut - done)
        if not err.startswith(want) or len(err.splitlines()) != 1:
            print('cut %d: stderr %r, want %r' % (cut, err, want)); bad += 1
    elif err:
        print('cut %d after a complete record: stderr %r' % (cut, err)); bad += 1
    if p.returncode == 0:
        d = subprocess.run(['sst-dump', '--tombstones', '-f', 'cdb', 'cut.sst'], capture_output=True).stdout
        if done not in want_cache:
            files = ['g/all.cdb'] + ['last/r-%06d.cdb' % i for i in range(3) if bounds[i + 1] <= cut]
            want_cache[done] = subprocess.run(['python3', sys.argv[1], 'model'] + files, capture_output=True).stdout
        if d != want_cache[done]:
            print('cut %d: content differs' % cut); bad += 1
    if bad > 5:
        break
print('tried', len(cuts))
sys.exit(1 if bad or len(cuts) < 60 // thin else 0)
EOF2
}

@test "wal: damage before the tail exits 3 naming the offset; --skip-corrupt resyncs" {
	walpy gen 11 60 g
	printf '+4,100000:bigk->' >g/r-000030.cdb
	head -c 100000 /dev/urandom >>g/r-000030.cdb
	printf '\n' >>g/r-000030.cdb
	append_each w.wal g >ends
	mapfile -t E <ends
	cp w.wal good.wal
	# flip a byte inside record 10 (starts at E[9])
	python3 -c "
import sys
d = bytearray(open('good.wal','rb').read()); d[$((E[9] + 9))] ^= 0x20
open('w.wal','wb').write(d)"
	run --separate-stderr wal-replay -o out.sst w.wal
	[ "$status" -eq 3 ]
	check_err wal-replay "^wal-replay: w\\.wal@${E[9]}: "
	[ ! -e out.sst ]
	run --separate-stderr wal-replay --remove --into st w.wal
	[ "$status" -eq 3 ]
	[ -e w.wal ] || fail "--remove removed a WAL whose replay failed"
	[ -z "$(ls st/*.sst 2>/dev/null)" ] || fail "tables published after a failed replay"
	run --separate-stderr wal-replay --skip-corrupt -o out.sst w.wal
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"w.wal@${E[9]}: damaged record skipped, $((E[10] - E[9])) bytes dropped"* ]] ||
	    fail "stderr: $stderr"
	ls g/r-*.cdb | sed -n '1,10p;12,$p' >keep
	walpy model $(cat keep) >want.cdb
	sst-dump --tombstones -f cdb out.sst >got.cdb
	same got.cdb want.cdb
	# damage the first fragment of the record that spans four blocks: resync
	# skips its other fragments in the next blocks
	python3 -c "
d = bytearray(open('good.wal','rb').read()); d[$((E[29] + 2))] ^= 0x01
open('w.wal','wb').write(d)"
	run --separate-stderr wal-replay -o out.sst w.wal
	[ "$status" -eq 3 ]
	check_err wal-replay "w\\.wal@${E[29]}: "
	run --separate-stderr wal-replay --skip-corrupt -o out.sst w.wal
	[ "$status" -eq 0 ]
	ls g/r-*.cdb | sed -n '1,30p;32,$p' >keep
	walpy model $(cat keep) >want.cdb
	sst-dump --tombstones -f cdb out.sst >got.cdb
	same got.cdb want.cdb
	no_tmp_left .
}

@test "wal: append after a torn tail cuts it back first; every new record is kept" {
	walpy gen 21 50 g
	wal-append -f cdb w.wal g/all.cdb
	size=$(stat -c %s w.wal)
	printf '+3,50000:big->' >big.cdb
	head -c 50000 /dev/zero | tr '\0' x >>big.cdb
	printf '\n' >>big.cdb
	wal-append -f cdb w.wal big.cdb
	truncate -s $((size + 40000)) w.wal
	walpy gen 22 50 h
	run --separate-stderr wal-append -f cdb w.wal h/all.cdb
	[ "$status" -eq 0 ]
	check_err wal-append "w\\.wal@$size: torn final record cut off, 40000 bytes dropped"
	run --separate-stderr wal-replay -o out.sst w.wal
	[ "$status" -eq 0 ] && [ -z "$stderr" ]
	walpy model g/all.cdb h/all.cdb >want.cdb
	sst-dump --tombstones -f cdb out.sst >got.cdb
	same got.cdb want.cdb
}

@test "wal: kill -9 of wal-append at random moments loses no acknowledged record" {
	local t n=$(san_or 60 20) pid st
	: >trials
	# (not i: bats' run sets i in the caller)
	for t in $(seq 1 "$n"); do
		printf '+%d,2:ok%d-a->va\n+%d,2:ok%d-b->vb\n' "$((${#t} + 4))" "$t" "$((${#t} + 4))" "$t" >"ok$t.cdb"
		run --separate-stderr wal-append -f cdb w.wal "ok$t.cdb"
		[ "$status" -eq 0 ] || fail "append $t: $status $stderr"
		echo "ok$t 0 ok$t.cdb" >>trials
		awk -v t="$t" 'BEGIN { for (j = 0; j < 3000; j++) printf "+%d,%d:t%d-%05d->v%d-%d-xxxxxxxxxxxxxxxxxxxx\n", length("t" t "-00000"), length("v" t "-" j "-xxxxxxxxxxxxxxxxxxxx"), t, j, t, j }' >"k$t.cdb"
		if [ $((t % 3)) -eq 0 ]; then sync=always; else sync=batch; fi
		wal-append -f cdb --sync $sync w.wal "k$t.cdb" 2>/dev/null &
		pid=$!
		sleep "0.0$((RANDOM % 30))"
		kill -9 "$pid" 2>/dev/null || true
		st=0
		{ wait "$pid"; } 2>/dev/null || st=$?
		echo "k$t $st k$t.cdb" >>trials
	done
	run --separate-stderr wal-replay -o out.sst w.wal
	[ "$status" -eq 0 ] || fail "replay: $status $stderr"
	sst-dump -f cdb out.sst >got.cdb
	walpy check-kill got.cdb trials
	grep -q ' 9 \| 137 ' trials || grep -qv ' 0 ' trials || fail "no append was killed: $(cat trials)"
}

@test "wal: --remove deletes the WALs only after a successful replay" {
	fruit_tsv | wal-append a.wal
	printf 'zebra\tstripes\n' | wal-append b.wal
	# an unwritable output: replay fails, nothing removed
	run --separate-stderr wal-replay --remove -o nodir/out.sst a.wal b.wal
	[ "$status" -eq 4 ]
	[ -e a.wal ] && [ -e b.wal ]
	# a locked store: exit 75, nothing removed
	wal-replay --into st a.wal
	need_cmd flock
	hold_lock st/LOCK 3
	run --separate-stderr wal-replay --remove --into st a.wal b.wal
	[ "$status" -eq 75 ]
	[ -e a.wal ] && [ -e b.wal ]
	wait
	# a missing WAL among them: nothing removed
	run --separate-stderr wal-replay --remove --into st a.wal b.wal missing.wal
	[ "$status" -eq 4 ]
	[ -e a.wal ] && [ -e b.wal ]
	run --separate-stderr wal-replay --remove --into st a.wal b.wal
	[ "$status" -eq 0 ]
	[ ! -e a.wal ] && [ ! -e b.wal ]
	[ "$(sst-dump st | tail -1)" = "$(printf 'zebra\tstripes')" ]
	fruit_tsv | wal-append c.wal
	wal-replay --remove -o c.sst c.wal
	[ ! -e c.wal ] && [ -e c.sst ]
}

@test "wal: replaying a WAL ten times the memtable size stays under two memtables plus 24 MiB" {
	skip_if_san "RSS is meaningless under ASan"
	awk 'BEGIN { srand(5); for (i = 0; i < 250000; i++) printf "key%09d\t%s%d\n", int(rand() * 1e9), "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv", i }' >in.tsv
	wal-append w.wal in.tsv
	[ "$(stat -c %s w.wal)" -gt $((16 * 1024 * 1024)) ]
	/usr/bin/time -f %M -o rss wal-replay -q --memtable-size 1536K --into st w.wal
	rss=$(tail -1 rss)
	[ "$rss" -lt $(( (2 * 1536) + 24 * 1024 )) ] || fail "peak RSS ${rss} KiB"
	/usr/bin/time -f %M -o rss2 wal-replay -q --memtable-size 1536K -o out.sst w.wal
	rss=$(tail -1 rss2)
	[ "$rss" -lt $(( (2 * 1536) + 24 * 1024 )) ] || fail "peak RSS -o ${rss} KiB"
	[ "$(sst-dump --count st)" = "$(sst-dump --count out.sst)" ]
	[ "$(sst-dump --count out.sst)" = "$(cut -f1 in.tsv | sort -u | wc -l)" ]
}

# term_append WAL: wal-append --sync always WAL from a FIFO kept open, sent
# SIGTERM once WAL holds records beyond SIZE bytes (its size before).
term_append() {
	local wal=$1 size=$2 pid rc=0 i
	rm -f fifo
	mkfifo fifo
	exec 5<>fifo
	seq -w 1000 | sed 's/$/\tv/' >&5
	bg_sigdfl wal-append --sync always "$wal" fifo &
	pid=$!
	for i in $(seq 400); do
		[ "$(stat -c %s "$wal" 2>/dev/null || echo 0)" -gt $((size + 100)) ] && break
		sleep 0.02
	done
	[ "$(stat -c %s "$wal" 2>/dev/null || echo 0)" -gt $((size + 100)) ] || fail "no records appended"
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	exec 5>&-
	[ "$rc" -ne 0 ] || fail "exit 0"
}

@test "wal: a failed or killed (SIGTERM) wal-append adds nothing; a WAL it created goes" {
	run --separate-stderr wal-append new.wal <(printf 'x\t1\n\ty\n')
	[ "$status" -eq 3 ]
	[ ! -e new.wal ] || fail "a failed append left new.wal"
	run --separate-stderr wal-append -f cdb new.wal /nonexistent.cdb
	[ "$status" -eq 4 ]
	[ ! -e new.wal ]
	term_append new.wal 0
	[ ! -e new.wal ] || fail "SIGTERM left new.wal ($(stat -c %s new.wal) bytes)"
	fruit_tsv | wal-append w.wal
	cp w.wal before.wal
	term_append w.wal "$(stat -c %s w.wal)"
	same w.wal before.wal
	wal-replay -q -o out.sst w.wal
	# a writer waiting for the lock of a log whose creator then fails
	# makes the log anew: its record is not lost in the removed file
	local a b i
	rm -f fifo
	mkfifo fifo
	exec 5<>fifo
	wal-append -e w2.wal fifo 5>&- &
	a=$!
	for i in $(seq 200); do
		[ -e w2.wal ] && break
		sleep 0.02
	done
	printf 'k\t1\n' | wal-append w2.wal 5>&- &
	b=$!
	for i in $(seq 200); do
		[ "$(cat "/proc/$b/wchan" 2>/dev/null)" = flock_lock_inode_wait ] ||
			grep -q '^State:.*S' "/proc/$b/status" 2>/dev/null && break
		sleep 0.02
	done
	sleep 0.2
	printf 'bad\\q\tv\n' >&5
	exec 5>&-
	wait "$a" || true
	wait "$b"
	wal-replay -q -o out2.sst w2.wal
	[ "$(sst-dump out2.sst)" = "$(printf 'k\t1')" ]
}
