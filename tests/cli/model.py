#!/usr/bin/env python3
"""model.py - the reference model of the sst-* bats suite (python3 stdlib).

A tiny latest-wins model of the record formats and of what sst-get and
sst-dump must answer, plus the generators and drivers the bats files use:

  gen SEED N DIR            random binary records (duplicates, deletes,
                            keys that are prefixes of each other, 0x00/0xFF,
                            TAB/LF inside) as DIR/all.cdb, DIR/piece-*.cdb and
                            -e tsv phases DIR/phase-NN-{put,del}.tsv
  check SEED MODEL.cdb [--light] SRC...  run sst-dump/sst-get (from $SST_BIN)
                            on the sources and compare with the model of
                            MODEL.cdb (--light: full dumps and batches only)
  expect-e IN.tsv... -- GOT.tsv   GOT (an -e tsv dump) equals latest-wins of
                            the -e tsv inputs, in key order
  debpkg                    Debian Packages text (stdin) to -e tsv (stdout):
                            key "NAME VERSION", value the stanza
  biggen PATH               the external-sort input (256 MiB of tsv)
  bigcheck DUMP             check sst-dump's output of the biggen table
  cpio OUT FILE...          write a newc cpio archive (no cpio(1) needed)
  damage TABLE KEYS OUT [STRIDE [flip|cut]]  damage TABLE at each offset in
                            turn and check the tools
  sample-check COUNT SAMPLE SHARD.cdb...  SAMPLE (sst-sample's output for
                            the shards) has at most COUNT strictly increasing
                            keys of the shards, BYTES summing to their key
                            and value bytes
  split-check MODEL.cdb SPLITS MAXPARTS PART.cdb...  SPLITS is a valid split
                            file of at most MAXPARTS-1 keys, and each PART
                            (a --tombstones cdb dump, in part order) holds
                            exactly latest-wins of MODEL.cdb in its range
"""

import os
import random
import re
import subprocess
import sys

ESC_OUT = {0x5c: b'\\\\', 0x09: b'\\t', 0x0a: b'\\n', 0x0d: b'\\r', 0x00: b'\\0'}
ESC_IN = {ord('\\'): 0x5c, ord('t'): 0x09, ord('n'): 0x0a, ord('r'): 0x0d, ord('0'): 0x00}


def die(msg):
    sys.stderr.write('model.py: %s\n' % msg)
    sys.exit(2)


# ---- record formats ------------------------------------------------------

NEED_ESC = bytes([c for c in range(256)
                  if c in ESC_OUT or c == 0x7f or (c >= 0x80 and c % 3 == 0)])
NEED_ESC_RE = re.compile(b'[' + b''.join(b'\\x%02x' % c for c in NEED_ESC) + b']')
UNESC_RE = re.compile(rb'\\(x[0-9a-fA-F]{2}|[\\tnr0])|\\')


def esc_byte(c):
    if c in ESC_OUT:
        return ESC_OUT[c]
    if c == 0x7f:
        return b'\\x7F'
    return b'\\x%02x' % c	# exercise \xHH (mixed case above)


ESC_TABLE = {bytes([c]): esc_byte(c) for c in NEED_ESC}


def esc(b):
    return NEED_ESC_RE.sub(lambda m: ESC_TABLE[m.group(0)], b)


def unesc(b, where):
    if b'\\' not in b:
        return b

    def rep(m):
        g = m.group(1)
        if g is None:
            raise ValueError('%s: bad escape %r' % (where, m.string[m.start():m.start() + 2]))
        if g[0:1] == b'x':
            return bytes([int(g[1:], 16)])
        return bytes([ESC_IN[g[0]]])
    return UNESC_RE.sub(rep, b)


def cdb_put(k, v):
    return b'+%d,%d:%s->%s\n' % (len(k), len(v), k, v)


def cdb_del(k):
    return b'-%d:%s\n' % (len(k), k)


def cdb_rec(r):
    kind, k, v = r
    return cdb_put(k, v) if kind == '+' else cdb_del(k)


def parse_cdb(data, where='cdb'):
    """Returns [(kind, key, value)]; strict."""
    recs = []
    i = 0
    n = len(data)
    while i < n:
        c = data[i:i + 1]
        if c == b'\n' and i + 1 == n:
            break
        if c == b'+':
            comma = data.index(b',', i)
            colon = data.index(b':', comma)
            kl = int(data[i + 1:comma])
            vl = int(data[comma + 1:colon])
            k = data[colon + 1:colon + 1 + kl]
            p = colon + 1 + kl
            if data[p:p + 2] != b'->':
                raise ValueError('%s@%d: want ->' % (where, i))
            v = data[p + 2:p + 2 + vl]
            p += 2 + vl
            if data[p:p + 1] != b'\n' or len(v) != vl or len(k) != kl:
                raise ValueError('%s@%d: bad put' % (where, i))
            recs.append(('+', k, v))
            i = p + 1
        elif c == b'-':
            colon = data.index(b':', i)
            kl = int(data[i + 1:colon])
            k = data[colon + 1:colon + 1 + kl]
            p = colon + 1 + kl
            if data[p:p + 1] != b'\n' or len(k) != kl:
                raise ValueError('%s@%d: bad delete' % (where, i))
            recs.append(('-', k, b''))
            i = p + 1
        else:
            raise ValueError('%s@%d: unexpected byte %r' % (where, i, c))
    return recs


def parse_tsv(data, escape, where='tsv', delete=False):
    recs = []
    lines = data.split(b'\n')
    if lines and lines[-1] == b'':
        lines.pop()
    for no, line in enumerate(lines, 1):
        k, sep, v = line.partition(b'\t')
        if escape:
            k = unesc(k, '%s:%d' % (where, no))
            v = unesc(v, '%s:%d' % (where, no))
        if not k:
            raise ValueError('%s:%d: empty key' % (where, no))
        recs.append(('-', k, b'') if delete else ('+', k, v))
    return recs


def latest(recs):
    """key -> (kind, value), later wins."""
    m = {}
    for kind, k, v in recs:
        m[k] = (kind, v)
    return m


def live(m):
    return [(k, m[k][1]) for k in sorted(m) if m[k][0] == '+']


# ---- gen -----------------------------------------------------------------

ALPHA = bytes([0x00, 0x01, 0x09, 0x0a, 0x0d, 0x5c, 0x61, 0x62, 0x63, 0x7f, 0x80, 0xfe, 0xff])


def rand_key(rng, keys):
    if keys and rng.random() < 0.3:
        base = rng.choice(keys)
        r = rng.random()
        if r < 0.4 and len(base) > 1:
            return base[:rng.randint(1, len(base) - 1)]	# a prefix of a key
        return base + bytes(rng.choice(ALPHA) for _ in range(rng.randint(1, 3)))
    n = rng.choice([1, 1, 2, 2, 3, 3, 4, 5, 6, 8]) if rng.random() > 0.02 else rng.randint(100, 400)
    return bytes(rng.choice(ALPHA) for _ in range(n))


def rand_value(rng):
    r = rng.random()
    if r < 0.1:
        n = 0
    elif r < 0.7:
        n = rng.randint(1, 20)
    elif r < 0.97:
        n = rng.randint(20, 200)
    else:
        n = rng.randint(2000, 9000)
    if rng.random() < 0.5:
        return bytes(rng.choice(ALPHA) for _ in range(n))
    return rng.randbytes(n)


def cmd_gen(seed, n, d):
    rng = random.Random(int(seed))
    n = int(n)
    keys = []
    recs = []
    # phases of puts and deletes, so the -e tsv form (no deletes in tsv
    # except with --delete) carries the same stream as the cdb form
    nphase = rng.randint(6, 12)
    cuts = sorted(rng.sample(range(1, n), nphase - 1))
    bounds = [0] + cuts + [n]
    phases = []
    for p in range(nphase):
        kind = '+' if p % 2 == 0 or rng.random() < 0.3 else '-'
        if p == 0:
            kind = '+'
        cnt = bounds[p + 1] - bounds[p]
        if kind == '-':
            cnt = max(1, cnt // 3)
        phase = []
        for _ in range(cnt):
            if kind == '-' or (keys and rng.random() < 0.35):
                k = rng.choice(keys) if keys and rng.random() < 0.85 else rand_key(rng, keys)
            else:
                k = rand_key(rng, keys)
            if len(keys) < 5000:
                keys.append(k)
            phase.append((kind, k, b'' if kind == '-' else rand_value(rng)))
        phases.append((kind, phase))
        recs += phase
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'all.cdb'), 'wb') as f:
        f.write(b''.join(cdb_rec(r) for r in recs))
        if rng.random() < 0.5:
            f.write(b'\n')	# the optional terminating empty line
    npieces = rng.randint(2, 5)
    pc = sorted(rng.sample(range(1, len(recs)), npieces - 1))
    pb = [0] + pc + [len(recs)]
    for i in range(npieces):
        with open(os.path.join(d, 'piece-%02d.cdb' % i), 'wb') as f:
            f.write(b''.join(cdb_rec(r) for r in recs[pb[i]:pb[i + 1]]))
    for i, (kind, phase) in enumerate(phases):
        name = 'phase-%02d-%s.tsv' % (i, 'put' if kind == '+' else 'del')
        with open(os.path.join(d, name), 'wb') as f:
            lines = []
            for _, k, v in phase:
                if kind == '-':
                    # the value of a --delete line is ignored: write junk
                    lines.append(esc(k) + (b'\tignored\\t' if rng.random() < 0.5 else b''))
                elif v == b'' and rng.random() < 0.5:
                    lines.append(esc(k))	# no TAB: empty value
                else:
                    lines.append(esc(k) + b'\t' + esc(v))
            data = b'\n'.join(lines)
            if rng.random() < 0.7:
                data += b'\n'	# else the last line lacks its LF
            f.write(data)


# ---- check ---------------------------------------------------------------

class Checker:
    def __init__(self, seed, model_cdb, sources, light=False):
        self.light = light
        self.rng = random.Random(int(seed) * 7919 + 1)
        self.bin = os.environ.get('SST_BIN', '')
        with open(model_cdb, 'rb') as f:
            self.m = latest(parse_cdb(f.read(), model_cdb))
        self.keys = sorted(self.m)
        self.sources = sources
        self.failures = 0
        self.runs = 0

    def tool(self, name, args, stdin=b''):
        self.runs += 1
        p = subprocess.run([os.path.join(self.bin, name)] + args + self.sources,
                           input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=120)
        return p.returncode, p.stdout, p.stderr

    def fail(self, what, detail):
        self.failures += 1
        if self.failures <= 12:
            sys.stderr.write('MISMATCH %s: %s\n' % (what, detail))

    def expect(self, what, args, want_out, want_rc=0, stdin=b''):
        rc, out, err = self.tool(what, args, stdin)
        label = '%s %r (sources %s)' % (what, args, ' '.join(self.sources))
        if rc != want_rc:
            self.fail(label, 'exit %d, want %d; stderr %r' % (rc, want_rc, err[:300]))
            return None
        if want_out is not None and out != want_out:
            self.fail(label, 'stdout differs: got %d bytes %r..., want %d bytes %r...'
                      % (len(out), out[:120], len(want_out), want_out[:120]))
            return None
        return out

    def sel(self, lo=None, hi=None, prefix=None, tomb=False):
        r = []
        for k in self.keys:
            if prefix is not None and not k.startswith(prefix):
                continue
            if lo is not None and k < lo:
                continue
            if hi is not None and k >= hi:
                continue
            kind, v = self.m[k]
            if kind == '+':
                r.append(cdb_put(k, v))
            elif tomb:
                r.append(cdb_del(k))
        return r

    def argkey(self):
        """A key-ish argument without NUL (argv cannot carry NUL)."""
        r = self.rng.random()
        if r < 0.6 and self.keys:
            k = self.rng.choice(self.keys)
            if r < 0.3:
                k = k[:self.rng.randint(1, len(k))]
        else:
            k = bytes(self.rng.choice(ALPHA) for _ in range(self.rng.randint(1, 3)))
        k = k.split(b'\0')[0]
        return k if k else b'a'

    def run(self):
        # full scans
        # -f cdb ends with cdbmake's closing empty line (not after --tombstones)
        self.expect('sst-dump', ['-f', 'cdb'], b''.join(self.sel()) + b'\n')
        self.expect('sst-dump', ['--tombstones', '-f', 'cdb'], b''.join(self.sel(tomb=True)))
        self.expect('sst-dump', ['--count'], b'%d\n' % len(self.sel()))
        out = self.expect('sst-dump', ['-e'], None)
        if out is not None:
            try:
                got = [(k, v) for _, k, v in parse_tsv(out, True, 'sst-dump -e')]
            except ValueError as e:
                self.fail('sst-dump -e', 'unparsable output: %s' % e)
            else:
                if got != live(self.m):
                    self.fail('sst-dump -e', 'decoded records differ from the model')
        if self.light:
            return self.batch()
        lv = live(self.m)
        plain_ok = all(b'\t' not in k and b'\n' not in k and b'\n' not in v for k, v in lv)
        rc, out, err = self.tool('sst-dump', [])
        if plain_ok:
            want = b''.join(k + b'\t' + v + b'\n' for k, v in lv)
            if rc != 0 or out != want:
                self.fail('sst-dump (plain tsv)', 'exit %d, %d bytes, want 0, %d bytes'
                          % (rc, len(out), len(want)))
        elif rc != 3 or b'-e' not in err or b'cdb' not in err:
            self.fail('sst-dump (plain tsv of uncarriable records)',
                      'exit %d stderr %r; want exit 3 and a message naming -e and -f cdb'
                      % (rc, err[:200]))
        # prefixes, ranges, counts
        for _ in range(6):
            p = self.argkey()
            want = self.sel(prefix=p)
            self.expect('sst-dump', ['--prefix', p, '-f', 'cdb'], b''.join(want) + b'\n')
            self.expect('sst-dump', ['--prefix', p, '--count'], b'%d\n' % len(want))
            self.expect('sst-dump', ['--prefix', p, '--tombstones', '-f', 'cdb'],
                        b''.join(self.sel(prefix=p, tomb=True)))
        for i in range(8):
            a, b = self.argkey(), self.argkey()
            if i % 4 == 0:
                want = self.sel(lo=a)
                args = ['--from', a]
            elif i % 4 == 1:
                want = self.sel(hi=b)
                args = ['--to', b]
            else:
                want = self.sel(lo=a, hi=b)
                args = ['--from', a, '--to', b]
            self.expect('sst-dump', args + ['-f', 'cdb'], b''.join(want) + b'\n')
            self.expect('sst-dump', args + ['--count'], b'%d\n' % len(want))
        # point lookups with -k (keys without NUL; values without LF)
        cand = [k for k in self.keys if b'\0' not in k and b'\n' not in self.m[k][1]]
        for _ in range(4):
            ks = [self.rng.choice(cand) for _ in range(self.rng.randint(1, 6))] if cand else []
            if self.rng.random() < 0.5:
                ks.append(b'absent\xfe\xfe\x01')
            if not ks:
                continue
            want = b''.join(self.m[k][1] + b'\n' for k in ks if k in self.m and self.m[k][0] == '+')
            miss = any(not (k in self.m and self.m[k][0] == '+') for k in ks)
            args = []
            for k in ks:
                args += ['-k', k]
            self.expect('sst-get', args, want, 1 if miss else 0)
        return self.batch()

    def batch(self):
        # batch lookups: -e keys on stdin, in input order, duplicates kept
        qs = []
        for _ in range(300):
            r = self.rng.random()
            if r < 0.6 and self.keys:
                qs.append(self.rng.choice(self.keys))
            elif r < 0.8 and self.keys:
                k = self.rng.choice(self.keys)
                qs.append(k + b'\x00' if r < 0.7 else k[:-1] or b'\xff\xff')
            else:
                qs.append(bytes(self.rng.choice(ALPHA) for _ in range(self.rng.randint(1, 4))))
        found = [(k, self.m[k][1]) for k in qs if k in self.m and self.m[k][0] == '+']
        miss = len(found) != len(qs)
        stdin = b''.join(esc(k) + b'\n' for k in qs)
        self.expect('sst-get', ['-e', '-f', 'cdb'], b''.join(cdb_put(k, v) for k, v in found),
                    1 if miss else 0, stdin)
        out = self.expect('sst-get', ['-e'], None, 1 if miss else 0, stdin)
        if out is not None:
            try:
                got = [(k, v) for _, k, v in parse_tsv(out, True, 'sst-get -e')]
            except ValueError as e:
                self.fail('sst-get -e', 'unparsable output: %s' % e)
            else:
                if got != found:
                    self.fail('sst-get -e (batch)', 'decoded records differ from the model')
        # plain batch: keys that a plain line can carry
        pq = [k for k in qs if b'\n' not in k and b'\t' not in k and b'\\' not in k][:100]
        pf = [(k, self.m[k][1]) for k in pq if k in self.m and self.m[k][0] == '+']
        self.expect('sst-get', ['-f', 'cdb'], b''.join(cdb_put(k, v) for k, v in pf),
                    1 if len(pf) != len(pq) else 0, b''.join(k + b'\n' for k in pq))
        return self.failures


def cmd_check(seed, model_cdb, *sources):
    light = sources and sources[0] == '--light'
    if light:
        sources = sources[1:]
    c = Checker(seed, model_cdb, list(sources), light)
    f = c.run()
    sys.stderr.write('check: %d tool runs, %d mismatches, %d keys in model\n'
                     % (c.runs, f, len(c.keys)))
    sys.exit(1 if f else 0)


# ---- expect-e ------------------------------------------------------------

def cmd_expect_e(*args):
    if '--' not in args:
        die('expect-e IN... -- GOT')
    i = args.index('--')
    ins, got = args[:i], args[i + 1]
    recs = []
    for p in ins:
        with open(p, 'rb') as f:
            recs += parse_tsv(f.read(), True, p)
    want = live(latest(recs))
    with open(got, 'rb') as f:
        have = [(k, v) for _, k, v in parse_tsv(f.read(), True, got)]
    if have != want:
        for j, (a, b) in enumerate(zip(have, want)):
            if a != b:
                die('record %d differs: got %r, want %r' % (j, a[:1], b[:1]))
        die('got %d records, want %d' % (len(have), len(want)))
    print(len(want))


# ---- debpkg --------------------------------------------------------------

def cmd_debpkg():
    data = sys.stdin.buffer.read()
    out = []
    for stanza in data.split(b'\n\n'):
        stanza = stanza.strip(b'\n')
        if not stanza:
            continue
        name = ver = None
        for line in stanza.split(b'\n'):
            if line.startswith(b'Package: '):
                name = line[9:]
            elif line.startswith(b'Version: '):
                ver = line[9:]
        if name is None or ver is None:
            die('stanza without Package/Version')
        out.append(esc(name + b' ' + ver) + b'\t' + esc(stanza + b'\n') + b'\n')
    sys.stdout.buffer.write(b''.join(out))


# ---- external sort -------------------------------------------------------

BIG_M = 1 << 20		# distinct keys
BIG_R = 4		# each key appears once per pass, passes in order
BIG_A = 0x9E3779B1 & (BIG_M - 1) | 1
BIG_PAD = b'p' * 21 + b'0123456789abcdef'


def big_key(p):
    return b'%08x%08x' % (p, (p * 2654435761) & 0xffffffff)


def cmd_biggen(path, m=None, r=None):
    m = int(m) if m else BIG_M
    r = int(r) if r else BIG_R
    with open(path, 'wb') as f:
        step = 8192
        for rr in range(r):
            for base in range(0, m, step):
                f.write(b''.join(b'%s\tv%07d:%s\n' % (big_key((j * BIG_A) & (m - 1)), rr * m + j, BIG_PAD)
                                 for j in range(base, min(m, base + step))))


def cmd_bigcheck(path, m=None, r=None):
    m = int(m) if m else BIG_M
    r = int(r) if r else BIG_R
    inv = pow(BIG_A, -1, m)
    n = 0
    with open(path, 'rb') as f:
        for p, line in enumerate(f):
            j = (p * inv) & (m - 1)
            want = b'%s\tv%07d:%s\n' % (big_key(p), (r - 1) * m + j, BIG_PAD)
            if line != want:
                die('line %d: got %r, want %r' % (p + 1, line[:80], want[:80]))
            n += 1
    if n != m:
        die('got %d records, want %d' % (n, m))
    print(n)


# ---- cpio ----------------------------------------------------------------

def cmd_cpio(out, *files):
    def hdr(name, size, mode, ino):
        name = name.encode() + b'\0'
        h = b'070701' + b''.join(b'%08X' % x for x in (
            ino, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, len(name), 0)) + name
        return h + b'\0' * (-len(h) % 4)
    with open(out, 'wb') as f:
        for i, p in enumerate(files, 1):
            with open(p, 'rb') as g:
                data = g.read()
            f.write(hdr(os.path.basename(p), len(data), 0o100644, i) + data + b'\0' * (-len(data) % 4))
        f.write(hdr('TRAILER!!!', 0, 0, 0))


# ---- damage --------------------------------------------------------------

def cmd_damage(table, keysfile, report, stride='1', mode='flip'):
    """Damages TABLE at every stride-th offset (mode flip: one byte xor'ed;
    mode cut: truncated there) and checks every tool on each copy."""
    from concurrent.futures import ThreadPoolExecutor
    stride = int(stride)
    b = os.environ.get('SST_BIN', '')
    with open(table, 'rb') as f:
        orig = f.read()
    with open(keysfile, 'rb') as f:
        keys = f.read()

    def run(args, stdin=b''):
        try:
            p = subprocess.run([os.path.join(b, args[0])] + args[1:], input=stdin,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        except subprocess.TimeoutExpired:
            return 'hang', b'', b''
        return p.returncode, p.stdout, p.stderr

    ref_dump = run(['sst-dump', '--tombstones', '-f', 'cdb', table])
    ref_get = run(['sst-get', '-e', '-f', 'cdb', table], keys)
    if ref_dump[0] != 0 or ref_get[0] not in (0, 1) or not ref_get[1]:
        die('intact table does not read: %r %r' % (ref_dump[:1], ref_get[:1]))
    d = os.path.join(os.path.dirname(os.path.abspath(report)), 'damaged')
    os.makedirs(d, exist_ok=True)

    def one(off):
        res = {'verify1': 0, 'get_ok': 0, 'get_3': 0, 'dump_ok': 0, 'dump_3': 0, 'problems': []}
        probs = res['problems']
        if mode == 'cut':
            data = orig[:off]
        else:
            data = bytearray(orig)
            data[off] ^= 0x5a if off % 2 else 0x01
        path = os.path.join(d, 'd%06d.sst' % off)
        with open(path, 'wb') as f:
            f.write(data)
        rc, out, err = run(['sst-verify', path])
        if rc == 1:
            res['verify1'] = 1
            if path.encode() not in out + err and os.path.basename(path).encode() not in out + err:
                probs.append('%s %d: sst-verify does not name the file: %r' % (mode, off, (out + err)[:200]))
        else:
            probs.append('%s %d: sst-verify exit %r (want 1) %r' % (mode, off, rc, (out + err)[:200]))
        rc, out, err = run(['sst-get', '-e', '-f', 'cdb', path], keys)
        if rc == ref_get[0] and out == ref_get[1]:
            res['get_ok'] = 1
        elif rc == 3:
            res['get_3'] = 1
            if not err.startswith(b'sst-get: ') or err.count(b'\n') != 1:
                probs.append('%s %d: sst-get stderr not one "sst-get: " line: %r' % (mode, off, err[:200]))
        else:
            probs.append('%s %d: sst-get exit %r, %s; stderr %r'
                         % (mode, off, rc, ('WRONG ANSWER' if rc in (0, 1) and out != ref_get[1] else 'output %s' % ('same' if out == ref_get[1] else 'differs')), err[:200]))
        rc, out, err = run(['sst-dump', '--tombstones', '-f', 'cdb', path])
        if rc == 0 and out == ref_dump[1]:
            res['dump_ok'] = 1
        elif rc == 3:
            res['dump_3'] = 1
        else:
            probs.append('%s %d: sst-dump exit %r, %s; stderr %r'
                         % (mode, off, rc, ('WRONG ANSWER' if rc == 0 and out != ref_dump[1] else 'output %s' % ('same' if out == ref_dump[1] else 'differs')), err[:200]))
        if off % 7 == 0:
            rc, out, err = run(['sst-info', '--json', path])
            if rc not in (0, 3):
                probs.append('%s %d: sst-info exit %r; stderr %r' % (mode, off, rc, err[:200]))
        os.unlink(path)
        return res

    offs = list(range(0, len(orig), stride))
    with ThreadPoolExecutor(max_workers=2) as ex:
        results = list(ex.map(one, offs))
    n = len(results)
    tot = {k: sum(r[k] for r in results) for k in ('verify1', 'get_ok', 'get_3', 'dump_ok', 'dump_3')}
    problems = [p for r in results for p in r['problems']]
    with open(report, 'w') as f:
        f.write('%s: table %d bytes, %d damaged copies (stride %d)\n' % (mode, len(orig), n, stride))
        f.write('sst-verify detected %d/%d (%.1f%%)\n' % (tot['verify1'], n, 100.0 * tot['verify1'] / n))
        f.write('sst-get: right answer %d, exit 3 %d\n' % (tot['get_ok'], tot['get_3']))
        f.write('sst-dump: right answer %d, exit 3 %d\n' % (tot['dump_ok'], tot['dump_3']))
        f.write('problems: %d\n' % len(problems))
        for p in problems[:40]:
            f.write(p + '\n')
    sys.exit(1 if problems else 0)


# ---- json and table helpers ----------------------------------------------

def cmd_jfind(path, regex):
    """Prints 'PATH=VALUE' for every JSON member whose dotted path matches."""
    import json
    import re
    with open(path) as f:
        doc = json.load(f)
    rx = re.compile(regex, re.I)
    hits = []

    def walk(o, p):
        if isinstance(o, dict):
            for k, v in o.items():
                q = p + '.' + k if p else k
                if rx.search(q) and not isinstance(v, (dict, list)):
                    hits.append('%s=%s' % (q, v if isinstance(v, str) else json.dumps(v)))
                walk(v, q)
        elif isinstance(o, list):
            for i, v in enumerate(o):
                walk(v, '%s[%d]' % (p, i))
    walk(doc, '')
    print('\n'.join(hits))
    sys.exit(0 if hits else 1)


def read_varint(b, i):
    v = 0
    s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7f) << s
        s += 7
        if c < 0x80:
            return v, i


def block_handles(t, off, ln):
    """The (offset, len) handles held as values of a raw index block."""
    import struct
    if t[off + ln] != 0:
        die('index block at %d not raw' % off)
    blk = t[off:off + ln]
    nrest = struct.unpack('<I', blk[-4:])[0]
    end = len(blk) - 4 - 4 * nrest
    i = 0
    hs = []
    while i < end:
        shared, i = read_varint(blk, i)
        unshared, i = read_varint(blk, i)
        tag, i = read_varint(blk, i)
        i += unshared
        vend = i + (tag >> 1)
        o, j = read_varint(blk, i)
        n, j = read_varint(blk, j)
        hs.append((o, n))
        i = vend
    return hs


def data_handles(t):
    """(offset, len) of every data block: footer -> top-level index ->
    index partitions -> data block handles (formats/sstable.md)."""
    import struct
    ioff, ilen = struct.unpack('<QQ', t[-72:][32:48])
    hs = []
    for po, pl in block_handles(t, ioff, ilen):
        hs += block_handles(t, po, pl)
    return hs


def cmd_blocks(table):
    with open(table, 'rb') as f:
        t = f.read()
    for off, ln in data_handles(t):
        print(off, ln)


def cmd_swapblocks(table, out):
    """Swaps two different data blocks of equal length."""
    with open(table, 'rb') as f:
        t = bytearray(f.read())
    hs = data_handles(t)
    pair = None
    for i in range(len(hs)):
        for j in range(i + 1, len(hs)):
            (a, n), (b, m) = hs[i], hs[j]
            if n == m and t[a:a + n + 9] != t[b:b + n + 9]:
                pair = (a, b, n + 9)
                break
        if pair:
            break
    if pair is None:
        die('no two data blocks of equal length: %r' % hs)
    a, b, n = pair
    t[a:a + n], t[b:b + n] = t[b:b + n], t[a:a + n]
    with open(out, 'wb') as f:
        f.write(t)


def cmd_flip(path, off, mask='1'):
    with open(path, 'r+b') as f:
        off = int(off)
        if off < 0:
            off += os.fstat(f.fileno()).st_size
        f.seek(off)
        c = f.read(1)[0]
        f.seek(off)
        f.write(bytes([c ^ int(mask, 0)]))


# ---- sst-sample and split files --------------------------------------------

def read_lines(path):
    with open(path, 'rb') as f:
        lines = f.read().split(b'\n')
    if lines and lines[-1] == b'':
        lines.pop()
    return lines


def cmd_sample_check(count, sample, *shards):
    recs = []
    for sh in shards:
        with open(sh, 'rb') as f:
            recs += parse_cdb(f.read(), sh)
    keys = set(k for _, k, _ in recs)
    total = sum(len(k) + len(v) for _, k, v in recs)
    got, prev, sum_w = [], None, 0
    for no, line in enumerate(read_lines(sample), 1):
        k, sep, w = line.partition(b'\t')
        k = unesc(k, '%s:%d' % (sample, no))
        if not sep or not w.isdigit():
            die('%s:%d: not KEY<TAB>BYTES: %r' % (sample, no, line))
        if prev is not None and k <= prev:
            die('%s:%d: key not increasing' % (sample, no))
        if k not in keys:
            die('%s:%d: key %r is in no shard' % (sample, no, k))
        prev = k
        sum_w += int(w)
        got.append(k)
    if len(got) > int(count):
        die('%s: %d lines, more than %s' % (sample, len(got), count))
    if sum_w != total:
        die('%s: BYTES sum to %d, the shards hold %d' % (sample, sum_w, total))


def cmd_split_check(model_cdb, splits, maxparts, *parts):
    import bisect
    with open(model_cdb, 'rb') as f:
        m = latest(parse_cdb(f.read(), model_cdb))
    cuts = [unesc(k, '%s:%d' % (splits, no)) for no, k in enumerate(read_lines(splits), 1)]
    if any(a >= b for a, b in zip(cuts, cuts[1:])):
        die('%s: keys not strictly increasing' % splits)
    if len(cuts) > int(maxparts) - 1:
        die('%s: %d keys for at most %s parts' % (splits, len(cuts), maxparts))
    if len(parts) != len(cuts) + 1:
        die('%d parts for %d split keys' % (len(parts), len(cuts)))
    want = [[] for _ in parts]
    for k in sorted(m):
        kind, v = m[k]
        want[bisect.bisect_right(cuts, k)].append((kind, k, v))
    for j, part in enumerate(parts):
        with open(part, 'rb') as f:
            got = parse_cdb(f.read(), part)
        if got != want[j]:
            die('%s: %d records, want %d (first difference at %r)' % (
                part, len(got), len(want[j]),
                next((a for a, b in zip(got, want[j]) if a != b), None)))


def main():
    if len(sys.argv) < 2:
        die(__doc__)
    cmd = sys.argv[1].replace('-', '_')
    fn = globals().get('cmd_' + cmd)
    if fn is None:
        die('unknown command %s' % sys.argv[1])
    fn(*sys.argv[2:])


if __name__ == '__main__':
    main()
