/* The model of the filter's false-positive rate (apart: it needs libm). */
#include "filter.h"

#include <math.h>

double
sst_filter_fpr(double bits_per_key, int k)
{
	/* Keys per line are Poisson(512 / b); sum the standard bloom rate over it. */
	double lambda, p, sum = 0;
	int j;

	if (bits_per_key <= 0)
		return 1.0;
	lambda = 512.0 / bits_per_key;
	p = exp(-lambda);
	for (j = 0; j < 4 * (int)lambda + 200; j++) {
		double fill = 1.0 - pow(1.0 - 1.0 / 512.0, (double)k * j);

		sum += p * pow(fill, k);
		p *= lambda / (j + 1);
	}
	return sum;
}
