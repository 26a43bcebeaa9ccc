/*
 * fuzz_webd_range.c: libFuzzer harness for webd's Range parser and the
 * multipart helpers.
 *
 * Input: byte 0 picks the cap (0..32) and, with its top bit, a small
 * length (16 bits) so that overlaps and the end of the file are reached
 * often; bytes 1-8 are the length (little-endian); the rest is the Range
 * value. Beyond "no crash, no over-read" it checks the contract: the
 * status is 200, 206 or 416; only 206 returns ranges, 1..cap of them,
 * each inside [0, length) with start <= end, adding up to at most length;
 * the text helpers fit their documented sizes and measure what they
 * write; a second parse gives the same answer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "range.h"

#define FUZZ_CAP_MAX	32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The helpers' text for each range: lengths as announced. */
static void
fuzz_texts(const struct webd_range *r, size_t n, uint64_t length)
{
	char buf[256], b[WEBD_RANGE_BOUNDARY_SIZE];
	uint64_t total = 0;
	size_t i, h;

	webd_range_boundary(b);
	for (i = 0; i < n; i++) {
		if (webd_range_content_range(buf, WEBD_RANGE_CONTENT_RANGE_SIZE,
		    &r[i], length) >= WEBD_RANGE_CONTENT_RANGE_SIZE)
			abort();
		h = webd_range_part_header(buf, sizeof(buf), b, "text/plain",
		    &r[i], length);
		if (h >= sizeof(buf) || h != strlen(buf))
			abort();
		total += h + (r[i].end - r[i].start + 1);
	}
	total += webd_range_part_close(NULL, 0, b);
	if (total != webd_range_multipart_length(r, n, length, b,
	    "text/plain"))
		abort();
}

/* The contract of one answer. */
static void
fuzz_check(enum webd_range_status st, const struct webd_range *r, size_t n,
    size_t cap, uint64_t length)
{
	uint64_t sum = 0;
	size_t i;

	switch (st) {
	case WEBD_RANGE_IGNORE:
	case WEBD_RANGE_UNSATISFIABLE:
		if (n != 0)
			abort();
		return;
	case WEBD_RANGE_PARTIAL:
		break;
	default:
		abort();
	}
	if (n == 0 || n > cap)
		abort();
	for (i = 0; i < n; i++) {
		if (r[i].start > r[i].end || r[i].end >= length)
			abort();
		if (r[i].end - r[i].start + 1 > length - sum)
			abort();
		sum += r[i].end - r[i].start + 1;
	}
	fuzz_texts(r, n, length);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct webd_range r[FUZZ_CAP_MAX], r2[FUZZ_CAP_MAX];
	enum webd_range_status st, st2;
	char cr[WEBD_RANGE_CONTENT_RANGE_SIZE];
	uint64_t length = 0;
	size_t cap, n, n2;
	int i;

	if (size < 9)
		return 0;
	cap = (data[0] & 0x3f) % (FUZZ_CAP_MAX + 1);
	for (i = 8; i >= 1; i--)
		length = length << 8 | data[i];
	if (data[0] & 0x80)
		length &= 0xffff;
	st = webd_range_parse((const char *)data + 9, size - 9, length, r, cap,
	    &n);
	fuzz_check(st, r, n, cap, length);
	if (st == WEBD_RANGE_UNSATISFIABLE && webd_range_content_range(cr,
	    sizeof(cr), NULL, length) >= sizeof(cr))
		abort();
	st2 = webd_range_parse((const char *)data + 9, size - 9, length, r2,
	    cap, &n2);
	if (st2 != st || n2 != n || memcmp(r, r2, n * sizeof(r[0])) != 0)
		abort();
	return 0;
}
