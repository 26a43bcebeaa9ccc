/*
 * site.c: the topology as triadctl sees it: one load with the schema of
 * every daemon linked into triadctl, so each section is checked as strictly
 * as the daemon itself would, then triadctl's cross checks (check.c).
 */
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "ctl.h"
#include "topology.h"
#include "util.h"

#ifdef CTL_HAVE_LBD
extern const struct cfg_schema lb_conf_schema;
#endif
#ifdef CTL_HAVE_WEBD
extern const struct cfg_schema webd_conf_schema;
#endif
#ifdef CTL_HAVE_APPD
#include "appd.h"
extern const struct cfg_schema appd_conf_schema;
#endif
#ifdef CTL_HAVE_DBPROXYD
extern const struct cfg_schema dbproxyd_conf_schema;
#endif

static const char *const ctl_daemon_names[TOPO_NDAEMONS] = {
	"lbd", "webd", "appd", "dbproxyd",
};

/* The schema of daemon id built into this triadctl, or NULL. */
static const struct cfg_schema *
ctl_site_schema(int id)
{
	switch (id) {
#ifdef CTL_HAVE_LBD
	case TOPO_LBD:
		return &lb_conf_schema;
#endif
#ifdef CTL_HAVE_WEBD
	case TOPO_WEBD:
		return &webd_conf_schema;
#endif
#ifdef CTL_HAVE_APPD
	case TOPO_APPD:
		return &appd_conf_schema;
#endif
#ifdef CTL_HAVE_DBPROXYD
	case TOPO_DBPROXYD:
		return &dbproxyd_conf_schema;
#endif
	default:
		return NULL;
	}
}

size_t
ctl_site_app_ports(const struct ctl_site *site, uint16_t *ports,
    struct cfg_mark *marks, size_t max)
{
	size_t n = 0;
#ifdef CTL_HAVE_APPD
	const struct appd_conf *c = site->conf[TOPO_APPD];
	const struct appd_app *a;
	struct net_addr addr;
	char *cause = NULL;
	size_t i, k;

	if (c == NULL || !site->topo->daemons[TOPO_APPD].present)
		return 0;
	a = c->apps.v;
	for (i = 0; i < c->apps.n; i++)
		for (k = 0; k < a[i].listen.n && n < max; k++) {
			if (addr_parse(a[i].listen.v[k], "0.0.0.0", &addr,
			    &cause) == -1) {
				free(cause);	/* appd reports it */
				cause = NULL;
				continue;
			}
			if (addr.ss.ss_family == AF_UNIX)
				continue;
			ports[n] = addr_port(&addr);
			marks[n++] = a[i].listen.marks[k];
		}
#endif
	return n;
}

int
ctl_site_daemon_index(const char *daemon)
{
	int i;

	for (i = 0; i < TOPO_NDAEMONS; i++)
		if (strcmp(ctl_daemon_names[i], daemon) == 0)
			return i;
	return -1;
}

/*
 * One spec per daemon whose schema is built in, each with a zeroed dst of
 * the schema's size; the others are read for their generic keys only (a
 * notice says so, since their own keys then go unchecked).
 */
static void
ctl_site_specs(struct ctl_site *site, FILE *notices)
{
	const struct cfg_schema *schema;
	int i;

	for (i = 0; i < TOPO_NDAEMONS; i++) {
		if ((schema = ctl_site_schema(i)) == NULL) {
			if (notices != NULL)
				fprintf(notices, "triadctl: notice: %s is not "
				    "built into this triadctl: its section is "
				    "checked for the generic keys only\n",
				    ctl_daemon_names[i]);
			continue;
		}
		site->conf[i] = xcalloc(1, schema->size);
		site->specs[site->nspecs].daemon = ctl_daemon_names[i];
		site->specs[site->nspecs].schema = schema;
		site->specs[site->nspecs].dst = site->conf[i];
		site->nspecs++;
	}
	site->lb = site->conf[TOPO_LBD];
	site->webd = site->conf[TOPO_WEBD];
}

int
ctl_site_load(const char *path, struct ctl_site *site,
    struct cfg_errors *errs, FILE *notices)
{
	size_t before = cfg_errors_count(errs);

	memset(site, 0, sizeof(*site));
	ctl_site_specs(site, notices);
	/* Kept after errors, so that the cross checks below run in the same
	   pass and one run shows everything (they cope with missing
	   values). */
	site->topo = topo_load_file_all(path, site->specs, site->nspecs, errs);
	if (site->topo == NULL) {
		ctl_site_free(site);	/* not a document: nothing was read */
		return -1;
	}
	site->doc = cfg_doc_load_file(path, errs);
	if (site->doc != NULL)
		(void)ctl_check_site(site, errs);
	if (site->doc == NULL || cfg_errors_count(errs) > before) {
		cfg_errors_sort(errs);
		ctl_site_free(site);
		return -1;
	}
	return 0;
}

void
ctl_site_free(struct ctl_site *site)
{
	size_t i;

	if (site->topo != NULL) {
		for (i = 0; i < site->nspecs; i++)
			cfg_free(site->specs[i].schema, site->specs[i].dst);
		topo_free(site->topo);
	}
	for (i = 0; i < TOPO_NDAEMONS; i++)
		free(site->conf[i]);
	cfg_doc_free(site->doc);
	memset(site, 0, sizeof(*site));
}

struct cfg_mark
ctl_site_mark(const struct ctl_site *site, const char *section,
    const char *key)
{
	struct cfg_mark none = { 0, 0 };
	const struct cfg_node *n;

	if (site->doc == NULL || site->doc->root == NULL)
		return none;
	if ((n = cfg_node_get(site->doc->root, section)) == NULL)
		return none;
	if (key != NULL && (n = cfg_node_get(n, key)) == NULL)
		return none;
	return n->mark;
}
