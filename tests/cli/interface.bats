#!/usr/bin/env bats
# interface.bats - what a user sees around the data: sst-get --missing and
# its hints, the hint for a terminal on stdin, sst-dump -f cdb for cdbmake,
# --progress into a log, sst-info --json keys, sst-merge's usage.

load common

setup() {
	common_setup
	printf 'apple\tred\nbanana\tyellow\ncherry\tdark red\n' >fruit.tsv
	sst-build -q -o fruit.sst fruit.tsv
}

# --- sst-get --missing ---

@test "get --missing: the keys not found, one a line, in the order asked (-k and stdin)" {
	run --separate-stderr sst-get --missing -k kiwi -k apple -k fig -k kiwi fruit.sst
	[ "$status" -eq 1 ]
	[ "$output" = "$(printf 'kiwi\nfig\nkiwi')" ]
	[ -z "$stderr" ]
	run --separate-stderr sst-get --missing fruit.sst < <(printf 'banana\nzz\napple\naa\n')
	[ "$status" -eq 1 ]
	[ "$output" = "$(printf 'zz\naa')" ]
	# all found: nothing printed, exit 0
	run --separate-stderr sst-get --missing -k apple -k cherry fruit.sst
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run --separate-stderr sst-get --missing fruit.sst </dev/null
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "get --missing: a deleted key is missing; later sources win" {
	echo banana | sst-build -q --delete -o del.sst
	run sst-get --missing -k banana -k apple fruit.sst del.sst
	[ "$status" -eq 1 ]
	[ "$output" = banana ]
	run sst-get --missing -k banana del.sst fruit.sst
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "get --missing -e: keys written with escapes; without -e a key with LF is refused" {
	run --separate-stderr sst-get --missing -e -k 'a\tb' -k 'new\nline' -k 'apple' fruit.sst
	[ "$status" -eq 1 ]
	[ "$output" = "$(printf 'a\\tb\nnew\\nline')" ]
	printf 'x\\\\y\nbanana\n' >keys
	run --separate-stderr sst-get --missing -e fruit.sst <keys
	[ "$status" -eq 1 ]
	[ "$output" = 'x\\y' ]
	# the output reads back as the same keys
	sst-get --missing -e fruit.sst <keys | sst-get --missing -e fruit.sst >again || true
	[ "$(cat again)" = 'x\\y' ]
	run --separate-stderr sst-get --missing -k "$(printf 'two\nlines')" fruit.sst
	[ "$status" -eq 3 ]
	check_err sst-get 'holds a LF.*-e'
	[ -z "$output" ]
}

@test "get: keys on stdin ending in CR that were not found: one hint on stderr" {
	run --separate-stderr sst-get fruit.sst < <(printf 'apple\r\nbanana\r\ncherry\n')
	[ "$status" -eq 1 ]
	[ "$output" = "$(printf 'cherry\tdark red')" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ "$stderr" = "sst-get: -: keys end in CR (a CRLF file?); nothing found for 2 of them" ]
	run --separate-stderr sst-get --missing fruit.sst < <(printf 'apple\r\n')
	[ "$status" -eq 1 ]
	[ "$output" = "$(printf 'apple\r')" ]
	[ "$stderr" = "sst-get: -: keys end in CR (a CRLF file?); nothing found for 1 of them" ]
	# a key that truly ends in CR and is found: no hint
	printf 'crkey\r\tv\n' | sst-build -q -o cr.sst
	run --separate-stderr sst-get cr.sst < <(printf 'crkey\r\n')
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	# -k keys are as given: no hint
	run --separate-stderr sst-get -k "$(printf 'apple\r')" fruit.sst
	[ "$status" -eq 1 ]
	[ -z "$stderr" ]
}

# --- a terminal on stdin ---

# on_tty CMD: runs CMD (a shell command line) with stdin a pseudo-terminal
# at end of input (Ctrl-D); prints its stderr.
on_tty() {
	python3 - "$1" <<'EOF'
import os, pty, subprocess, sys
m, s = pty.openpty()
p = subprocess.Popen(["sh", "-c", sys.argv[1]], stdin=s, stdout=subprocess.DEVNULL,
                     stderr=subprocess.PIPE)
os.close(s)
os.write(m, b"\x04")  # Ctrl-D on an empty line: end of input
err = p.communicate(timeout=60)[1]
os.close(m)
sys.stdout.buffer.write(err)
print("status", p.returncode)
EOF
}

@test "terminal on stdin: sst-build, wal-append, sst-sample and sst-get say once what they read" {
	run on_tty "sst-build -q -o t.sst"
	[ "${lines[0]}" = "sst-build: reading records from the terminal (tsv: KEY<TAB>VALUE per line; end with Ctrl-D)" ]
	[ "${lines[1]}" = "status 0" ]
	run on_tty "sst-build -q -f cdb -o t.sst -"
	[ "${lines[0]}" = "sst-build: reading records from the terminal (cdb: +KLEN,VLEN:KEY->VALUE per record; end with Ctrl-D)" ]
	run on_tty "wal-append w.wal"
	[ "${lines[0]}" = "wal-append: reading records from the terminal (tsv: KEY<TAB>VALUE per line; end with Ctrl-D)" ]
	[ "${#lines[@]}" -eq 2 ]
	run on_tty "sst-get fruit.sst"
	[ "${lines[0]}" = "sst-get: reading keys from the terminal (one a line; end with Ctrl-D)" ]
	[ "${lines[1]}" = "status 0" ]
	run on_tty "sst-sample -n 5 >/dev/null"
	[ "${lines[0]}" = "sst-sample: reading records from the terminal (tsv: KEY<TAB>VALUE per line; end with Ctrl-D)" ]
	# not when the records come from a file, nor from a pipe
	run on_tty "sst-build -q -o t2.sst fruit.tsv; sst-get -k apple fruit.sst"
	[ "${lines[0]}" = "status 0" ]
	run --separate-stderr sst-get fruit.sst </dev/null
	[ -z "$stderr" ]
}

@test "terminal on stdin: the same with script(1)" {
	need_cmd script
	script -qec "sst-get fruit.sst </dev/tty 2>err; echo status \$?" /dev/null </dev/null >out || true
	grep -qx 'sst-get: reading keys from the terminal (one a line; end with Ctrl-D)' err
}

# --- sst-dump -f cdb for cdbmake ---

@test "dump -f cdb: ends with cdbmake's empty line; tinycdb's cdb -c takes it" {
	need_cmd cdb
	python3 -c '
import random
r = random.Random(5)
for i in range(2000):
    print("key%05d\t%s" % (i, "".join(r.choice("abc xyz") for _ in range(r.randint(0, 40)))))' >in.tsv
	sst-build -q -o t.sst in.tsv
	sst-dump -f cdb t.sst >out.txt
	[ "$(tail -c 2 out.txt | od -An -c | tr -d ' ')" = '\n\n' ]
	sst-dump -f cdb t.sst | cdb -c out.cdb
	[ "$(cdb -q out.cdb key00000)" = "$(sst-get -k key00000 t.sst)" ]
	[ "$(cdb -q out.cdb key01999)" = "$(sst-get -k key01999 t.sst)" ]
	# the whole database dumped back by tinycdb is the same text, byte for byte
	cdb -d out.cdb | cmp - out.txt
	# and sstkit reads its own output back
	sst-dump -f cdb t.sst | sst-build -q -f cdb -o t2.sst
	cmp <(sst-dump t.sst) <(sst-dump t2.sst)
	# an empty selection is the closing line alone, still a valid cdbmake input
	sst-dump -f cdb --prefix nothing t.sst >empty.txt
	[ "$(od -An -c empty.txt | tr -d ' ')" = '\n' ]
	cdb -c e.cdb <empty.txt
}

@test "dump --tombstones: no closing line, so dumps concatenate into one stream" {
	printf '+1,1:a->1\n-1:b\n' >in.cdb
	sst-build -q -f cdb -o t.sst in.cdb
	sst-dump --tombstones t.sst >out
	cmp out in.cdb
	cat out out | sst-build -q -f cdb -o t2.sst
	cmp <(sst-dump --tombstones t2.sst) in.cdb
}

# --- --progress into a file or pipe ---

@test "--progress into a file: whole LF lines, never a CR, a final line (build, merge, replay)" {
	awk 'BEGIN { for (i = 0; i < 50000; i++) printf "k%07d\tv%d\n", i, i }' >big.tsv
	sst-build --progress -o big.sst big.tsv 2>log
	[ -s log ]
	! grep -q $'\r' log
	[ "$(tail -c 1 log | od -An -c | tr -d ' ')" = '\n' ]
	grep -q '^sst-build: [a-z]*  [0-9.KM]* records' log
	# into a pipe the same
	sst-build --progress -o big2.sst big.tsv 2>&1 >/dev/null | cat >log2
	! grep -q $'\r' log2
	grep -q '^sst-build: ' log2
	sst-merge --progress -o m.sst big.sst big2.sst 2>log3
	! grep -q $'\r' log3
	[ -z "$(cat log3)" ] || [ "$(tail -c 1 log3 | od -An -c | tr -d ' ')" = '\n' ]
	sst-dump -f cdb big.sst | wal-append -f cdb w.wal
	wal-replay --progress -o r.sst w.wal 2>log4
	! grep -q $'\r' log4
	[ -z "$(cat log4)" ] || [ "$(tail -c 1 log4 | od -An -c | tr -d ' ')" = '\n' ]
}

@test "--progress on a terminal: one line redrawn with CR, erased at the end" {
	awk 'BEGIN { for (i = 0; i < 20000; i++) printf "k%07d\tv%d\n", i, i }' >big.tsv
	python3 - <<'EOF'
import os, pty, subprocess
m, s = pty.openpty()
p = subprocess.Popen(["sst-build", "--progress", "-o", "t.sst", "big.tsv"],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=s)
os.close(s)
out = b""
while True:
    try:
        b = os.read(m, 4096)
    except OSError:
        break
    if not b:
        break
    out += b
p.wait()
assert p.returncode == 0, p.returncode
assert b"\r" in out, out
assert b"\n" not in out.replace(b"\r\n", b""), out
EOF
}

# --- sst-info --json ---

@test "info --json: UTF-8 keys as their characters, others still valid JSON, exact *_hex" {
	printf 'caf\xc3\xa9\t1\n\xe6\x97\xa5\xe6\x9c\xac\t2\n' | sst-build -q -o u.sst
	sst-info --json u.sst >u.json
	python3 - <<'EOF'
import json
d = json.load(open("u.json", encoding="utf-8"))
assert d["smallest_key"] == "caf\u00e9", d["smallest_key"]
assert d["largest_key"] == "\u65e5\u672c", d["largest_key"]
assert bytes.fromhex(d["smallest_key_hex"]) == "café".encode()
EOF
}

@test "info --json: random binary keys always give valid UTF-8 JSON with exact hex (table and store)" {
	python3 - <<'EOF'
import random, subprocess, json
r = random.Random(12)
alpha = [bytes([b]) for b in range(256)] + ["é".encode(), "日".encode(), "\U0001f600".encode(),
         b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80", b"\xe2\x82"]
for trial in range(40):
    keys = set()
    while len(keys) < 5:
        keys.add(b"".join(r.choice(alpha) for _ in range(r.randint(1, 8))))
    data = b"".join(b"+%d,1:%s->v\n" % (len(k), k) for k in keys)
    subprocess.run(["sst-build", "-q", "-f", "cdb", "-o", "r.sst"], input=data, check=True)
    out = subprocess.run(["sst-info", "--json", "r.sst"], capture_output=True, check=True).stdout
    d = json.loads(out.decode("utf-8"))  # strict: fails on invalid UTF-8
    assert bytes.fromhex(d["smallest_key_hex"]) == min(keys)
    assert bytes.fromhex(d["largest_key_hex"]) == max(keys)
    for f in ("smallest_key", "largest_key"):
        k = bytes.fromhex(d[f + "_hex"])
        try:
            want = k.decode("utf-8")
        except UnicodeDecodeError:
            want = None
        if want is not None:
            assert d[f] == want, (d[f], want)
        else:
            assert "\ufffd" in d[f]
    # the plain text form: one line per key
    txt = subprocess.run(["sst-info", "r.sst"], capture_output=True, check=True).stdout
    assert len(txt.splitlines()) == txt.count(b"\n") == 15, txt
subprocess.run(["sst-build", "-q", "-f", "cdb", "--into", "st"], input=data, check=True)
out = subprocess.run(["sst-info", "--json", "st"], capture_output=True, check=True).stdout
d = json.loads(out.decode("utf-8"))
t = d["tables"][-1]
assert bytes.fromhex(t["smallest_hex"]) == min(keys) and bytes.fromhex(t["largest_hex"]) == max(keys)
EOF
}

# --- sst-merge's usage ---

@test "merge: --help starts with 'Usage:'; a bad option is getopt's message and the hint" {
	run --separate-stderr sst-merge --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "Usage: sst-merge "* ]]
	for t in sst-build sst-get sst-dump sst-info sst-verify sst-merge wal-append wal-replay sst-sample; do
		run --separate-stderr "$t" --help
		[[ "${lines[0]}" == "Usage: $t "* ]] || fail "$t: ${lines[0]}"
		run --separate-stderr "$t" --no-such-option
		[ "$status" -eq 2 ] || fail "$t: exit $status"
		[ "${#stderr_lines[@]}" -eq 2 ] || fail "$t: $stderr"
		[[ "${stderr_lines[0]}" == "$t: unrecognized option '--no-such-option'" ]] || fail "$t: ${stderr_lines[0]}"
		[ "${stderr_lines[1]}" = "Try '$t --help' for more information." ] || fail "$t: ${stderr_lines[1]}"
	done
}
