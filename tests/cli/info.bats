#!/usr/bin/env bats
# sst-info: what a table holds, as text and as JSON.

load common

setup() {
	common_setup
	# 300 puts (one overwritten), 2 deletes; keys "k000".."k299", "del1", "del2"
	python3 -c '
for i in range(300):
    print("+4,%d:k%03d->%s" % (20 + i % 7, i, ("v%d-" % i * 20)[:20 + i % 7]))
print("+4,3:k007->new")
print("-4:del1")
print("-4:del2")' >in.cdb
	T0=$(date +%s)
	sst-build -q -f cdb -b 1K -o t.sst in.cdb
	T1=$(date +%s)
	KEYB=$((300 * 4 + 2 * 4))
	VALB=$(python3 -c 'print(sum(20 + i % 7 for i in range(300) if i != 7) + 3)')
}

# jval FILE REGEX: the single value of the member matching REGEX.
jval() {
	local v
	v=$(model jfind "$1" "$2") || fail "no JSON member matches /$2/ in $(cat "$1")"
	[ "$(printf '%s\n' "$v" | wc -l)" -eq 1 ] || fail "several members match /$2/: $v"
	printf '%s\n' "${v#*=}"
}

@test "info: -h/--help to stdout exit 0, --version, usage errors exit 2" {
	for h in -h --help; do
		run --separate-stderr sst-info "$h"
		[ "$status" -eq 0 ]
		[[ "$output" == *sst-info* ]]
		[ -z "$stderr" ]
	done
	run --separate-stderr sst-info --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ [0-9]+\.[0-9]+ ]]
	for args in "--bogus t.sst" "" "-x t.sst"; do
		run --separate-stderr sst-info $args
		[ "$status" -eq 2 ] || fail "sst-info $args: exit $status, want 2"
		[[ "${stderr_lines[0]}" == "sst-info: "* ]] || fail "stderr '$stderr'"
	done
}

@test "info: --json is valid JSON with every field of the contract" {
	sst-info --json t.sst >i.json
	python3 -m json.tool i.json >/dev/null
	[ "$(jval i.json 'format.?version|^version$')" = 1 ]
	r=$(jval i.json '(^|\.)(records|entries|num_records|record_count)$')
	[ "$r" = 302 ] || [ "$r" = 300 ] || fail "records $r, want 302 (300 with tombstones apart)"
	[ "$(jval i.json 'deletes|tombstones')" = 2 ]
	nb=$(model blocks t.sst | wc -l)
	[ "$nb" -gt 3 ]
	[ "$(jval i.json 'data.?blocks')" = "$nb" ]
	[ "$(jval i.json 'key.?bytes')" = "$KEYB" ]
	[ "$(jval i.json 'val(ue)?.?bytes')" = "$VALB" ]
	[ "$(jval i.json 'file.?size|size.?file|^size$|\.size$')" = "$(stat -c %s t.sst)" ]
	[ "$(jval i.json 'compression$|compression.?(type|name|algo)')" = zstd ]
	ratio=$(jval i.json 'ratio')
	python3 -c "import sys; r = float('$ratio'); sys.exit(0 if 0 < r < 100 else 1)"
	[ "$(jval i.json 'block.?size')" = 1024 ]
	[ "$(jval i.json 'bits')" = 10 ]
	fp=$(jval i.json 'fp|false|positive')
	python3 -c "
import sys
v = float('$fp')
v = v / 100 if v > 0.5 else v
sys.exit(0 if 0.002 < v < 0.03 else 1)" || fail "false-positive rate $fp is not about 1% at 10 bits"
	[ "$(jval i.json '(smallest|min|first).?key$|^smallest$')" = del1 ]
	[ "$(jval i.json '(largest|max|last).?key$|^largest$')" = k299 ]
	c=$(jval i.json 'created$|creation.?time$')
	if [[ "$c" =~ ^[0-9]+$ ]]; then
		[ "$c" -ge $((T0 - 2)) ] && [ "$c" -le $((T1 + 2)) ] || fail "created $c not in [$T0, $T1]"
	else
		[[ "$c" == *"$(date -u +%Y)"* ]] || fail "created '$c' has no year"
	fi
}

@test "info: text output names the figures" {
	run --separate-stderr sst-info t.sst
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	grep -qi 'records.*30[02]' <<<"$output"
	grep -qi 'deletes.*2\|tombstones.*2' <<<"$output"
	grep -q "$(stat -c %s t.sst)" <<<"$output"
	grep -q "$KEYB" <<<"$output"
	grep -q "$VALB" <<<"$output"
	grep -qi 'zstd' <<<"$output"
	grep -qi 'block.*1024\|block.*1 \?K' <<<"$output"
	grep -q 'del1' <<<"$output"
	grep -q 'k299' <<<"$output"
	grep -qi 'creat' <<<"$output"
	grep -qi 'bits' <<<"$output"
	grep -q '1\(\.0\)\? \?%\|0\.01\|0\.00[5-9]\|[0-9]\.[0-9]\+ \?%' <<<"$output"
}

@test "info: no filter, no compression, empty table" {
	sst-build -q -f cdb -c none --bloom-bits 0 -o n.sst in.cdb
	sst-info --json n.sst >n.json
	python3 -m json.tool n.json >/dev/null
	[ "$(jval n.json 'compression$|compression.?(type|name|algo)')" = none ]
	[ "$(jval n.json 'bits')" = 0 ]
	sst-build -q -o e.sst /dev/null
	sst-info --json e.sst >e.json
	python3 -m json.tool e.json >/dev/null
	r=$(jval e.json '(^|\.)(records|entries|num_records|record_count)$')
	[ "$r" = 0 ]
	# no key: an empty filter, which nothing can match (not a 100% rate)
	[ "$(jval e.json 'fp_rate')" = 0.0 ]
	run sst-info e.sst
	[ "$status" -eq 0 ]
	grep -q '^filter: *10 bits per key, empty (no keys), expected false-positive rate 0.00%$' <<<"$output"
}

@test "info: binary smallest/largest keys stay one line each and valid JSON" {
	printf '+3,1:\n\t\0->a\n+2,1:\xff\xfe->b\n' | sst-build -q -f cdb -o b.sst
	sst-info --json b.sst >b.json
	python3 -m json.tool b.json >/dev/null
	run sst-info b.sst
	[ "$status" -eq 0 ]
}

@test "info: several tables" {
	printf 'x\t1\n' | mk_table u.sst
	run --separate-stderr sst-info t.sst u.sst
	[ "$status" -eq 0 ]
	[[ "$output" == *t.sst* && "$output" == *u.sst* ]]
	sst-info --json t.sst u.sst >both.json
	# one JSON document, or one per line
	python3 -m json.tool both.json >/dev/null 2>&1 ||
		python3 -c '
import json, sys
docs = [json.loads(l) for l in open("both.json") if l.strip()]
sys.exit(0 if len(docs) == 2 else 1)'
}

@test "info: not a table exits 3, missing 4, naming the file" {
	head -c 4000 /dev/urandom >random.bin
	head -c 4000 /dev/zero >zeros.bin
	: >empty.bin
	head -c 1000 t.sst >trunc.sst
	for f in random.bin zeros.bin empty.bin trunc.sst in.cdb; do
		run --separate-stderr sst-info "$f"
		[ "$status" -eq 3 ] || fail "$f: exit $status, want 3"
		check_err sst-info "$f"
		run --separate-stderr sst-info --json "$f"
		[ "$status" -eq 3 ] || fail "--json $f: exit $status, want 3"
	done
	run --separate-stderr sst-info nope.sst
	[ "$status" -eq 4 ]
	check_err sst-info 'nope\.sst'
}

@test "info: one key rule for tables and stores: a space as \\x20, a backslash as \\\\" {
	printf 'a b\tx\nz\\\\y\tx\n' | sst-build -q -e -o k.sst
	printf 'a b\tx\nz\\\\y\tx\n' | sst-build -q -e --into st
	run sst-info k.sst
	grep -qx 'smallest key:       a\\x20b' <<<"$output" || fail "$output"
	grep -qx 'largest key:        z\\\\y' <<<"$output" || fail "$output"
	run sst-info st
	grep -q ' keys a\\x20b \.\. z\\\\y$' <<<"$output" || fail "$output"
}

@test "info: a store's --json has type \"store\" and its levels (tables and bytes each), as the text" {
	: | sst-build -q --into lv
	sst-merge -q --compact --strategy leveled --set max-levels=4 lv
	printf 'a\t1\nb\t2\n' | sst-build -q -o ab.sst
	printf 'c\t3\n' | sst-build -q -o c.sst
	printf 'a\tA\nz\tZ\n' | sst-build -q -o az.sst
	sst-ingest -q lv ab.sst c.sst
	sst-ingest -q lv az.sst
	sst-info --json lv >j
	python3 -c '
import json, sys
d = json.load(open("j"))
assert d["type"] == "store", d
want = {}
for t in d["tables"]:
    n, b = want.get(t["level"], (0, 0))
    want[t["level"]] = (n + 1, b + t["size"])
got = {l["level"]: (l["tables"], l["bytes"]) for l in d["levels"]}
assert got == want and len(got) == 2, (got, want)
assert [l["level"] for l in d["levels"]] == sorted(got), d["levels"]
' || fail "$(cat j)"
	# the text output says the same
	for l in $(python3 -c 'import json; [print("%d:%d:%d" % (l["level"], l["tables"], l["bytes"])) for l in json.load(open("j"))["levels"]]'); do
		IFS=: read -r lev n b <<<"$l"
		sst-info lv | grep -qx "level $lev: $n tables, $b bytes" || fail "$(sst-info lv)"
	done
}
