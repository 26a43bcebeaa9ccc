/*
 * lifecycle_conf.c: the bridge from the topology to the lifecycle's
 * generic settings, shared by every daemon's load. See lifecycle.h.
 */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "alog.h"
#include "config.h"
#include "lifecycle.h"
#include "topology.h"
#include "util.h"

/* Copies the generic settings of this instance. */
static void
lc_conf_settings(const struct topo_instance *in, struct lc_settings *s)
{
	memset(s, 0, sizeof(*s));
	util_strlcpy(s->instance, in->name, sizeof(s->instance));
	s->workers = in->workers;
	if (in->user != NULL)
		util_strlcpy(s->user, in->user, sizeof(s->user));
	if (in->group != NULL)
		util_strlcpy(s->group, in->group, sizeof(s->group));
	if (in->pidfile != NULL)
		util_strlcpy(s->pidfile, in->pidfile, sizeof(s->pidfile));
	if (in->error_log != NULL)
		util_strlcpy(s->error_log, in->error_log,
		    sizeof(s->error_log));
	s->log_level = in->log_level;
	s->shutdown_timeout_ms = (uint64_t)in->shutdown_timeout_ms;
	s->status = in->status;
}

struct topology *
lc_conf_load(const struct lc_opts *opts, const char *daemon,
    const struct cfg_schema *schema, void *dst, struct lc_settings *settings,
    const struct topo_instance **self, char **errors)
{
	struct topo_spec spec = { daemon, schema, dst };
	struct cfg_errors errs;
	struct topology *t;
	char *cause = NULL;

	memset(&errs, 0, sizeof(errs));
	*errors = NULL;
	if ((t = topo_load_file(opts->conf_path, &spec, 1, &errs)) == NULL) {
		*errors = cfg_errors_join(&errs);
		cfg_errors_clear(&errs);
		return NULL;
	}
	*self = topo_find(t, daemon, opts->host, opts->instance, &cause);
	if (*self == NULL) {
		xasprintf(errors, "%s: %s", opts->conf_path, cause);
		free(cause);
		if (schema != NULL)
			cfg_free(schema, dst);
		topo_free(t);
		return NULL;
	}
	lc_conf_settings(*self, settings);
	return t;
}

char *
lc_conf_path(const char *conf_path, const char *path)
{
	char *copy, *out;

	if (path[0] == '/')
		return xstrdup(path);
	copy = xstrdup(conf_path);
	xasprintf(&out, "%s/%s", dirname(copy), path);
	free(copy);
	return out;
}

int
lc_conf_alog(const char *conf_path, const char *path, struct alog **out,
    char **cause)
{
	char *p;

	*out = NULL;
	if (path == NULL)
		return 0;
	p = lc_conf_path(conf_path, path);
	*out = alog_open(p, cause);
	free(p);
	return *out == NULL && *cause != NULL ? -1 : 0;
}
