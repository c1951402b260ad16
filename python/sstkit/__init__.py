"""sstkit: read and build sstkit tables and stores from Python.

A thin ctypes layer over the shared library libsstkit.so.0 (sstkit(3));
the Python standard library only. Keys and values are bytes (a str is
encoded as UTF-8).

    import sstkit
    sstkit.build("fruit.sst", [("pear", "green"), ("apple", "red")])
    with sstkit.open("fruit.sst") as r:
        r.get(b"apple")            # b'red'
        b"kiwi" in r               # False
        list(r.scan(prefix=b"a"))  # [(b'apple', b'red')]

Errors: sstkit.DataError for bad data (a damaged file, not a table: what
the tools exit 3 for), OSError with its errno for system errors (a
missing file is FileNotFoundError, errno ENOENT), sstkit.BusyError when a
store is locked by another writer, ValueError for bad arguments. A record
that build cannot take (an empty or over-long key) is sstkit.RecordError,
both a DataError (sst-build exits 3 for it) and a ValueError.
"""

import ctypes
import ctypes.util
import json
import os
import threading

__all__ = ["open", "build", "Reader", "Error", "DataError", "RecordError", "BusyError",
           "library_path"]

_OK, _NOTFOUND, _EUSAGE, _EDATA, _ESYS, _EBUSY = 0, 1, 2, 3, 4, 75


class Error(Exception):
    """A failure reported by the sstkit library."""


class DataError(Error):
    """Bad data: a damaged file, or one that is not a table or store."""


class RecordError(DataError, ValueError):
    """A record that sstkit.build cannot take (an empty key, a key over
    65,536 bytes): bad data, as sst-build exits 3 for it, and a ValueError."""


class BusyError(Error):
    """A store is locked by another writer."""


def _candidates():
    env = os.environ.get("SSTKIT_LIBRARY")
    if env:
        yield env
    here = os.path.dirname(os.path.abspath(__file__))
    # In the source tree after `make`: the library just built.
    yield os.path.join(os.path.dirname(os.path.dirname(here)), "build", "libsstkit.so.0")
    try:  # written by `make install`
        from . import _libdir
        yield os.path.join(_libdir.LIBDIR, "libsstkit.so.0")
    except ImportError:
        pass
    found = ctypes.util.find_library("sstkit")
    if found:
        yield found
    yield "libsstkit.so.0"


def _load():
    last = None
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            continue
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            last = e
    raise ImportError("sstkit: cannot load libsstkit.so.0 (%s)" % last)


_lib, library_path = _load()

_vp, _sz, _int = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int
_pvp, _psz = ctypes.POINTER(_vp), ctypes.POINTER(_sz)
_FOUND = ctypes.CFUNCTYPE(_int, _vp, _sz, _vp, _sz)


def _fn(name, restype, *argtypes):
    f = getattr(_lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


_error_new = _fn("sstkit_error_new", _int, _pvp)
_error_free = _fn("sstkit_error_free", None, _pvp)
_error_code = _fn("sstkit_error_code", _int, _vp)
_error_errno = _fn("sstkit_error_errno", _int, _vp)
_error_message = _fn("sstkit_error_message", ctypes.c_char_p, _vp)
_reader_open = _fn("sstkit_reader_open", _int, _pvp, ctypes.POINTER(ctypes.c_char_p), _sz, _vp)
_reader_close = _fn("sstkit_reader_close", None, _pvp)
_reader_get = _fn("sstkit_reader_get", _int, _vp, ctypes.c_char_p, _sz, _pvp, _psz, _vp)
_reader_get_many = _fn("sstkit_reader_get_many", _int, _vp, ctypes.POINTER(ctypes.c_char_p),
                       _psz, _sz, _FOUND, _vp, _vp)
_reader_info = _fn("sstkit_reader_info", _int, _vp, _pvp, _psz, _vp)
_iter_open = _fn("sstkit_iter_open", _int, _pvp, _vp, ctypes.c_char_p, _sz,
                 ctypes.c_char_p, _sz, ctypes.c_char_p, _sz, _vp)
_iter_next = _fn("sstkit_iter_next", _int, _vp, _pvp, _psz, _pvp, _psz, _vp)
_iter_close = _fn("sstkit_iter_close", None, _pvp)
_options_new = _fn("sstkit_options_new", _int, _pvp, _vp)
_options_free = _fn("sstkit_options_free", None, _pvp)
_set_memory = _fn("sstkit_options_set_memory", _int, _vp, ctypes.c_uint64)
_set_block_size = _fn("sstkit_options_set_block_size", _int, _vp, _sz)
_set_level = _fn("sstkit_options_set_level", _int, _vp, _int)
_set_bloom_bits = _fn("sstkit_options_set_bloom_bits", _int, _vp, _int)
_builder_open = _fn("sstkit_builder_open", _int, _pvp, ctypes.c_char_p, _vp, _vp)
_builder_put = _fn("sstkit_builder_put", _int, _vp, ctypes.c_char_p, _sz, ctypes.c_char_p, _sz, _vp)
_builder_delete = _fn("sstkit_builder_delete", _int, _vp, ctypes.c_char_p, _sz, _vp)
_builder_finish = _fn("sstkit_builder_finish", _int, _pvp, _vp)
_builder_free = _fn("sstkit_builder_abort", None, _pvp)


def _free(fn, handle):
    if handle is not None and handle.value:
        fn(ctypes.byref(handle))


class _Err:
    """One sstkit_error object."""

    def __init__(self):
        self.p = _vp()
        if _error_new(ctypes.byref(self.p)) != _OK:
            raise MemoryError("sstkit: out of memory")

    def __del__(self):
        try:
            _free(_error_free, getattr(self, "p", None))
        except Exception:  # interpreter shutdown: the module may be gone
            pass

    def raise_(self, rc, usage=ValueError):
        msg = (_error_message(self.p) or b"").decode("utf-8", "replace")
        if rc == _EDATA:
            raise DataError(msg)
        if rc == _ESYS:
            raise OSError(_error_errno(self.p), msg)
        if rc == _EBUSY:
            raise BusyError(msg)
        if rc == _EUSAGE:
            raise usage(msg)
        raise Error("%s (code %d)" % (msg, rc))


def _bytes(x, what="key"):
    if isinstance(x, bytes):
        return x
    if isinstance(x, str):
        return x.encode("utf-8")
    if isinstance(x, (bytearray, memoryview)):
        return bytes(x)
    raise TypeError("sstkit: a %s must be bytes or str, not %s" % (what, type(x).__name__))


def _path(p):
    p = os.fsencode(p)
    if not p or b"\0" in p:
        raise ValueError("sstkit: bad path %r" % (p,))
    return p


class Reader:
    """A reader of tables and stores (sstkit.open). One thread at a time
    calls into the library for it; it may be shared between threads."""

    def __init__(self, *paths):
        if not paths:
            raise TypeError("sstkit.open: give at least one path")
        self.paths = [_path(p) for p in paths]
        self._lock = threading.RLock()
        self._err = _Err()
        self._p = _vp()
        self._iters = {}  # id -> iterator handle, closed with the reader
        arr = (ctypes.c_char_p * len(self.paths))(*self.paths)
        rc = _reader_open(ctypes.byref(self._p), arr, len(self.paths), self._err.p)
        if rc != _OK:
            self._err.raise_(rc)

    def close(self):
        """Closes the reader and its scans; later calls raise ValueError."""
        with self._lock:
            for it in list(self._iters.values()):
                _free(_iter_close, it)
            self._iters.clear()
            _free(_reader_close, self._p)

    def __del__(self):
        try:
            if hasattr(self, "_p"):
                self.close()
        except Exception:  # interpreter shutdown: the module may be gone
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _handle(self):
        if not self._p.value:
            raise ValueError("sstkit: the reader is closed")
        return self._p

    def get(self, key, default=None):
        """The value of key (bytes), or default when it is absent or deleted."""
        k = _bytes(key)
        val, vlen = _vp(), _sz()
        with self._lock:
            rc = _reader_get(self._handle(), k, len(k), ctypes.byref(val), ctypes.byref(vlen),
                             self._err.p)
            if rc == _OK:
                return ctypes.string_at(val, vlen.value)
        if rc == _NOTFOUND:
            return default
        self._err.raise_(rc)

    def __contains__(self, key):
        return self.get(key) is not None

    def __getitem__(self, key):
        v = self.get(key)
        if v is None:
            raise KeyError(key)
        return v

    def get_many(self, keys):
        """The values of keys, a list in the order asked (None for absent
        keys), looked up as one batch as sst-get does."""
        ks = [_bytes(k) for k in keys]
        out = [None] * len(ks)
        if not ks:
            return out

        def found(_clos, i, val, vlen):
            out[i] = ctypes.string_at(val, vlen)
            return 0

        arr = (ctypes.c_char_p * len(ks))(*ks)
        lens = (_sz * len(ks))(*[len(k) for k in ks])
        cb = _FOUND(found)
        with self._lock:
            rc = _reader_get_many(self._handle(), arr, lens, len(ks), cb, None, self._err.p)
        if rc != _OK:
            self._err.raise_(rc)
        return out

    def scan(self, start=None, stop=None, prefix=None):
        """An iterator of (key, value) in key order, the view of sst-dump:
        start inclusive, stop exclusive, prefix; deleted keys left out. It
        streams: memory does not grow with the table."""
        bounds = []
        for b in (start, stop, prefix):
            b = None if b is None else _bytes(b)
            bounds += [b, 0 if b is None else len(b)]
        it = _vp()
        with self._lock:
            rc = _iter_open(ctypes.byref(it), self._handle(), *bounds, self._err.p)
            if rc != _OK:
                self._err.raise_(rc)
            self._iters[id(it)] = it
        return self._scan(it)

    def _scan(self, it):
        k, kl, v, vl = _vp(), _sz(), _vp(), _sz()
        args = (ctypes.byref(k), ctypes.byref(kl), ctypes.byref(v), ctypes.byref(vl))
        try:
            while True:
                with self._lock:
                    if not it.value:
                        raise ValueError("sstkit: the reader is closed")
                    rc = _iter_next(it, *args, self._err.p)
                    if rc == _OK:
                        item = (ctypes.string_at(k, kl.value), ctypes.string_at(v, vl.value))
                if rc == _NOTFOUND:
                    return
                if rc != _OK:
                    self._err.raise_(rc)
                yield item
        finally:
            with self._lock:
                self._iters.pop(id(it), None)
                _free(_iter_close, it)

    def info(self):
        """The properties as `sst-info --json` gives them: a dict for one
        source (table or store), a list of dicts for several."""
        buf, n = _vp(), _sz()
        with self._lock:
            rc = _reader_info(self._handle(), ctypes.byref(buf), ctypes.byref(n), self._err.p)
            if rc != _OK:
                self._err.raise_(rc)
            try:
                text = ctypes.string_at(buf, n.value)
            finally:
                _libc_free(buf)
        return json.loads(text.decode("utf-8"))


def _find_free():
    libc = ctypes.CDLL(None)
    f = libc.free
    f.restype = None
    f.argtypes = [_vp]
    return f


_libc_free = _find_free()


def open(path, *more):  # noqa: A001 (the contract's name)
    """A reader of the tables and stores path, *more: later ones newer.
    path may also be a list or tuple of paths (then without more)."""
    if isinstance(path, (list, tuple)) and not more:
        return Reader(*path)
    return Reader(path, *more)


def build(path, records, memory=None, block_size=None, level=None, bloom_bits=None):
    """Writes the table at path from records, an iterable of (key, value)
    pairs in any order (value None: a delete; for a key given several
    times the last record wins), through an external sort holding at most
    memory bytes (default 256 MiB). The table appears atomically: on any
    error, or an exception from records, nothing is published."""
    p = _path(path)
    err = _Err()
    opts, b = _vp(), _vp()
    rc = _options_new(ctypes.byref(opts), err.p)
    if rc != _OK:
        err.raise_(rc)
    try:
        for setter, value, name in ((_set_memory, memory, "memory"),
                                    (_set_block_size, block_size, "block_size"),
                                    (_set_level, level, "level"),
                                    (_set_bloom_bits, bloom_bits, "bloom_bits")):
            if value is None:
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value < -(1 << 31) \
                    or value >= 1 << 62 or setter(opts, value) != _OK:
                raise ValueError("sstkit.build: bad %s: %r" % (name, value))
        rc = _builder_open(ctypes.byref(b), p, opts, err.p)
        if rc != _OK:
            err.raise_(rc)
        for rec in records:
            try:
                key, value = rec
            except (TypeError, ValueError):
                raise TypeError("sstkit.build: a record must be a (key, value) pair") from None
            k = _bytes(key)
            if value is None:
                rc = _builder_delete(b, k, len(k), err.p)
            else:
                v = _bytes(value, "value")
                rc = _builder_put(b, k, len(k), v, len(v), err.p)
            if rc != _OK:
                err.raise_(rc, RecordError)
        rc = _builder_finish(ctypes.byref(b), err.p)
        if rc != _OK:
            err.raise_(rc)
    finally:
        _free(_builder_free, b)
        _free(_options_free, opts)
