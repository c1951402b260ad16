#include "format.h"

#include <string.h>

#include "util.h"

const uint8_t sst_magic[8] = { 0x89, 'S', 'S', 'T', '\r', '\n', 0x1a, '\n' };

size_t
sst_footer_encode(const sst_footer *f, uint64_t footer_off, uint8_t out[SST_FOOTER_MAX])
{
	size_t n = f->dict.len > 0 ? SST_FOOTER_SIZE_DICT : SST_FOOTER_SIZE;
	uint8_t *o = out + (n - SST_FOOTER_SIZE);	/* the version 1 layout */

	memset(out, 0, n);
	if (f->dict.len > 0) {
		sst_put_le64(out + 0, f->dict.off);
		sst_put_le64(out + 8, f->dict.len);
	}
	sst_put_le64(o + 0, f->filter.off);
	sst_put_le64(o + 8, f->filter.len);
	sst_put_le64(o + 16, f->props.off);
	sst_put_le64(o + 24, f->props.len);
	sst_put_le64(o + 32, f->index.off);
	sst_put_le64(o + 40, f->index.len);
	sst_put_le32(o + 48, f->filter_lines);
	o[52] = f->filter_k;
	sst_put_le32(o + 56, f->dict.len > 0 ? SST_FORMAT_VERSION_DICT : SST_FORMAT_VERSION);
	sst_put_le32(o + 60, sst_checksum(out, n - 12, footer_off));
	memcpy(o + 64, sst_magic, 8);
	return n;
}

size_t
sst_footer_size(const uint8_t *tail, size_t n)
{
	uint32_t v = sst_get_le32(tail + n - 16);

	return v == SST_FORMAT_VERSION ? SST_FOOTER_SIZE :
	    v == SST_FORMAT_VERSION_DICT ? SST_FOOTER_SIZE_DICT : 0;
}

int
sst_footer_decode(const uint8_t *in, size_t n, uint64_t footer_off, sst_footer *f,
    const char **why)
{
	const uint8_t *o = in + n - SST_FOOTER_SIZE;

	memset(f, 0, sizeof(*f));
	if (n < SST_FOOTER_SIZE || memcmp(o + 64, sst_magic, 8) != 0) {
		*why = "not an sstkit table (bad magic)";
		return SST_EDATA;
	}
	f->version = sst_get_le32(o + 56);
	if (!(f->version == SST_FORMAT_VERSION && n == SST_FOOTER_SIZE) &&
	    !(f->version == SST_FORMAT_VERSION_DICT && n == SST_FOOTER_SIZE_DICT)) {
		*why = "unsupported format version";
		return SST_EDATA;
	}
	if (sst_get_le32(o + 60) != sst_checksum(in, n - 12, footer_off)) {
		*why = "footer checksum mismatch";
		return SST_EDATA;
	}
	if (o[53] || o[54] || o[55]) {
		*why = "footer reserved bytes not zero";
		return SST_EDATA;
	}
	if (f->version == SST_FORMAT_VERSION_DICT) {
		f->dict.off = sst_get_le64(in + 0);
		f->dict.len = sst_get_le64(in + 8);
		if (f->dict.len == 0 || f->dict.len > SST_MAX_DICT) {
			*why = "dictionary length out of range";
			return SST_EDATA;
		}
	}
	f->filter.off = sst_get_le64(o + 0);
	f->filter.len = sst_get_le64(o + 8);
	f->props.off = sst_get_le64(o + 16);
	f->props.len = sst_get_le64(o + 24);
	f->index.off = sst_get_le64(o + 32);
	f->index.len = sst_get_le64(o + 40);
	f->filter_lines = sst_get_le32(o + 48);
	f->filter_k = o[52];
	return SST_OK;
}
