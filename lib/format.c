#include "format.h"

#include <string.h>

#include "util.h"

const uint8_t sst_magic[8] = { 0x89, 'S', 'S', 'T', '\r', '\n', 0x1a, '\n' };

void
sst_footer_encode(const sst_footer *f, uint64_t footer_off, uint8_t out[SST_FOOTER_SIZE])
{
	memset(out, 0, SST_FOOTER_SIZE);
	sst_put_le64(out + 0, f->filter.off);
	sst_put_le64(out + 8, f->filter.len);
	sst_put_le64(out + 16, f->props.off);
	sst_put_le64(out + 24, f->props.len);
	sst_put_le64(out + 32, f->index.off);
	sst_put_le64(out + 40, f->index.len);
	sst_put_le32(out + 48, f->filter_lines);
	out[52] = f->filter_k;
	sst_put_le32(out + 56, SST_FORMAT_VERSION);
	sst_put_le32(out + 60, sst_checksum(out, 60, footer_off));
	memcpy(out + 64, sst_magic, 8);
}

int
sst_footer_decode(const uint8_t in[SST_FOOTER_SIZE], uint64_t footer_off, sst_footer *f,
    const char **why)
{
	if (memcmp(in + 64, sst_magic, 8) != 0) {
		*why = "not an sstkit table (bad magic)";
		return -1;
	}
	f->version = sst_get_le32(in + 56);
	if (f->version != SST_FORMAT_VERSION) {
		*why = "unsupported format version";
		return -1;
	}
	if (sst_get_le32(in + 60) != sst_checksum(in, 60, footer_off)) {
		*why = "footer checksum mismatch";
		return -1;
	}
	if (in[53] || in[54] || in[55]) {
		*why = "footer reserved bytes not zero";
		return -1;
	}
	f->filter.off = sst_get_le64(in + 0);
	f->filter.len = sst_get_le64(in + 8);
	f->props.off = sst_get_le64(in + 16);
	f->props.len = sst_get_le64(in + 24);
	f->index.off = sst_get_le64(in + 32);
	f->index.len = sst_get_le64(in + 40);
	f->filter_lines = sst_get_le32(in + 48);
	f->filter_k = in[52];
	return 0;
}
