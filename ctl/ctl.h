/*
 * ctl.h: triadctl's modules (types in ctl-t.h).
 *
 *	triadctl check FILE
 *	triadctl render FILE HOST --out DIR [--conf PATH] [--sbindir DIR]
 *	triadctl status FILE [--json]
 *	triadctl drain|enable FILE SERVER
 */
#ifndef CTL_H
#define CTL_H

#include <stdio.h>

#include "ctl-t.h"

/* ---- the site (site.c) ---- */

/*
 * ctl_site_load: reads path with every daemon's schema linked in, then
 * runs triadctl's own cross checks (check.c). Returns 0; or -1 with every
 * error in errs (sorted), and site emptied. notices (may be NULL) gets
 * one line per daemon whose schema is not built in.
 */
int	ctl_site_load(const char *path, struct ctl_site *, struct cfg_errors *,
	    FILE *notices);
void	ctl_site_free(struct ctl_site *);
/*
 * ctl_site_mark: where section.key (key may be NULL: the section) is
 * written, or line 0 when it is not in the file.
 */
struct cfg_mark ctl_site_mark(const struct ctl_site *, const char *section,
	    const char *key);
/*
 * ctl_site_app_ports: the TCP ports of appd apps' own `listen` (every
 * appd instance binds them; unix: ones have no port), with where each is
 * written, at most max. Returns how many.
 */
size_t	ctl_site_app_ports(const struct ctl_site *, uint16_t *ports,
	    struct cfg_mark *marks, size_t max);
/* ctl_site_daemon_index: TOPO_LBD... for "lbd"..., or -1. */
int	ctl_site_daemon_index(const char *daemon);

/* ---- cross checks (check.c) ---- */

/*
 * ctl_check_site: the checks that need more than one daemon's own keys:
 * the VIP has two lbd hosts, lbd's servers and backups exist, webd routes
 * name a daemon that runs, dbproxyd has servers, lbd's tls_listen and
 * MariaDB's port do not clash with another port of the host. Adds to
 * errs; returns how many.
 */
size_t	ctl_check_site(const struct ctl_site *, struct cfg_errors *);

/* ---- render (render*.c) ---- */

/* ctl_render: writes every file host needs into opts->outdir. */
int	ctl_render(const struct ctl_site *, const char *host,
	    const struct ctl_render_opts *, char **cause);
/* One writer per kind of file; each returns 0 or -1 with *cause. */
int	ctl_render_units(const struct ctl_site *, const char *host,
	    const struct ctl_render_opts *, char **cause);
int	ctl_render_nft(const struct ctl_site *, const char *host,
	    const struct ctl_render_opts *, char **cause);
int	ctl_render_keepalived(const struct ctl_site *, const char *host,
	    const struct ctl_render_opts *, char **cause);
int	ctl_render_mariadb(const struct ctl_site *, const char *host,
	    const struct ctl_render_opts *, char **cause);
/*
 * ctl_render_open: opens outdir/name.tmp for writing (mode), making the
 * folders on the way. Returns the stream or NULL with *cause.
 */
FILE	*ctl_render_open(const struct ctl_render_opts *, const char *name,
	    int mode, char **cause);
/*
 * ctl_render_close: closes f and renames it into place (a file is whole
 * or absent); -1 with *cause if any write failed.
 */
int	ctl_render_close(const struct ctl_render_opts *, FILE *,
	    const char *name, char **cause);

/* ---- HTTP client of the status ports (http.c) ---- */

/*
 * ctl_http: one HTTP/1.0 exchange with addr (TCP or unix), method and
 * path, body (may be NULL, form-encoded). Waits at most timeout_ms in all.
 * Returns the status code with the body in *out (NUL-terminated, caller
 * frees, at most 4 MiB), or -1 with *cause.
 */
int	ctl_http(const struct net_addr *, const char *method, const char *path,
	    const char *body, int timeout_ms, char **out, char **cause);

/* ---- commands (status.c, admin.c) ---- */

/* ctl_status: queries every instance, prints the table (or JSON). */
int	ctl_status(const struct ctl_site *, int json, FILE *);
/*
 * ctl_status_addr: the address to ask for inst's status. A wildcard one
 * (0.0.0.0, ::) is asked at loopback when local (admin actions, which lbd
 * takes from loopback only, and keepalived's check on the same host), else
 * at the host's address. Returns -1 when it has no status listener.
 */
int	ctl_status_addr(const struct topo_instance *, int local,
	    struct net_addr *);
/*
 * ctl_admin_server: sets server (a name of lbd's servers) to state
 * ("ready", "drain", "maint") on every lbd instance whose status port it
 * can reach. Prints one line per lbd. Returns 0 when at least one lbd
 * accepted and none refused.
 */
int	ctl_admin_server(const struct ctl_site *, const char *server,
	    const char *state, FILE *);

/* ---- the command line (ctl.c) ---- */
int	ctl_main(int argc, char **argv);

#endif
