#!/usr/bin/env bats
# Real data: the Debian package index (/var/lib/apt/lists/*Packages.lz4)
# turned into -e tsv (key "NAME VERSION", value the stanza), fed compressed
# (lz4, gzip, xz, zstd) and inside tar archives. Skips where absent.

load common

setup_file() {
	bats_require_minimum_version 1.5.0
	local lists=(/var/lib/apt/lists/*Packages.lz4)
	[ -e "${lists[0]}" ] || return 0
	command -v lz4 >/dev/null 2>&1 || return 0
	local py=/usr/bin/python3
	[ -x "$py" ] || py=python3
	local d=$BATS_FILE_TMPDIR f
	for f in $(ls -S -r "${lists[@]}"); do
		# under sanitizers only the small lists
		[ "${SST_SAN:-0}" = 1 ] && [ "$(stat -c %s "$f")" -gt $((4 << 20)) ] && continue
		lz4 -dc "$f" | "$py" "$BATS_TEST_DIRNAME/model.py" debpkg >"$d/$(basename "$f" .lz4).tsv"
	done
}

setup() {
	common_setup
	LISTS=()
	for f in $(ls -S -r "$BATS_FILE_TMPDIR"/*Packages.tsv 2>/dev/null); do
		[ -s "$f" ] && LISTS+=("$f")
	done
	[ "${#LISTS[@]}" -gt 0 ] || skip "no /var/lib/apt/lists/*Packages.lz4 (or no lz4)"
	# the largest list under 20 MB: enough for every format, still quick
	MID=
	for f in "${LISTS[@]}"; do
		[ "$(stat -c %s "$f")" -lt $((20 << 20)) ] && MID=$f
	done
	[ -n "$MID" ] || MID=${LISTS[0]}
}

# check_table TABLE INPUT.tsv...: the table holds latest-wins of the inputs;
# a batch of keys returns the dump's lines.
check_table() {
	local t=$1
	shift
	sst-verify -q "$t"
	sst-dump -e "$t" >dump.tsv
	model expect-e "$@" -- dump.tsv >/dev/null
	[ "$(sst-dump --count "$t")" = "$(wc -l <dump.tsv)" ]
	awk 'NR % 37 == 1' dump.tsv >want.tsv
	cut -f1 want.tsv >keys
	sst-get -e "$t" <keys >got.tsv
	same got.tsv want.tsv
	printf 'no-such-package 0\n' >>keys
	run sst-get -e "$t" <keys
	[ "$status" -eq 1 ]
}

@test "realdata: Packages as -e tsv through lz4, gzip, xz, zstd" {
	local comps="lz4 gzip xz zstd"
	[ "$SST_SAN" = 1 ] && comps="lz4 gzip"
	for c in $comps; do
		need_cmd "$c"
		"$c" -c "$MID" >in.$c
		sst-build -q -e -o "$c.sst" "in.$c"
		check_table "$c.sst" "$MID"
	done
	echo "# realdata: $(basename "$MID"): $(stat -c %s "$MID") bytes of tsv, $(wc -l <dump.tsv) records, table $(stat -c %s lz4.sst) bytes" >&3
}

@test "realdata: every list in one tar (and tar.gz), later members win" {
	mkdir m
	local i=0 f names=()
	for f in "${LISTS[@]}"; do
		[ "$(stat -c %s "$f")" -gt $((20 << 20)) ] && continue
		i=$((i + 1))
		cp "$f" "m/$i.tsv"
		names+=("$i.tsv")
	done
	# the middle list split in three members, and its first part again last
	split -n l/3 -d "$MID" m/part.
	names+=(part.00 part.01 part.02)
	head -100 "$MID" | sed 's/\t/\tREPLACED /' >m/zz-last.tsv
	names+=(zz-last.tsv)
	tar -C m -cf all.tar "${names[@]}"
	sst-build -q -e -o tar.sst all.tar
	check_table tar.sst $(printf 'm/%s ' "${names[@]}")
	run sst-get -e tar.sst < <(head -1 m/zz-last.tsv | cut -f1)
	[[ "$output" == *$'\tREPLACED '* ]]
	tar -C m -czf all.tgz "${names[@]}"
	sst-build -q -e -o tgz.sst all.tgz
	sst-dump -e tgz.sst >tgz.tsv
	sst-dump -e tar.sst >tar.tsv
	same tgz.tsv tar.tsv
}

@test "realdata: the largest list, lz4 and zstd, -m 64M" {
	skip_if_san
	local big=${LISTS[-1]}
	lz4 -q -c "$big" >big.lz4
	/usr/bin/time -f '%M %e' -o rss.txt sst-build -q -e -m 64M -o big.sst big.lz4
	check_table big.sst "$big"
	[ "$(cut -d' ' -f1 rss.txt)" -lt $(((64 + 32) * 1024)) ] || fail "peak RSS $(cat rss.txt) over -m 64M + 32 MiB"
	echo "# realdata: $(basename "$big"): $(stat -c %s "$big") bytes of tsv -> table $(stat -c %s big.sst) bytes; build RSS KiB, s: $(cat rss.txt)" >&3
	need_cmd zstd
	zstd -q -c "$big" >big.zst
	sst-build -q -e -o bigz.sst big.zst
	sst-dump -f cdb big.sst >a.cdb
	sst-dump -f cdb bigz.sst >b.cdb
	same a.cdb b.cdb
}
