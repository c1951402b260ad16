#!/usr/bin/env bats
# sst-get's streaming batch: a coprocess gets each answer before it writes
# the next key, a batch of 10 million keys runs in bounded memory, one
# whose values outgrow the arena spills them to a temporary file, and
# random batches over stores and tables agree with a model.

load common

setup() {
	common_setup
}

# coproc_check TABLE ARGS...: python drives sst-get as a coprocess: one key
# written, its answer read (within 10 s) before the next key; found keys
# answer with their record, missing ones with --missing.
coproc_check() {
	python3 - "$SST_BIN/sst-get" "$@" <<'EOF'
import os, select, subprocess, sys
tool, table = sys.argv[1], sys.argv[2]

def ask(p, key, want):
    p.stdin.write(key + b"\n")
    p.stdin.flush()
    got = b""
    while not got.endswith(b"\n"):
        r, _, _ = select.select([p.stdout], [], [], 10)
        if not r:
            sys.exit("no answer to %r within 10 s" % key)
        b = os.read(p.stdout.fileno(), 65536)
        if not b:
            sys.exit("sst-get ended before answering %r" % key)
        got += b
    if got != want:
        sys.exit("asked %r: got %r, want %r" % (key, got, want))

p = subprocess.Popen([tool, table], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
for i in range(0, 200, 7):
    k = b"key%05d" % i
    ask(p, k, k + b"\tval-%d\n" % i)
p.stdin.close()
if p.wait(10) != 0:
    sys.exit("exit %d" % p.returncode)
p = subprocess.Popen([tool, "--missing", table], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
for i in range(0, 50, 3):
    ask(p, b"absent%d" % i, b"absent%d\n" % i)
p.stdin.close()
if p.wait(10) != 1:
    sys.exit("--missing: exit %d" % p.returncode)
EOF
}

@test "get stream: a coprocess reads each answer before writing the next key" {
	awk 'BEGIN { for (i = 0; i < 2000; i++) printf "key%05d\tval-%d\n", i, i }' | mk_table t.sst -b 512
	run coproc_check t.sst
	[ "$status" -eq 0 ] || fail "$output"
	# the table is opened once for the whole stream, not per key (LeakSanitizer
	# does not run under ptrace)
	need_cmd strace
	[ "$SST_SAN" = 1 ] && skip "strace: not under sanitizers"
	printf 'key00001\nkey00002\n' >q
	{ sleep 0.2; cat q; sleep 0.2; cat q; sleep 0.2; cat q; } |
	    strace -f -e trace=open,openat -o trace sst-get t.sst >out
	echo key00001 | strace -f -e trace=open,openat -o trace1 sst-get t.sst >/dev/null
	[ "$(grep -c 't\.sst' trace)" -eq "$(grep -c 't\.sst' trace1)" ] || fail "$(grep 't\.sst' trace)"
	[ "$(wc -l <out)" -eq 6 ]
}

@test "get stream: the first answers of a long batch come out before its end" {
	awk 'BEGIN { for (i = 0; i < 100; i++) printf "key%05d\tv%d\n", i, i }' | mk_table t.sst
	# the writer waits for the first answer before it writes the rest
	python3 - "$SST_BIN/sst-get" <<'EOF'
import select, subprocess, sys
p = subprocess.Popen([sys.argv[1], "t.sst"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
p.stdin.write(b"".join(b"key%05d\n" % i for i in range(50)))
p.stdin.flush()
r, _, _ = select.select([p.stdout], [], [], 10)
if not r:
    sys.exit("no answer before the end of the input")
p.stdin.write(b"".join(b"key%05d\n" % i for i in range(50, 100)))
p.stdin.close()
out = p.stdout.read()
if p.wait(10) != 0 or out.count(b"\n") < 50:
    sys.exit("exit %d, %d lines" % (p.returncode, out.count(b"\n")))
EOF
}

@test "get stream: 10 million keys in under 64 MiB peak RSS, answers in input order" {
	skip_if_san "10 million keys: too slow under ASan"
	awk 'BEGIN { for (i = 0; i < 1000; i++) printf "k%d\tv%d\n", i * 9973, i }' | mk_table t.sst
	# keys k0 .. k9999999: every 9973rd is in the table
	/usr/bin/time -o rss -f %M sh -c 'seq -f "k%.0f" 0 9999999 | "$1" t.sst >out' sh \
	    "$SST_BIN/sst-get" && rc=0 || rc=$?
	[ "$rc" -eq 1 ] || fail "exit $rc"
	awk 'BEGIN { for (i = 0; i < 1000; i++) printf "k%d\tv%d\n", i * 9973, i }' >want
	same out want
	[ "$(tail -1 rss)" -lt 65536 ] || fail "peak RSS $(tail -1 rss) KiB"
}

@test "get stream: a batch whose values outgrow the arena spills to a temporary file, answers unchanged" {
	# 12000 values of 1000 bytes (12 MB, over the 6 MiB arena) and one of
	# 10 MiB (over the arena: looked up again), asked shuffled with repeats,
	# deleted (d.sst is newer) and absent keys
	python3 - <<'EOF'
import random
r = random.Random(3)
def val(i):
    return "%05d%s" % (i, chr(97 + i % 26) * 995)
with open("a.tsv", "w") as f:
    for i in range(12000):
        f.write("k%05d\t%s\n" % (i, val(i)))
    f.write("kbig\t%s\n" % ("B" * (10 << 20)))
with open("d.tsv", "w") as f:
    for i in range(0, 12000, 7):
        f.write("k%05d\t\n" % i)
keys = ["k%05d" % i for i in range(12000)] + ["k%05d" % r.randrange(12000) for _ in range(3000)]
keys += ["absent%d" % i for i in range(2000)] + ["kbig"] * 3
r.shuffle(keys)
with open("q", "w") as q, open("want", "w") as w:
    for k in keys:
        q.write(k + "\n")
        if k == "kbig":
            w.write("kbig\t%s\n" % ("B" * (10 << 20)))
        elif k[1:].isdigit() and int(k[1:]) % 7 != 0:
            w.write("%s\t%s\n" % (k, val(int(k[1:]))))
EOF
	mk_table a.sst <a.tsv
	mk_table d.sst --delete <d.tsv
	sst-get a.sst d.sst <q >out && rc=0 || rc=$?
	[ "$rc" -eq 1 ] || fail "exit $rc"
	same out want
	no_tmp_left .
	# killed (-9) while it holds its spill file open: nothing is left in
	# TMPDIR (the keys are all in the pipe before it starts: one chunk)
	python3 - "$SST_BIN/sst-get" <<'EOF'
import fcntl, os, select, signal, subprocess, sys
r, w = os.pipe()
fcntl.fcntl(w, 1031, 1 << 20)	# F_SETPIPE_SZ
data = open("q", "rb").read()
if os.write(w, data) != len(data):
    sys.exit("short write")
p = subprocess.Popen([sys.argv[1], "a.sst", "d.sst"], stdin=r, stdout=subprocess.PIPE)
os.close(r)
want = open("want", "rb").read().count(b"\n")
got = 0
while got < want:
    r, _, _ = select.select([p.stdout], [], [], 30)
    if not r:
        sys.exit("no answers within 30 s")
    b = os.read(p.stdout.fileno(), 1 << 20)
    if not b:
        sys.exit("sst-get ended early")
    got += b.count(b"\n")
# all answered, stdin still open: the spill file is open, with no name
links = [os.readlink("/proc/%d/fd/%s" % (p.pid, f)) for f in os.listdir("/proc/%d/fd" % p.pid)]
if not any(l.startswith(os.environ["TMPDIR"]) and l.endswith("(deleted)") for l in links):
    sys.exit("no unnamed spill file open: %r" % links)
p.send_signal(signal.SIGKILL)
p.wait()
os.close(w)
EOF
	no_tmp_left .
	# the spill needs the temp directory: one that cannot be written is exit 4 naming it
	run --separate-stderr env TMPDIR="$T/no/such/dir" "$SST_BIN/sst-get" a.sst d.sst <q
	[ "$status" -eq 4 ] || fail "exit $status: $stderr"
	check_err sst-get "^sst-get: $T/no/such/dir: "
	# a batch whose values fit the arena touches no file
	head -3000 q | TMPDIR="$T/no/such/dir" sst-get a.sst d.sst >out3 && rc=0 || rc=$?
	[ "$rc" -le 1 ] || fail "exit $rc"
	head -3000 q | sst-get a.sst d.sst >want3 || true
	same out3 want3
}

@test "get stream: random batches over a store and tables against a model" {
	python3 - <<'EOF'
import random
r = random.Random(7)
model = {}
for t in range(6):
    puts, dels = {}, set()
    for _ in range(400):
        k = "k%04d" % r.randrange(1500)
        if r.random() < 0.2:
            dels.add(k); puts.pop(k, None)
        else:
            puts[k] = "t%d-%s" % (t, "x" * r.randrange(300)); dels.discard(k)
    with open("p%d.tsv" % t, "w") as f:
        for k, v in puts.items():
            f.write("%s\t%s\n" % (k, v))
    with open("d%d.tsv" % t, "w") as f:
        for k in dels:
            f.write("%s\t\n" % k)
    # one source: the deletes first, then the puts (newer)
    for k in dels:
        model[k] = None
    for k, v in puts.items():
        model[k] = v
keys = ["k%04d" % r.randrange(1600) for _ in range(20000)]
with open("q", "w") as q, open("want", "w") as w, open("wantmiss", "w") as m:
    for k in keys:
        q.write(k + "\n")
        if model.get(k) is not None:
            w.write("%s\t%s\n" % (k, model[k]))
        else:
            m.write(k + "\n")
EOF
	# sources: a store of tables 0..2 (deletes and puts, compacted), then
	# plain tables 3..5
	for t in 0 1 2; do
		sst-build -q --delete -b 512 --into st "d$t.tsv"
		sst-build -q -b 512 --into st "p$t.tsv"
	done
	sst-merge -q --compact st 2>/dev/null
	sst-build -q -b 512 --into st p2.tsv	# again: a table on top of the compacted one
	for t in 3 4 5; do
		sst-build -q --delete -b 512 -o "s$t.sst" "d$t.tsv"
		sst-build -q -b 512 -o "s${t}p.sst" "p$t.tsv"
	done
	srcs="st s3.sst s3p.sst s4.sst s4p.sst s5.sst s5p.sst"
	sst-get $srcs <q >out && rc=0 || rc=$?
	[ "$rc" -eq 1 ]
	same out want
	sst-get --missing $srcs <q >miss && rc=0 || rc=$?
	[ "$rc" -eq 1 ]
	same miss wantmiss
	# the same through a pipe in pieces (answers at every idle point)
	{ head -n 7000 q; sleep 0.3; tail -n +7001 q; } | sst-get $srcs >out2 || true
	same out2 want
}
