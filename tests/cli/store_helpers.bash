# store_helpers.bash - shared by store.bats and compact_crash.bats.

# rand_tsv SEED N KEYSPACE: N random puts over KEYSPACE keys (duplicates).
rand_tsv() {
	awk -v s="$1" -v n="$2" -v m="$3" 'BEGIN { srand(s)
		for (i = 0; i < n; i++) printf "k%07d\tv%d-%d\n", int(rand() * m), s, i }'
}

# load_batch STORE SEED N KEYSPACE: adds a batch (puts, or deletes when SEED
# is a multiple of 4) to STORE with sst-build --into, and appends the same
# records, in cdb form, to the cumulative model stream model.cdb.
load_batch() {
	local st=$1 seed=$2 n=$3 m=$4
	if [ $((seed % 4)) -eq 0 ]; then
		rand_tsv "$seed" "$n" "$m" | cut -f1 >batch.tsv
		sst-build -q --delete --into "$st" batch.tsv || fail "sst-build --into $st"
		awk '{ printf "-%d:%s\n", length($0), $0 }' batch.tsv >>model.cdb
	else
		rand_tsv "$seed" "$n" "$m" >batch.tsv
		sst-build -q --into "$st" batch.tsv || fail "sst-build --into $st"
		awk -F '\t' '{ printf "+%d,%d:%s->%s\n", length($1), length($2), $1, $2 }' \
		    batch.tsv >>model.cdb
	fi
}

# model_dump: the live records of model.cdb (later wins), as sst-dump prints
# them (plain tsv in key order), computed without sstkit (awk and sort).
model_dump() {
	awk '
	/^-/ { k = $0; sub(/^-[0-9]+:/, "", k); dead[k] = 1; delete val[k]; next }
	{
		r = $0; sub(/^\+[0-9]+,[0-9]+:/, "", r); i = index(r, "->")
		k = substr(r, 1, i - 1); val[k] = substr(r, i + 2); delete dead[k]
	}
	END { for (k in val) printf "%s\t%s\n", k, val[k] }' model.cdb | LC_ALL=C sort
}

# check_store STORE: verifies clean and its content equals the model.
check_store() {
	sst-verify -q "$1" || fail "sst-verify $1 failed"
	model_dump >want.tsv
	sst-dump "$1" >got.tsv || fail "sst-dump $1 failed"
	same want.tsv got.tsv
}

# tables_of STORE: the live table names, from the manifest.
tables_of() {
	awk '$1 == "table" { print $2 }' "$1/MANIFEST"
}
