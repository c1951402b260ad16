#include "filter.h"

int
sst_filter_k(int bits_per_key)
{
	int k = (bits_per_key * 69 + 50) / 100;	/* round(b * 0.69), no libm */

	return k < 1 ? 1 : (k > 30 ? 30 : k);
}

uint64_t
sst_filter_lines(uint64_t nkeys, int bits_per_key)
{
	uint64_t bits;

	if (nkeys == 0 || bits_per_key <= 0)
		return 0;
	bits = nkeys * (uint64_t)bits_per_key;
	return bits / 512 + (bits % 512 != 0);
}

void
sst_filter_add(uint8_t *bits, uint64_t nlines, int k, uint64_t h)
{
	sst_filter_line_add(bits + sst_filter_line_of(h, nlines) * SST_FILTER_LINE, k, h);
}

void
sst_filter_line_add(uint8_t *line, int k, uint64_t h)
{
	uint32_t a = (uint32_t)h;
	int i;

	for (i = 0; i < k; i++) {
		uint32_t bit;

		a *= 0x9e3779b9u;
		bit = a >> 23;
		line[bit >> 3] |= (uint8_t)(1u << (bit & 7));
	}
}

int
sst_filter_line_match(const uint8_t *line, int k, uint64_t h)
{
	uint32_t a = (uint32_t)h;
	int i;

	for (i = 0; i < k; i++) {
		uint32_t bit;

		a *= 0x9e3779b9u;
		bit = a >> 23;
		if (!(line[bit >> 3] & (1u << (bit & 7))))
			return 0;
	}
	return 1;
}
