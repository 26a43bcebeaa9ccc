/*
 * fuzz_webd_path.c: libFuzzer harness for webd's path normalizer.
 *
 * Beyond "no crash, no over-read", it checks what webd relies on: an
 * accepted path is absolute, has no "//", no "/./", no "/../", does not
 * end with "/." or "/..", holds no NUL, control byte or backslash, and
 * normalizing it again (as a decoded path) gives it back unchanged with
 * the same findings. A refusal always says why and leaves out empty.
 * Both the target and the decoded-path modes are exercised on the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts unless out (len bytes) has the shape of a normalized path. */
static void
fuzz_check_shape(const char *out, size_t len)
{
	size_t i;

	if (len == 0 || out[0] != '/' || strlen(out) != len)
		abort();
	if (strstr(out, "//") != NULL || strstr(out, "/./") != NULL ||
	    strstr(out, "/../") != NULL)
		abort();
	if ((len >= 2 && strcmp(out + len - 2, "/.") == 0) ||
	    (len >= 3 && strcmp(out + len - 3, "/..") == 0))
		abort();
	for (i = 0; i < len; i++) {
		if ((uint8_t)out[i] < 0x20 || out[i] == 0x7f || out[i] == '\\')
			abort();
	}
}

/* Normalizes data with opts and checks the result and its fixed point. */
static void
fuzz_one(const uint8_t *data, size_t size, unsigned opts)
{
	struct webd_path_res res, again;
	char out[1024], out2[1024];
	int st;

	st = webd_path_normalize((const char *)data, size, opts, out,
	    sizeof(out), &res);
	if (st != WEBD_PATH_OK && st != WEBD_PATH_NOTFOUND) {
		if ((st != WEBD_PATH_BAD && st != WEBD_PATH_TOOLONG) ||
		    res.why == NULL || out[0] != '\0')
			abort();
		return;
	}
	fuzz_check_shape(out, res.len);
	if ((st == WEBD_PATH_NOTFOUND) != ((res.flags & WEBD_PATH_HIDDEN) &&
	    !(opts & WEBD_PATH_DOTFILES)))
		abort();
	if (!!(res.flags & WEBD_PATH_DIR) != (out[res.len - 1] == '/'))
		abort();
	st = webd_path_normalize(out, res.len, WEBD_PATH_DECODED |
	    WEBD_PATH_DOTFILES, out2, sizeof(out2), &again);
	if (st != WEBD_PATH_OK || strcmp(out, out2) != 0 ||
	    again.flags != res.flags)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_one(data, size, 0);
	fuzz_one(data, size, WEBD_PATH_DOTFILES);
	fuzz_one(data, size, WEBD_PATH_DECODED);
	return 0;
}
