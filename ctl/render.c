/*
 * render.c: `triadctl render FILE HOST --out DIR`: everything one host
 * needs, from the one topology: systemd units (render_unit.c), an
 * nftables ruleset (render_nft.c), keepalived's config for a VIP pair
 * (render_keepalived.c), MariaDB fragments and the replication bootstrap
 * (render_mariadb.c). Files are written whole or not at all (a temporary
 * name, then rename), so a failed render never leaves half a unit behind.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "topology.h"
#include "util.h"

/* mkdir -p of path's folders (path itself is a file name). */
static int
ctl_render_mkdirs(const char *path, char **cause)
{
	char *copy = xstrdup(path), *p;

	for (p = copy + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(copy, 0755) == -1 && errno != EEXIST) {
			xasprintf(cause, "mkdir %s: %s", copy,
			    strerror(errno));
			free(copy);
			return -1;
		}
		*p = '/';
	}
	free(copy);
	return 0;
}

FILE *
ctl_render_open(const struct ctl_render_opts *o, const char *name,
    int mode, char **cause)
{
	char *path, *tmp;
	FILE *f;

	xasprintf(&path, "%s/%s", o->outdir, name);
	xasprintf(&tmp, "%s.tmp", path);
	f = NULL;
	if (ctl_render_mkdirs(path, cause) == 0) {
		(void)unlink(tmp);
		if ((f = fopen(tmp, "wx")) == NULL)
			xasprintf(cause, "%s: %s", tmp, strerror(errno));
		else
			(void)fchmod(fileno(f), (mode_t)mode);
	}
	free(tmp);
	free(path);
	return f;
}

int
ctl_render_close(const struct ctl_render_opts *o, FILE *f, const char *name,
    char **cause)
{
	char *path, *tmp;
	int bad = ferror(f), rc = 0;

	xasprintf(&path, "%s/%s", o->outdir, name);
	xasprintf(&tmp, "%s.tmp", path);
	if (fclose(f) == EOF || bad) {
		xasprintf(cause, "%s: write failed", tmp);
		(void)unlink(tmp);
		rc = -1;
	} else if (rename(tmp, path) == -1) {
		xasprintf(cause, "rename %s: %s", tmp, strerror(errno));
		rc = -1;
	}
	free(tmp);
	free(path);
	return rc;
}

/* README: where each rendered file goes on host, in the order to do it. */
static int
ctl_render_readme(const struct ctl_site *site, const char *host,
    const struct ctl_render_opts *o, char **cause)
{
	FILE *f;

	if ((f = ctl_render_open(o, "README", 0644, cause)) == NULL)
		return -1;
	fprintf(f, "Rendered by triadctl from %s for host %s.\n\n"
	    "1. Copy the topology to %s on every host (the same file).\n"
	    "2. Firewall: install -m 644 nftables/triad.nft /etc/nftables.d/ "
	    "and load it:\n   nft -f nftables/triad.nft\n"
	    "3. MariaDB (if mariadb/ is here): install -m 644 "
	    "mariadb/60-triad.cnf /etc/mysql/mariadb.conf.d/,\n"
	    "   restart MariaDB, then once: TRIAD_REPL_PASSWORD=... sh "
	    "mariadb/bootstrap.sh\n   (the primary first).\n"
	    "4. keepalived (if keepalived/ is here): install -m 644 "
	    "keepalived/keepalived.conf\n   /etc/keepalived/ and restart "
	    "keepalived.\n"
	    "5. Units: install -m 644 systemd/* /etc/systemd/system/, then\n"
	    "   systemctl daemon-reload && systemctl enable --now "
	    "triad.target\n", site->topo->file, host, o->conf_path);
	return ctl_render_close(o, f, "README", cause);
}

int
ctl_render(const struct ctl_site *site, const char *host,
    const struct ctl_render_opts *o, char **cause)
{
	if (topo_host(site->topo, host) == NULL) {
		xasprintf(cause, "no host '%s' in %s", host, site->topo->file);
		return -1;
	}
	if (ctl_render_units(site, host, o, cause) == -1 ||
	    ctl_render_nft(site, host, o, cause) == -1 ||
	    ctl_render_keepalived(site, host, o, cause) == -1 ||
	    ctl_render_mariadb(site, host, o, cause) == -1 ||
	    ctl_render_readme(site, host, o, cause) == -1)
		return -1;
	return 0;
}
