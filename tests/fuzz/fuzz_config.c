/*
 * fuzz_config.c: any bytes as a topology file, read from memory with the
 * test schemas of lbd and webd (every row type). It must never crash, hang
 * or leak: on success everything is looked up and freed, on failure the
 * errors are printed to memory and freed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../config/test_schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Looks up each daemon's first instance by host, as a daemon would. */
static void
fuzz_lookups(const struct topology *t)
{
	static const char *const daemons[] = { "lbd", "webd", "appd",
	    "dbproxyd" };
	const struct topo_daemon *d;
	const struct topo_instance *in;
	char *cause;
	size_t i;

	for (i = 0; i < sizeof(daemons) / sizeof(daemons[0]); i++) {
		d = topo_daemon(t, daemons[i]);
		if (d == NULL || d->ninst == 0)
			continue;
		in = topo_find(t, daemons[i], d->inst[0].host, NULL, &cause);
		if (in == NULL)
			free(cause);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct test_lbd lbd;
	static struct test_webd webd;
	const struct topo_spec specs[] = {
		{ "lbd", &test_lbd_schema, &lbd },
		{ "webd", &test_webd_schema, &webd },
	};
	struct cfg_errors errs;
	struct topology *t;
	char *text;

	memset(&errs, 0, sizeof(errs));
	t = topo_load_mem("fuzz.yaml", data, size, specs, 2, &errs);
	if (t != NULL) {
		fuzz_lookups(t);
		topo_free(t);
		cfg_free(&test_lbd_schema, &lbd);
		cfg_free(&test_webd_schema, &webd);
	}
	text = cfg_errors_join(&errs);
	free(text);
	cfg_errors_clear(&errs);
	return 0;
}
