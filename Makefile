# sstkit - small Unix tools for SSTables.
#   make            build tools and libsst.a into build/
#   make check      install missing deps, run unit tests and the bats suite,
#                   plain and under ASan+UBSan, then bounded fuzzing, the
#                   unit tests under valgrind and the analysers
#                   (mk/hardening.mk; make check-hardening for all of it)
#   make demo       build a table from a generated sample and query it
#   make bench      the side-by-side benchmark (scripts/bench)
#   make install    PREFIX=/usr/local DESTDIR= (make uninstall undoes it)

VERSION   = 0.1.0
PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
CC       ?= cc

WARN      = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
BASEFLAGS = -std=c11 -D_GNU_SOURCE -DSST_VERSION=\"$(VERSION)\" -pthread -g $(WARN)
SANFLAGS  = -fsanitize=address,undefined
ifeq ($(SAN),1)
OPTFLAGS  = -O1 -fno-omit-frame-pointer $(SANFLAGS) -fno-sanitize-recover=all
LDSAN     = $(SANFLAGS)
else
OPTFLAGS  = -O2
LDSAN     =
endif
CFLAGS   ?=
CFLAGS   += $(BASEFLAGS) $(OPTFLAGS)
LDFLAGS  += -pthread -Wl,--as-needed $(LDSAN)
# libzstd is linked statically when its archive is there: one shared
# library less to load makes a single sst-get markedly faster. The test is
# made by the shell when a link runs, not when make parses this file:
# `make demo` and `make check` install libzstd-dev (install-deps) after the
# parse, and their links must see the archive it brought.
ZSTD_ARCHIVES = /usr/lib/x86_64-linux-gnu/libzstd.a /usr/lib/libzstd.a
ZSTD_LIB = $$(for a in $(ZSTD_ARCHIVES); do [ -e $$a ] && { echo '-Wl,-Bstatic -lzstd -Wl,-Bdynamic'; exit; }; done; echo -lzstd)
LDLIBS    = $(ZSTD_LIB) -lxxhash -larchive -lz -lm

LIB_SRC   = $(wildcard lib/*.c)
LIB_OBJ   = $(LIB_SRC:lib/%.c=$(BUILD)/lib/%.o)
# bin/: one main per tool, nothing else. cli/: the tools' helper files
# (option parsing, messages, record inputs, progress lines), linked into
# the tools and never into a library.
CLI_SRC   = $(wildcard cli/*.c)
CLI_OBJ   = $(CLI_SRC:cli/%.c=$(BUILD)/cli/%.o)
CLI_LIB   = $(BUILD)/libsstcli.a
TOOLS_SRC = $(wildcard bin/*.c)
TOOLS     = $(TOOLS_SRC:bin/%.c=$(BUILD)/bin/%)
UNIT_SRC  = $(wildcard tests/unit/test_*.c)
UNITS     = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HEADERS   = $(wildcard lib/*.h) $(PUB_HEADERS)
CLI_HEADERS = $(wildcard cli/*.h)
MANS      = $(wildcard man/*.1)
MAN3      = $(wildcard man/*.3)
# the scale-out drivers (shell scripts over the tools)
DRIVERS   = scripts/sst-parallel-build scripts/sst-slurm-build
# what they share, sourced from beside them or from PREFIX/share/sstkit
DRIVER_LIB = scripts/sst-driver.sh

# The public library (sstkit(3)): the headers of include/sstkit/ only,
# every lib/ object again as position-independent code with hidden
# visibility, so libsstkit.so.0 and libsstkit.a export only the SST_API
# functions (sstkit_*). The tools keep linking build/libsst.a statically.
PUB_HEADERS = $(wildcard include/sstkit/*.h)
PIC_OBJ   = $(LIB_SRC:lib/%.c=$(BUILD)/pic/%.o)
SONAME    = libsstkit.so.0
SHLIB     = $(BUILD)/$(SONAME)
PUBLIB    = $(BUILD)/libsstkit.a
# The shared library links libzstd as a shared library (its archive need
# not be position-independent).
SHLIBS    = -lzstd -lxxhash -larchive -lz -lm
PYTHON   ?= /usr/bin/python3

.PHONY: all lib tools units manpages check check-unit check-cli check-api check-api-san check-python deps demo bench \
	install uninstall clean lint fuzz man-md publib

all: tools publib manpages

lib: $(BUILD)/libsst.a
publib: $(SHLIB) $(BUILD)/libsstkit.so $(PUBLIB)
tools: $(TOOLS)
units: $(UNITS)

# The pages beside the built tools, where man(1) looks for a tool found on
# PATH (DIR/bin -> DIR/share/man): `PATH=$PWD/build/bin:$PATH man sst-get`
# works before `make install`. man/ holds the sources.
BUILT_MANS = $(MANS:man/%=$(BUILD)/share/man/man1/%) $(MAN3:man/%=$(BUILD)/share/man/man3/%)
manpages: $(BUILT_MANS)
$(BUILD)/share/man/man1/%.1: man/%.1
	@mkdir -p $(dir $@)
	cp $< $@
$(BUILD)/share/man/man3/%.3: man/%.3
	@mkdir -p $(dir $@)
	cp $< $@

$(BUILD)/lib/%.o: lib/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/libsst.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/cli/%.o: cli/%.c $(HEADERS) $(CLI_HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Ilib -c -o $@ $<

$(CLI_LIB): $(CLI_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/pic/%.o: lib/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<

$(SHLIB): $(PIC_OBJ) lib/sstkit.map
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=lib/sstkit.map \
	    -o $@ $(PIC_OBJ) $(LDFLAGS) $(SHLIBS)

$(BUILD)/libsstkit.so: $(SHLIB)
	ln -sf $(SONAME) $@

# One relocatable object whose hidden symbols are made local: a static
# user sees only sstkit_* too, and no internal name can collide with his.
$(PUBLIB): $(PIC_OBJ)
	@rm -f $@
	$(LD) -r -o $(BUILD)/pic/sstkit-all.o $(PIC_OBJ)
	objcopy --localize-hidden $(BUILD)/pic/sstkit-all.o
	ar rcs $@ $(BUILD)/pic/sstkit-all.o

$(BUILD)/bin/%: bin/%.c $(CLI_LIB) $(BUILD)/libsst.a $(HEADERS) $(CLI_HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Ilib -Icli -o $@ $< $(CLI_LIB) $(BUILD)/libsst.a $(LDFLAGS) $(LDLIBS)

# sst-get is linked static-pie (ASLR kept) when the C library's and its
# dependencies' archives are there and no sanitizer is on: a single lookup
# is a whole process, and the dynamic loader's relocations were a quarter
# of its instructions (callgrind: 422k -> 329k; scripts/bench, target 5).
# Decided when the link runs, as ZSTD_LIB is. Tools that the fault tests
# run under LD_PRELOAD (tests/fault) stay dynamic.
STATIC_ARCHIVES = libc.a libzstd.a libxxhash.a libz.a libm.a
STATIC_OK = d=/usr/lib/x86_64-linux-gnu; [ -z "$(LDSAN)" ] && \
	for a in $(STATIC_ARCHIVES); do [ -e $$d/$$a ] || exit 1; done
$(BUILD)/bin/sst-get: bin/sst-get.c $(CLI_LIB) $(BUILD)/libsst.a $(HEADERS) $(CLI_HEADERS)
	@mkdir -p $(dir $@)
	if ( $(STATIC_OK) ); then \
	    $(CC) $(CFLAGS) -Ilib -Icli -o $@ $< $(CLI_LIB) $(BUILD)/libsst.a $(LDFLAGS) -static-pie \
	        -lzstd -lxxhash -lz -lm; \
	else \
	    $(CC) $(CFLAGS) -Ilib -Icli -o $@ $< $(CLI_LIB) $(BUILD)/libsst.a $(LDFLAGS) $(LDLIBS); \
	fi

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(CLI_LIB) $(BUILD)/libsst.a $(HEADERS) $(CLI_HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Ilib -Icli -Itests/unit -o $@ $< $(CLI_LIB) $(BUILD)/libsst.a $(LDFLAGS) $(LDLIBS)

# The installed API as a user sees it (tests/api/run): staged install,
# C and C++ programs built with pkg-config, shared and static.
check-api: all
	@sh tests/api/run $(BUILD)

# The same API test built with the sanitizers against a SAN=1 build's
# static library (make BUILD=build-san SAN=1 check-api-san).
check-api-san: publib
	@sh tests/api/run-san $(BUILD)

# The Python module over this build's shared library.
check-python: all
	@SST_BIN=$(CURDIR)/$(BUILD)/bin PYTHONPATH=$(CURDIR)/python PYTHONDONTWRITEBYTECODE=1 \
	    $(PYTHON) -m pytest -q -p no:cacheprovider tests/python

deps:
	@sh scripts/install-deps

# Unit tests of this build.
check-unit: units
	@sh tests/run-units $(BUILD)/tests

# The bats suite against this build's tools.
check-cli: tools
	@SST_BIN=$(CURDIR)/$(BUILD)/bin SST_SAN=$(SAN) bats tests/cli

check: deps
	$(MAKE) all units
	$(MAKE) check-unit
	$(MAKE) check-cli
	$(MAKE) check-api check-python
	$(MAKE) BUILD=build-san SAN=1 all units
	$(MAKE) BUILD=build-san SAN=1 check-unit
	$(MAKE) BUILD=build-san SAN=1 check-api-san
	$(MAKE) BUILD=build-san SAN=1 check-cli
	$(MAKE) check-hardening-quick

# deps first, then the build in a new make: never both at once under -j.
demo: deps
	@$(MAKE) all
	@sh scripts/demo $(BUILD)/bin

bench: all
	@sh scripts/bench

# The Python module goes where the system's python3 looks for PREFIX
# (Debian: PREFIX/lib/python3.X/dist-packages); PYDIR= overrides.
PYDIR_CMD = $(PYTHON) -c 'import sys; v = "%d.%d" % sys.version_info[:2]; \
	d = "dist-packages" if any(p.endswith("dist-packages") for p in sys.path) else "site-packages"; \
	print("$(PREFIX)/lib/python" + v + "/" + d)'

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib \
	    $(DESTDIR)$(PREFIX)/include/sstkit $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/man/man3 $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	    $(DESTDIR)$(PREFIX)/share/sstkit
	install -m 0755 $(TOOLS) $(DRIVERS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(DRIVER_LIB) $(DESTDIR)$(PREFIX)/share/sstkit/
	install -m 0755 $(SHLIB) $(DESTDIR)$(PREFIX)/lib/
	ln -sf $(SONAME) $(DESTDIR)$(PREFIX)/lib/libsstkit.so
	install -m 0644 $(PUBLIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 0644 $(PUB_HEADERS) $(DESTDIR)$(PREFIX)/include/sstkit/
	install -m 0644 $(MANS) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 $(MAN3) $(DESTDIR)$(PREFIX)/share/man/man3/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' sstkit.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/sstkit.pc
	pydir=$(or $(PYDIR),$$($(PYDIR_CMD))) && \
	install -d $(DESTDIR)$$pydir/sstkit && \
	install -m 0644 python/sstkit/__init__.py $(DESTDIR)$$pydir/sstkit/ && \
	echo 'LIBDIR = "$(PREFIX)/lib"' > $(DESTDIR)$$pydir/sstkit/_libdir.py

uninstall:
	rm -f $(TOOLS:$(BUILD)/bin/%=$(DESTDIR)$(PREFIX)/bin/%) \
	    $(DRIVERS:scripts/%=$(DESTDIR)$(PREFIX)/bin/%)
	rm -f $(DRIVER_LIB:scripts/%=$(DESTDIR)$(PREFIX)/share/sstkit/%)
	-rmdir $(DESTDIR)$(PREFIX)/share/sstkit
	rm -f $(DESTDIR)$(PREFIX)/lib/$(SONAME) $(DESTDIR)$(PREFIX)/lib/libsstkit.so \
	    $(DESTDIR)$(PREFIX)/lib/libsstkit.a $(DESTDIR)$(PREFIX)/lib/pkgconfig/sstkit.pc
	rm -f $(PUB_HEADERS:include/sstkit/%=$(DESTDIR)$(PREFIX)/include/sstkit/%)
	-rmdir $(DESTDIR)$(PREFIX)/include/sstkit
	rm -f $(MANS:man/%=$(DESTDIR)$(PREFIX)/share/man/man1/%) \
	    $(MAN3:man/%=$(DESTDIR)$(PREFIX)/share/man/man3/%)
	pydir=$(or $(PYDIR),$$($(PYDIR_CMD))) && \
	rm -rf $(DESTDIR)$$pydir/sstkit

# man/TOOL.1.md: each roff page rendered as text (docs.bats checks they are current)
man-md:
	sh scripts/man-md

clean:
	rm -rf build build-san build-fuzz

# Further targets (lint, fuzz, fault injection) live in mk/*.mk.
-include mk/*.mk
