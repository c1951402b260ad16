#!/usr/bin/env bats
# Randomized differential test: random binary records (duplicates, deletes,
# keys that are prefixes of each other, 0x00/0xFF, TAB/LF inside) written as
# cdb and as -e tsv, built whole and in pieces, and compared with model.py
# for get (-k and batch), dump, --prefix, --from/--to and --count.

load common

setup() {
	common_setup
	N=$(san_or 1500 500)
}

# table_opts SEED: build options varied by seed.
table_opts() {
	case $(($1 % 4)) in
	0) echo "-b 256 -m 1M" ;;
	1) echo "-c none --bloom-bits 0" ;;
	2) echo "-b 1K -l 1 --bloom-bits 3 -j 1" ;;
	3) echo "" ;;
	esac
}

# differential SEED: the whole scenario for one seed.
differential() {
	local seed=$1 opts p i
	opts=$(table_opts "$seed")
	model gen "$seed" "$N" g
	# 1. the whole stream as one cdb input
	sst-build -q -f cdb $opts -o whole.sst g/all.cdb
	sst-verify -q whole.sst
	model check "$seed" g/all.cdb whole.sst
	# 2. cdb pieces, one table each, later sources newer
	local pieces=()
	for p in g/piece-*.cdb; do
		sst-build -q -f cdb $opts -o "${p%.cdb}.sst" "$p"
		pieces+=("${p%.cdb}.sst")
	done
	model check "$seed" g/all.cdb --light "${pieces[@]}"
	# 3. the cdb pieces as several inputs of one build, gzip'ed
	for p in g/piece-*.cdb; do gzip -c "$p" >"$p.gz"; done
	sst-build -q -f cdb $opts -o multi.sst g/piece-*.cdb.gz
	model check "$seed" g/all.cdb --light multi.sst
	# 4. -e tsv phases: put phases with -e, delete phases with -e --delete
	local phases=()
	for p in g/phase-*.tsv; do
		case $p in
		*-del.tsv) sst-build -q -e --delete $opts -o "${p%.tsv}.sst" "$p" ;;
		*) sst-build -q -e $opts -o "${p%.tsv}.sst" "$p" ;;
		esac
		phases+=("${p%.tsv}.sst")
	done
	model check "$seed" g/all.cdb "${phases[@]}"
	# 5. the merged view with tombstones, rebuilt into one table (sorted)
	sst-dump --tombstones -f cdb "${phases[@]}" | sst-build -q -f cdb --sorted -o merged.sst -
	sst-verify -q merged.sst
	model check "$seed" g/all.cdb --light merged.sst
	# 6. whole and merged tables hold the same records, tombstones included
	sst-dump --tombstones -f cdb whole.sst >w.cdb
	sst-dump --tombstones -f cdb merged.sst >m.cdb
	same w.cdb m.cdb
	# 7. mixing: older half from pieces, newer half from phases makes no
	# sense, but whole + anything older is still the whole stream
	model check "$seed" g/all.cdb --light "${pieces[0]}" whole.sst
}

@test "differential: seed 1" {
	differential 1
}

@test "differential: seed 2" {
	differential 2
}

@test "differential: seed 3 (plain build only)" {
	skip_if_san
	differential 3
}

@test "differential: seed 4 (plain build only)" {
	skip_if_san
	differential 4
}

@test "differential: model.py itself catches a wrong answer" {
	model gen 7 300 g
	sst-build -q -f cdb -o whole.sst g/all.cdb
	model check 7 g/all.cdb whole.sst
	# drop the last record of the stream: the model must notice
	python3 -c '
import os, sys
sys.path.insert(0, os.path.dirname(os.environ["MODEL"]))
import model
recs = model.parse_cdb(open("g/all.cdb", "rb").read())
recs = [r for r in recs if r[1] != recs[-1][1]]
open("less.cdb", "wb").write(b"".join(model.cdb_rec(r) for r in recs))'
	sst-build -q -f cdb -o less.sst less.cdb
	run model check 7 g/all.cdb less.sst
	[ "$status" -eq 1 ]
}
