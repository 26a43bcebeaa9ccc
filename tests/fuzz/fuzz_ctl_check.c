/*
 * fuzz_ctl_check.c: any bytes as a topology, through `triadctl check`:
 * the topology loader with every daemon's real schema (lbd, webd, appd,
 * dbproxyd, with their own value parsers) and triadctl's cross checks,
 * which run on whatever part of the file loaded. It must never crash,
 * hang or leak. The bytes go through a memfd, since the loader (like the
 * daemons) reads a path.
 */
#include <sys/mman.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct ctl_site site;
	struct cfg_errors errs;
	char *text;

	if (fd == -1) {
		if ((fd = memfd_create("fuzz-topology.yaml", MFD_CLOEXEC)) == -1)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) == -1 ||
	    pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	memset(&errs, 0, sizeof(errs));
	if (ctl_site_load(path, &site, &errs, NULL) == 0)
		ctl_site_free(&site);
	text = cfg_errors_join(&errs);
	free(text);
	cfg_errors_clear(&errs);
	return 0;
}
