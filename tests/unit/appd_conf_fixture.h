/*
 * appd_conf_fixture.h: the appd section of a test topology loaded into a
 * file-wide `conf` and freed again, for the unit tests of appd's
 * configuration (test_appd_conf.c, test_appd_direct.c).
 */
#ifndef TRIAD_TEST_APPD_CONF_FIXTURE_H
#define TRIAD_TEST_APPD_CONF_FIXTURE_H

/* One per test program that includes this (its only user). */
static struct appd_conf conf;

/*
 * Loads text, named path, into conf; returns the topology, or NULL when
 * the schema refuses it. *errors gets the schema's errors (the caller
 * frees it).
 */
static inline struct topology *
appd_fixture_load(const char *path, const char *text, char **errors)
{
	struct topo_spec spec = { "appd", &appd_conf_schema, &conf };
	struct cfg_errors errs;
	struct topology *t;

	memset(&errs, 0, sizeof(errs));
	memset(&conf, 0, sizeof(conf));
	t = topo_load_mem(path, text, strlen(text), &spec, 1, &errs);
	*errors = cfg_errors_join(&errs);
	cfg_errors_clear(&errs);
	return t;
}

/* Frees conf (with the paths the checks resolved) and t. */
static inline void
appd_fixture_unload(struct topology *t)
{
	struct appd_app *v = conf.apps.v;
	size_t i;

	for (i = 0; i < conf.apps.n; i++) {
		free(v[i].module_path);
		free(v[i].root_path);
	}
	cfg_free(&appd_conf_schema, &conf);
	topo_free(t);
}

#endif
