#!/usr/bin/env bats
# docs.bats - every tool in $SST_BIN: --help and --version behave as the
# contract says, and its man page exists, renders without warnings, has a
# SYNOPSIS equal to the tool's usage string and names every long option of
# its --help. A tool whose man page is missing is reported and skipped.

load common

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	TOOLS=()
	local f
	for f in "$SST_BIN"/*; do
		[ -f "$f" ] && [ -x "$f" ] && TOOLS+=("$(basename "$f")")
	done
	[ "${#TOOLS[@]}" -gt 0 ] || fail "no tools in SST_BIN=$SST_BIN"
	T="$BATS_TEST_TMPDIR"
}

# The man page of tool $1 ("" when absent).
page() {
	local p="$ROOT/man/$1.1"
	[ -f "$p" ] && printf '%s\n' "$p"
	return 0
}

# Ends a test that checked the pages present: skip naming the missing ones.
report_missing() {
	if [ "$#" -gt 0 ]; then
		echo "# no man page yet for: $*" >&3
		skip "no man page yet for: $* (the others were checked)"
	fi
}

# The roff source of page $1 as plain text: \- and \(hy as '-', font and
# zero-width escapes dropped, so option names can be searched for.
roff_text() {
	sed -e 's/\\-/-/g' -e 's/\\(hy/-/g' -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' \
	    -e 's/\\f\[[A-Z]*\]//g' -e 's/\\&//g' -e 's/\\%//g' -e 's/\\e/\\/g' "$1"
}

# Renders page $1 to plain text, one very long line per paragraph. Sets
# RENDER_ERR to what the renderer said on stderr.
render() {
	local out="$T/render.$$"
	if command -v groff >/dev/null 2>&1; then
		groff -man -ww -Tutf8 -P-cbou -rLL=2000n "$1" >"$out" 2>"$out.err"
	else
		MANWIDTH=2000 man --warnings -E UTF-8 -l "$1" 2>"$out.err" | sed 's/.\x08//g' >"$out"
	fi
	RENDER_ERR=$(cat "$out.err")
	cat "$out"
}

# Collapses runs of white space to one space and trims.
squeeze() {
	tr -s ' \t\n' '   ' | sed -e 's/^ //' -e 's/ $//'
}

@test "every tool: --help exits 0 and prints its usage on stdout only" {
	local t bad=""
	for t in "${TOOLS[@]}"; do
		"$SST_BIN/$t" --help >"$T/out" 2>"$T/err"
		rc=$?
		if [ "$rc" -ne 0 ]; then bad="$bad $t(exit $rc)"; continue; fi
		[ -s "$T/err" ] && bad="$bad $t(stderr: $(head -c 80 "$T/err"))"
		head -n 1 "$T/out" | grep -Eq "^[Uu]sage: $t( |$)" ||
		    bad="$bad $t(first line: $(head -n 1 "$T/out"))"
		# -h is the same as --help.
		"$SST_BIN/$t" -h | cmp -s - "$T/out" || bad="$bad $t(-h differs from --help)"
	done
	[ -z "$bad" ] || fail "--help:$bad"
}

@test "every tool: --version prints 'TOOL (sstkit) VERSION' and exits 0" {
	local t bad="" version
	version=$(sed -n 's/^VERSION *= *//p' "$ROOT/Makefile")
	[ -n "$version" ] || fail "no VERSION in the Makefile"
	for t in "${TOOLS[@]}"; do
		run --separate-stderr "$SST_BIN/$t" --version
		[ "$status" -eq 0 ] || { bad="$bad $t(exit $status)"; continue; }
		[ "$output" = "$t (sstkit) $version" ] || bad="$bad $t(printed '$output')"
	done
	[ -z "$bad" ] || fail "--version:$bad"
}

@test "every tool: a bad option exits 2 with a message on stderr only" {
	local t bad=""
	for t in "${TOOLS[@]}"; do
		run --separate-stderr "$SST_BIN/$t" --no-such-option
		[ "$status" -eq 2 ] || bad="$bad $t(exit $status)"
		[ -z "$output" ] || bad="$bad $t(stdout: $output)"
		[[ "$stderr" == *"$t"* ]] || bad="$bad $t(stderr does not name the tool)"
	done
	[ -z "$bad" ] || fail "bad option:$bad"
}

@test "man pages: every tool has one in man/, a regular file man -l reads" {
	local t missing=""
	for t in "${TOOLS[@]}"; do
		[ -n "$(page "$t")" ] || missing="$missing $t"
		[ -f "$ROOT/man/$t.1" ] && [ ! -L "$ROOT/man/$t.1" ] || missing="$missing $t(file)"
		if command -v man >/dev/null 2>&1; then
			MANWIDTH=80 man -l "$ROOT/man/$t.1" 2>/dev/null | grep -q "$t" ||
			    missing="$missing $t(man -l)"
		fi
	done
	[ -z "$missing" ] || fail "no man page for:$missing"
}

@test "man pages: bin/ holds only tool mains, each with man/TOOL.1; man finds them beside the built tools" {
	local f t missing=""
	for f in "$ROOT"/bin/*.c; do
		t=$(basename "$f" .c)
		[ -f "$ROOT/man/$t.1" ] || missing="$missing $t(no man/$t.1: a helper belongs in cli/)"
		[ -x "$SST_BIN/$t" ] || missing="$missing $t(not built into $SST_BIN)"
	done
	command -v man >/dev/null 2>&1 || { [ -z "$missing" ] || fail "$missing"; skip "no man"; }
	for t in "${TOOLS[@]}"; do
		# man(1) maps DIR/bin on PATH to DIR/share/man: no install needed
		f=$(PATH="$SST_BIN:$PATH" MANPATH= man -w "$t" 2>/dev/null) || f=
		[ "$f" = "$(cd "$SST_BIN/.." && pwd)/share/man/man1/$t.1" ] ||
			missing="$missing $t(man -w: '$f')"
		cmp -s "$f" "$ROOT/man/$t.1" 2>/dev/null || missing="$missing $t(stale copy)"
	done
	[ -z "$missing" ] || fail "man pages:$missing"
}

@test "man pages: man/ is also a man directory (man1/, man3/): man -M man TOOL finds each page" {
	local t f missing=""
	for t in "${TOOLS[@]}"; do
		[ -f "$ROOT/man/man1/$t.1" ] || missing="$missing $t(no man/man1/$t.1)"
		cmp -s "$ROOT/man/man1/$t.1" "$ROOT/man/$t.1" || missing="$missing $t(man1 copy differs)"
	done
	[ -f "$ROOT/man/man3/sstkit.3" ] || missing="$missing sstkit(no man/man3/sstkit.3)"
	if command -v man >/dev/null 2>&1; then
		for t in "${TOOLS[@]}"; do
			f=$(man -M "$ROOT/man" -w "$t" 2>/dev/null) || f=
			[ -n "$f" ] && cmp -s "$f" "$ROOT/man/$t.1" || missing="$missing $t(man -M man -w: '$f')"
		done
	fi
	[ -z "$missing" ] || fail "man pages:$missing"
}

@test "man pages: man/TOOL.1.md is the page rendered as text, up to date" {
	local t bad=""
	command -v groff >/dev/null 2>&1 || skip "groff is not installed"
	local md="$BATS_TEST_TMPDIR/md"
	mkdir "$md"
	"$ROOT/scripts/man-md" "$md"
	for t in "${TOOLS[@]}"; do
		[ -f "$ROOT/man/$t.1.md" ] || { bad="$bad $t(missing)"; continue; }
		grep -q "^       $t - " "$ROOT/man/$t.1.md" || bad="$bad $t(no NAME line)"
		cmp -s "$md/$t.1.md" "$ROOT/man/$t.1.md" ||
		    bad="$bad $t(stale: run scripts/man-md)"
	done
	[ -z "$bad" ] || fail "man/*.1.md:$bad"
}

@test "man pages: each renders without warnings and has the usual sections" {
	local t p bad="" missing=() s
	command -v groff >/dev/null 2>&1 || command -v man >/dev/null 2>&1 ||
	    skip "neither groff nor man is installed"
	for t in "${TOOLS[@]}"; do
		p=$(page "$t")
		[ -n "$p" ] || { missing+=("$t"); continue; }
		render "$p" >"$T/page.txt"
		[ -z "$RENDER_ERR" ] || bad="$bad $t(warnings: $RENDER_ERR)"
		if command -v man >/dev/null 2>&1; then
			s=$(man --warnings -E UTF-8 -l "$p" 2>&1 >/dev/null)
			[ -z "$s" ] || bad="$bad $t(man --warnings: $s)"
		fi
		head -n 1 "$p" | grep -Eq "^\.TH \"?$(echo "$t" | tr a-z A-Z)\"? 1 " ||
		    bad="$bad $t(.TH does not name $t in section 1)"
		for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" "SEE ALSO"; do
			grep -q "^$s\$" "$T/page.txt" || bad="$bad $t(no $s section)"
		done
		grep -A1 '^NAME$' "$T/page.txt" | grep -q "^ *$t - " ||
		    bad="$bad $t(NAME line is not '$t - ...')"
	done
	[ -z "$bad" ] || fail "man pages:$bad"
	report_missing "${missing[@]}"
}

@test "man pages: every long option of --help is documented" {
	local t p o bad="" missing=() opts
	for t in "${TOOLS[@]}"; do
		p=$(page "$t")
		[ -n "$p" ] || { missing+=("$t"); continue; }
		opts=$("$SST_BIN/$t" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
		[ -n "$opts" ] || bad="$bad $t(no long option in --help?)"
		roff_text "$p" >"$T/src.txt"
		for o in $opts; do
			grep -Eq -- "(^|[^a-z0-9-])$o([^a-z0-9-]|\$)" "$T/src.txt" ||
			    bad="$bad $t:$o"
		done
	done
	[ -z "$bad" ] || fail "options missing from the man pages:$bad"
	report_missing "${missing[@]}"
}

@test "man pages: SYNOPSIS is the tool's usage string" {
	local t p bad="" missing=() want got
	command -v groff >/dev/null 2>&1 || command -v man >/dev/null 2>&1 ||
	    skip "neither groff nor man is installed"
	for t in "${TOOLS[@]}"; do
		p=$(page "$t")
		[ -n "$p" ] || { missing+=("$t"); continue; }
		# The usage: the first line of --help and the indented lines after it.
		want=$("$SST_BIN/$t" --help | awk 'NR == 1 { sub(/^[Uu]sage: */, ""); print; next }
		    /^[ \t]/ { print; next } { exit }' | squeeze)
		got=$(render "$p" | awk '/^SYNOPSIS$/ { on = 1; next } /^[A-Z]/ { on = 0 } on' | squeeze)
		[ "$want" = "$got" ] || bad="$bad
  $t: usage    '$want'
  $t: SYNOPSIS '$got'"
	done
	[ -z "$bad" ] || fail "SYNOPSIS differs from the usage:$bad"
	report_missing "${missing[@]}"
}

@test "man pages: the exit statuses of EXIT STATUS are the contract's" {
	local t p bad="" missing=() codes c
	command -v groff >/dev/null 2>&1 || command -v man >/dev/null 2>&1 ||
	    skip "neither groff nor man is installed"
	for t in "${TOOLS[@]}"; do
		p=$(page "$t")
		[ -n "$p" ] || { missing+=("$t"); continue; }
		codes=$(render "$p" | awk '/^EXIT STATUS$/ { on = 1; next } /^[A-Z]/ { on = 0 }
		    on && /^ +[0-9]+( |$)/ { print $1 }')
		[ -n "$codes" ] || bad="$bad $t(no status listed)"
		echo "$codes" | grep -qx 0 || bad="$bad $t(0 not listed)"
		echo "$codes" | grep -qx 2 || bad="$bad $t(2 not listed)"
		for c in $codes; do
			case $c in 0|1|2|3|4|75) ;; *) bad="$bad $t($c is not a contract status)" ;; esac
		done
	done
	[ -z "$bad" ] || fail "EXIT STATUS:$bad"
	report_missing "${missing[@]}"
}

@test "man pages: sst-build(1) gives the defaults and the memory constant of the code" {
	local p mib
	p=$(page sst-build)
	[ -n "$p" ] || skip "no man page for sst-build"
	roff_text "$p" >"$T/src.txt"
	"$SST_BIN/sst-build" --help | grep -q 'default 256M' || fail "sst-build --help: the -m default changed"
	grep -q '256M' "$T/src.txt" || fail "sst-build(1) does not give the 256M default of -m"
	"$SST_BIN/sst-build" --help | grep -q 'default 8K' || fail "sst-build --help: the -b default changed"
	grep -q '8K' "$T/src.txt" || fail "sst-build(1) does not give the 8K default of -b"
	grep -q 'TMPDIR' "$T/src.txt" || fail "sst-build(1) does not mention TMPDIR"
	# The constant in the page is the one in lib/sorter.h.
	mib=$(sed -n 's/^#define SST_SORTER_OVERHEAD[^(]*(\([0-9]*\)u << 20).*/\1/p' "$ROOT/lib/sorter.h")
	[ -n "$mib" ] || fail "cannot read SST_SORTER_OVERHEAD from lib/sorter.h"
	grep -q "SST_SORTER_OVERHEAD = $mib MiB" "$T/src.txt" ||
	    fail "sst-build(1) does not say SST_SORTER_OVERHEAD = $mib MiB (lib/sorter.h)"
}

@test "man pages: the examples of the table tools run" {
	local t p rc
	need_cmd python3
	for t in sst-build sst-get sst-dump sst-info sst-verify; do
		p=$(page "$t")
		[ -n "$p" ] || continue
		mkdir -p "$T/ex-$t"
		# Exit 1 (a key not found, damage found) is shown on purpose; 2+ is wrong.
		echo 'trap '"'"'rc=$?; if [ $rc -gt 1 ]; then echo "example failed (exit $rc): $BASH_COMMAND" >&2; exit $rc; fi'"'"' ERR' >"$T/ex-$t/ex.sh"
		awk '/^\.SH EXAMPLES/ { ex = 1 } /^\.SH SEE/ { ex = 0 }
		    ex && /^\.EX/ { on = 1; next } /^\.EE/ { on = 0; next } on' "$p" |
		    sed -e 's/\\-/-/g' -e "s/\\\\(aq/'/g" -e 's/\\(dq/"/g' -e 's/\\e/\\/g' \
		    >>"$T/ex-$t/ex.sh"
		# -T /var/tmp in an example: keep the test's files in its directory.
		sed -i "s|/var/tmp|$T/ex-$t|g" "$T/ex-$t/ex.sh"
		rc=0
		(cd "$T/ex-$t" && PATH="$SST_BIN:$PATH" bash -o pipefail ex.sh) >"$T/ex-$t.out" 2>&1 || rc=$?
		[ "$rc" -le 1 ] || fail "$t(1) examples: exit $rc: $(tail -n 5 "$T/ex-$t.out")"
		! grep -E '(example failed|command not found|No such file|Try .* --help)' "$T/ex-$t.out" ||
		    fail "$t(1) examples failed (above)"
	done
}

@test "build: libzstd is linked statically when its archive is installed" {
	local a= f
	for f in /usr/lib/x86_64-linux-gnu/libzstd.a /usr/lib/libzstd.a; do
		[ -e "$f" ] && a=$f
	done
	[ -n "$a" ] || skip "no libzstd.a on this machine"
	command -v ldd >/dev/null || skip "no ldd"
	run ldd "$SST_BIN/sst-get"
	[ "$status" -eq 0 ]
	if grep -q 'libzstd\.so' <<<"$output"; then
		fail "sst-get links libzstd dynamically although $a exists: $output"
	fi
}

@test "build: sst-get is linked static-pie when the archives are installed (no loader work per lookup)" {
	local d=/usr/lib/x86_64-linux-gnu a
	[ "$SST_SAN" != 1 ] || skip "sanitizer build: dynamic"
	for a in libc.a libzstd.a libxxhash.a libz.a libm.a; do
		[ -e "$d/$a" ] || skip "no $d/$a on this machine"
	done
	command -v readelf >/dev/null || skip "no readelf"
	run readelf -d "$SST_BIN/sst-get"
	if grep -q NEEDED <<<"$output"; then
		fail "sst-get needs shared libraries although their archives exist: $output"
	fi
	run readelf -h "$SST_BIN/sst-get"
	grep -q 'DYN (Position-Independent Executable' <<<"$output" ||
		fail "sst-get is not position independent (no ASLR): $output"
}

@test "build: the Makefile decides the libzstd link when it links, not when parsed" {
	# `make demo` installs libzstd-dev after make has read the Makefile:
	# the link command must test for the archive itself.
	run make -s -n -C "$ROOT" -W bin/sst-get.c BUILD="$T/b" "$T/b/bin/sst-get"
	[ "$status" -eq 0 ]
	grep -q -- '-o .*/b/bin/sst-get .*libzstd\.a' <<<"$output" ||
		fail "link command does not test for libzstd.a: $output"
}

@test "build: the libraries hold no command-line code (exit, stderr, cli/*.c)" {
	# lib/ never prints and never exits: the tools' option parsing,
	# messages and progress lines are cli/*.c, linked into the tools only.
	local l found=0 bad
	command -v nm >/dev/null || skip "no nm"
	for l in libsst.a libsstkit.a; do
		[ -f "$SST_BIN/../$l" ] || continue
		found=1
		bad=$(nm -A "$SST_BIN/../$l" 2>/dev/null |
		    grep -E ' U (exit|_exit|stderr|printf|puts|perror)$| [TtDdBb] (sst_cli_|sst_progress_|sst_prog$)') || true
		[ -z "$bad" ] || fail "$l holds command-line code: $bad"
	done
	[ "$found" -eq 1 ] || skip "no libsst.a beside $SST_BIN"
}
