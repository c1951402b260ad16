"""The Python module sstkit (python/sstkit) over this build's libsstkit.so.0.
Run by `make check-python`: /usr/bin/python3 -m pytest tests/python, with
PYTHONPATH=python and SST_BIN=build/bin (the tools it is compared with)."""

import errno
import os
import random
import shutil
import subprocess
import sys
import tempfile
import unittest

import sstkit

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("SST_BIN", os.path.join(ROOT, "build", "bin"))


def tool(name, *args, stdin=b""):
    p = subprocess.run([os.path.join(BIN, name)] + list(args), input=stdin,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    return p.returncode, p.stdout


def parse_cdb(out):
    """Records of cdb-form output (+KLEN,VLEN:KEY->VALUE LF ..., LF)."""
    recs, i = [], 0
    while i < len(out) and out[i:i + 1] == b"+":
        comma = out.index(b",", i)
        colon = out.index(b":", comma)
        kl, vl = int(out[i + 1:comma]), int(out[comma + 1:colon])
        k = out[colon + 1:colon + 1 + kl]
        v = out[colon + 3 + kl:colon + 3 + kl + vl]
        recs.append((k, v))
        i = colon + 3 + kl + vl + 1
    return recs


class Base(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sstkit-py.")
        self.addCleanup(shutil.rmtree, self.dir)

    def path(self, name):
        return os.path.join(self.dir, name)


class TestModule(Base):
    def test_uses_the_library_just_built(self):
        self.assertEqual(os.path.realpath(sstkit.library_path),
                         os.path.realpath(os.path.join(ROOT, "build", "libsstkit.so.0")))

    def test_build_get_in_getitem_later_wins(self):
        p = self.path("f.sst")
        sstkit.build(p, [("pear", "green"), (b"apple", b"green"), ("apple", "red"), ("kiwi", None)])
        with sstkit.open(p) as r:
            self.assertEqual(r.get("apple"), b"red")
            self.assertEqual(r.get(b"pear"), b"green")
            self.assertIsNone(r.get("kiwi"))
            self.assertIsNone(r.get("nope"))
            self.assertIn("pear", r)
            self.assertNotIn(b"kiwi", r)
            self.assertEqual(r["apple"], b"red")
            with self.assertRaises(KeyError):
                r["kiwi"]
            self.assertEqual(r.get_many(["kiwi", "pear", b"apple", "pear", "none"]),
                             [None, b"green", b"red", b"green", None])
            self.assertEqual(r.get_many([]), [])
            info = r.info()
            self.assertEqual(info["type"], "table")
            self.assertEqual(info["records"], 3)  # kiwi's tombstone included
            self.assertEqual(info["deletes"], 1)
        with self.assertRaises(ValueError):
            r.get("apple")  # closed

    def test_binary_keys_and_values(self):
        p = self.path("b.sst")
        recs = {b"\x00": b"nul", b"\xff\xfe": b"\x00\x01\x02", b"a\nb\tc": b"", b"\x80": b"\xc3("}
        sstkit.build(p, list(recs.items()))
        with sstkit.open(p) as r:
            for k, v in recs.items():
                self.assertEqual(r.get(k), v)
            self.assertEqual(list(r.scan()), sorted(recs.items()))
            self.assertEqual(r.info()["smallest_key_hex"], "00")

    def test_scan_bounds(self):
        p = self.path("s.sst")
        sstkit.build(p, [("k%02d" % i, "v%d" % i) for i in range(30)] + [("k15", None)])
        with sstkit.open(p) as r:
            keys = lambda **kw: [k.decode() for k, _ in r.scan(**kw)]
            self.assertEqual(len(keys()), 29)
            self.assertEqual(keys(start="k10", stop="k17"), ["k10", "k11", "k12", "k13", "k14", "k16"])
            self.assertEqual(keys(prefix="k2"), ["k%d" % i for i in range(20, 30)])
            self.assertEqual(keys(prefix="k2", start="k25"), ["k25", "k26", "k27", "k28", "k29"])
            self.assertEqual(keys(stop="k02"), ["k00", "k01"])
            self.assertEqual(keys(prefix="x"), [])
            it = r.scan()
            self.assertEqual(next(it), (b"k00", b"v0"))
        with self.assertRaises(ValueError):
            next(it)  # the reader was closed under it: an error, no crash

    def test_deletes_across_sources(self):
        old, new = self.path("old.sst"), self.path("new.sst")
        sstkit.build(old, [("a", "1"), ("b", "2"), ("c", "3")])
        sstkit.build(new, [("b", None), ("c", "33"), ("d", "4")])
        with sstkit.open(old, new) as r:
            self.assertEqual(list(r.scan()), [(b"a", b"1"), (b"c", b"33"), (b"d", b"4")])
            self.assertIsNone(r.get("b"))
            self.assertEqual(r.get_many(["b", "c"]), [None, b"33"])
            self.assertEqual([i["file"] for i in r.info()], [old, new])
        with sstkit.open(new, old) as r:  # old is newer now
            self.assertEqual(r.get("b"), b"2")

    def test_open_takes_a_list_of_paths(self):
        old, new = self.path("old.sst"), self.path("new.sst")
        sstkit.build(old, [("a", "1"), ("b", "2")])
        sstkit.build(new, [("a", None), ("b", "22")])
        for paths in ([old, new], (old, new)):
            with sstkit.open(paths) as r:
                self.assertEqual(list(r.scan()), [(b"b", b"22")])
        with sstkit.open([new, old]) as r:
            self.assertEqual(r.get("a"), b"1")
        with self.assertRaises(TypeError):
            sstkit.open([])

    def test_bad_records_are_data_errors(self):
        # sst-build exits 3 for them: DataError, and a ValueError as well
        p = self.path("r.sst")
        for key in (b"", b"k" * 65537):
            for cls in (sstkit.DataError, ValueError):
                with self.assertRaises(cls):
                    sstkit.build(p, [("a", "1"), (key, "v")])
                with self.assertRaises(cls):
                    sstkit.build(p, [(key, None)])
        self.assertEqual(os.listdir(self.dir), [])
        sstkit.build(p, [(b"k" * 65536, "v")])
        with sstkit.open(p) as r:
            self.assertEqual(r[b"k" * 65536], b"v")

    def test_store(self):
        t1, t2, store = self.path("1.sst"), self.path("2.sst"), self.path("store")
        sstkit.build(t1, [("a", "1"), ("b", "2")])
        sstkit.build(t2, [("a", None), ("c", "3")])
        self.assertEqual(tool("sst-ingest", store, t1, t2)[0], 0)
        with sstkit.open(store) as r:
            self.assertEqual(list(r.scan()), [(b"b", b"2"), (b"c", b"3")])
            self.assertIsNone(r.get("a"))
            info = r.info()
            self.assertEqual(info["store"], store)
            self.assertEqual(len(info["tables"]), 2)
        t3 = self.path("3.sst")
        sstkit.build(t3, [("b", "22")])
        with sstkit.open(store, t3) as r:
            self.assertEqual(r.get("b"), b"22")

    def test_build_is_atomic(self):
        p = self.path("x.sst")

        def records():
            yield ("a", "1")
            raise RuntimeError("the input failed")

        with self.assertRaises(RuntimeError):
            sstkit.build(p, records())
        with self.assertRaises(TypeError):
            sstkit.build(p, [("a", 1)])
        with self.assertRaises(TypeError):
            sstkit.build(p, ["abc"])
        with self.assertRaises(ValueError):
            sstkit.build(p, [("", "empty key")])
        with self.assertRaises(ValueError):
            sstkit.build(p, [], block_size=1)
        self.assertEqual(os.listdir(self.dir), [])

    def test_build_options(self):
        p = self.path("o.sst")
        sstkit.build(p, ((b"%06d" % i, b"v" * 50) for i in range(5000)),
                     memory=1 << 20, block_size=1024, level=1, bloom_bits=0)
        with sstkit.open(p) as r:
            info = r.info()
            self.assertEqual((info["block_size"], info["zstd_level"], info["bloom_bits_per_key"]),
                             (1024, 1, 0))
            self.assertEqual(info["records"], 5000)

    def test_missing_file(self):
        with self.assertRaises(OSError) as cm:
            sstkit.open(self.path("missing.sst"))
        self.assertEqual(cm.exception.errno, errno.ENOENT)
        self.assertIn("missing.sst", str(cm.exception))
        with self.assertRaises(OSError) as cm:
            sstkit.build(self.path("no/such/dir.sst"), [("a", "b")])
        self.assertEqual(cm.exception.errno, errno.ENOENT)

    def test_damaged_files(self):
        p = self.path("good.sst")
        recs = [(b"key%05d" % i, b"value%05d" % i) for i in range(3000)]
        sstkit.build(p, recs, block_size=512)
        with open(p, "rb") as f:
            good = f.read()
        with open(self.path("text.sst"), "wb") as f:
            f.write(b"apple\tred\n" * 20)
        with self.assertRaises(sstkit.DataError):
            sstkit.open(self.path("text.sst"))
        rnd = random.Random(7)
        bad = self.path("bad.sst")
        damaged = 0
        for trial in range(60):
            data = bytearray(good)
            if trial % 4 == 0:
                data = data[:rnd.randrange(len(data))]
            else:
                for _ in range(1 + trial % 3):
                    data[rnd.randrange(len(data))] ^= 1 << rnd.randrange(8)
            with open(bad, "wb") as f:
                f.write(data)
            try:
                with sstkit.open(bad) as r:
                    got = list(r.scan())
                    r.get_many([k for k, _ in recs[::7]])
                    r.get(recs[1234][0])
                    r.info()
                self.assertEqual(got, recs)  # what was read is right
            except sstkit.DataError as e:
                self.assertIn("bad.sst", str(e))
                damaged += 1
        self.assertGreater(damaged, 30)


class TestAgreement(Base):
    """On random data: the module, sst-dump and sst-get agree."""

    def test_random(self):
        rnd = random.Random(14)
        alphabet = b"abcxyz019\x01\x7f\x80\xc3\xff "
        model, recs = {}, []
        for _ in range(4000):
            k = bytes(rnd.choice(alphabet) for _ in range(rnd.randint(1, 6)))
            v = None if rnd.random() < 0.15 else bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 40)))
            recs.append((k, v))
            model[k] = v
        p = self.path("r.sst")
        sstkit.build(p, recs, memory=1 << 20)
        live = sorted((k, v) for k, v in model.items() if v is not None)
        with sstkit.open(p) as r:
            self.assertEqual(list(r.scan()), live)
            rc, out = tool("sst-dump", "-f", "cdb", p)
            self.assertEqual(rc, 0)
            self.assertEqual(parse_cdb(out), live)
            pre = b"a"
            rc, out = tool("sst-dump", "-f", "cdb", "--prefix", pre.decode(), p)
            self.assertEqual(parse_cdb(out), list(r.scan(prefix=pre)))
            asked = [k for k, _ in recs[::3]] + [b"nope", b"zzzzzzz"]
            got = r.get_many(asked)
            self.assertEqual(got, [model.get(k) for k in asked])
            self.assertEqual([r.get(k) for k in asked], got)
            rc, out = tool("sst-get", "-f", "cdb", p, stdin=b"".join(k + b"\n" for k in asked))
            self.assertEqual(parse_cdb(out), [(k, v) for k, v in zip(asked, got) if v is not None])


class TestStreaming(Base):
    def test_large_scan_streams(self):
        """Scanning a table of ~40 MB grows the process by far less."""
        p = self.path("big.sst")
        n = 200000
        sstkit.build(p, ((b"%08d" % i, os.urandom(100)) for i in range(n)),
                     memory=8 << 20, level=1)
        self.assertGreater(os.path.getsize(p), 20 << 20)
        script = r"""
import resource, sys, tracemalloc, sstkit
r = sstkit.open(sys.argv[1])
it = r.scan()
next(it)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
n = 1 + sum(1 for _ in it)
peak = tracemalloc.get_traced_memory()[1]
growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(n, growth, peak)
"""
        out = subprocess.run([sys.executable, "-c", script, p], stdout=subprocess.PIPE,
                             check=True).stdout.split()
        count, growth_kib, peak = int(out[0]), int(out[1]), int(out[2])
        self.assertEqual(count, n)
        self.assertLess(growth_kib, 8 << 10)  # KiB: under 8 MiB for 40 MB scanned
        self.assertLess(peak, 1 << 20)  # Python objects: a few records at a time


if __name__ == "__main__":
    unittest.main()
