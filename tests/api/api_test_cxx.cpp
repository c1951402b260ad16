// api_test_cxx.cpp - the public API from idiomatic C++ (tests/api/run):
// handles owned by std::unique_ptr, a lambda as the batch callback,
// std::string values. Runs in the current directory; exit 0 when right.
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <sstkit/sstkit.h>

namespace {

struct ErrorFree { void operator()(sstkit_error *e) const { sstkit_error_free(&e); } };
struct ReaderClose { void operator()(sstkit_reader *r) const { sstkit_reader_close(&r); } };
struct IterClose { void operator()(sstkit_iter *i) const { sstkit_iter_close(&i); } };

int failures;

void
check(bool ok, const char *what, const sstkit_error *e)
{
	if (!ok) {
		failures++;
		std::fprintf(stderr, "api_test_cxx: failed: %s (%s)\n", what, sstkit_error_message(e));
	}
}

}  // namespace

int
main()
{
	sstkit_error *ep = nullptr;
	if (sstkit_error_new(&ep) != SSTKIT_OK)
		return 4;
	std::unique_ptr<sstkit_error, ErrorFree> e(ep);

	std::map<std::string, std::string> want;
	sstkit_builder *b = nullptr;
	check(sstkit_builder_open(&b, "cxx.sst", nullptr, e.get()) == SSTKIT_OK, "open", e.get());
	for (int i = 999; i >= 0; i--) {
		std::string k = "key" + std::to_string(i), v = std::string(i % 7, 'v') + std::to_string(i);
		want[k] = v;
		check(sstkit_builder_put(b, k.data(), k.size(), v.data(), v.size(), e.get()) == SSTKIT_OK,
		    "put", e.get());
	}
	check(sstkit_builder_finish(&b, e.get()) == SSTKIT_OK && b == nullptr, "finish", e.get());

	const char *paths[] = { "cxx.sst" };
	sstkit_reader *rp = nullptr;
	check(sstkit_reader_open(&rp, paths, 1, e.get()) == SSTKIT_OK, "reader", e.get());
	std::unique_ptr<sstkit_reader, ReaderClose> r(rp);
	if (!r)
		return 1;

	std::vector<std::string> keys = { "key5", "nope", "key999", "key5" };
	std::vector<const void *> kp;
	std::vector<size_t> kl;
	for (const auto &k : keys) {
		kp.push_back(k.data());
		kl.push_back(k.size());
	}
	std::vector<std::string> got(keys.size(), "-");
	auto found = [](void *clos, size_t i, const void *v, size_t n) -> int {
		(*static_cast<std::vector<std::string> *>(clos))[i].assign(static_cast<const char *>(v), n);
		return 0;
	};
	check(sstkit_reader_get_many(r.get(), kp.data(), kl.data(), keys.size(), found, &got,
	    e.get()) == SSTKIT_OK, "get_many", e.get());
	check(got[0] == want["key5"] && got[1] == "-" && got[2] == want["key999"] && got[3] == got[0],
	    "get_many values", e.get());

	sstkit_iter *ip = nullptr;
	check(sstkit_iter_open(&ip, r.get(), nullptr, 0, nullptr, 0, nullptr, 0, e.get()) == SSTKIT_OK,
	    "iter", e.get());
	std::unique_ptr<sstkit_iter, IterClose> it(ip);
	std::map<std::string, std::string> seen;
	const void *k, *v;
	size_t kn, vn;
	int rc;
	while (it && (rc = sstkit_iter_next(it.get(), &k, &kn, &v, &vn, e.get())) == SSTKIT_OK)
		seen.emplace(std::string(static_cast<const char *>(k), kn),
		    std::string(static_cast<const char *>(v), vn));
	check(seen == want, "scan", e.get());

	if (failures != 0)
		return 1;
	std::printf("api_test_cxx: all checks passed\n");
	return 0;
}
