# sstkit - small Unix tools for SSTables.
#   make            build tools and libsst.a into build/
#   make check      install missing deps, run unit tests and the bats suite,
#                   plain and under ASan+UBSan, then bounded fuzzing, the
#                   unit tests under valgrind and the analysers
#                   (mk/hardening.mk; make check-hardening for all of it)
#   make demo       build a table from a generated sample and query it
#   make bench      the side-by-side benchmark (scripts/bench)
#   make install    PREFIX=/usr/local DESTDIR=

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
TOOLS_SRC = $(wildcard bin/*.c)
TOOLS     = $(TOOLS_SRC:bin/%.c=$(BUILD)/bin/%)
UNIT_SRC  = $(wildcard tests/unit/test_*.c)
UNITS     = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HEADERS   = $(wildcard lib/*.h)
MANS      = $(wildcard man/*.1)
# the scale-out drivers (shell scripts over the tools)
DRIVERS   = scripts/sst-parallel-build scripts/sst-slurm-build

.PHONY: all lib tools units check check-unit check-cli deps demo bench install clean lint fuzz man-md

all: tools

lib: $(BUILD)/libsst.a
tools: $(TOOLS)
units: $(UNITS)

$(BUILD)/lib/%.o: lib/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/libsst.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/bin/%: bin/%.c $(BUILD)/libsst.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Ilib -o $@ $< $(BUILD)/libsst.a $(LDFLAGS) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(BUILD)/libsst.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Ilib -Itests/unit -o $@ $< $(BUILD)/libsst.a $(LDFLAGS) $(LDLIBS)

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
	$(MAKE) BUILD=build-san SAN=1 all units
	$(MAKE) BUILD=build-san SAN=1 check-unit
	$(MAKE) BUILD=build-san SAN=1 check-cli
	$(MAKE) check-hardening-quick

# deps first, then the build in a new make: never both at once under -j.
demo: deps
	@$(MAKE) all
	@sh scripts/demo $(BUILD)/bin

bench: all
	@sh scripts/bench

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib \
	    $(DESTDIR)$(PREFIX)/include/sstkit $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 0755 $(TOOLS) $(DRIVERS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(BUILD)/libsst.a $(DESTDIR)$(PREFIX)/lib/
	install -m 0644 $(HEADERS) $(DESTDIR)$(PREFIX)/include/sstkit/
	install -m 0644 $(MANS) $(DESTDIR)$(PREFIX)/share/man/man1/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' sstkit.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/sstkit.pc

# man/TOOL.1.md: each roff page rendered as text (docs.bats checks they are current)
man-md:
	sh scripts/man-md

clean:
	rm -rf build build-san build-fuzz

# Further targets (lint, fuzz, fault injection) live in mk/*.mk.
-include mk/*.mk
