/*
 * admin.c: `triadctl drain|enable SERVER`: lbd's admin action
 * (POST /admin/server, name=..&state=drain|ready) on every lbd instance.
 * lbd accepts admin actions from loopback only, so this runs on an lbd
 * host, and a wildcard status address is asked on loopback; an lbd that
 * cannot be reached (or refuses) is reported and the others are still
 * told.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "topology.h"
#include "util.h"

/* The form body, with name percent-encoded where it is not a token. */
static char *
ctl_admin_body(const char *server, const char *state)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, n = 0, len = strlen(server);
	char *enc = xmalloc(len * 3 + 1), *body;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)server[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.') {
			enc[n++] = (char)c;
		} else {
			enc[n++] = '%';
			enc[n++] = hex[c >> 4];
			enc[n++] = hex[c & 15];
		}
	}
	enc[n] = '\0';
	xasprintf(&body, "name=%s&state=%s", enc, state);
	free(enc);
	return body;
}

/* Tells one lbd; prints its answer. Returns the HTTP code or -1. */
static int
ctl_admin_one(const struct topo_instance *in, const char *body, FILE *f)
{
	struct net_addr a;
	char addr[NET_ADDR_STRLEN], *out = NULL, *cause = NULL, *nl;
	int code;

	if (ctl_status_addr(in, 1, &a) == -1) {
		fprintf(f, "%s (%s): no status listener\n", in->name, in->host);
		return -1;
	}
	addr_format(&a, addr, sizeof(addr));
	code = ctl_http(&a, "POST", "/admin/server", body, 3000, &out,
	    &cause);
	if (code == -1) {
		fprintf(f, "%s (%s) at %s: %s\n", in->name, in->host, addr,
		    cause);
		free(cause);
		return -1;
	}
	if ((nl = strchr(out, '\n')) != NULL)
		*nl = '\0';
	fprintf(f, "%s (%s) at %s: %d %s\n", in->name, in->host, addr, code,
	    out);
	free(out);
	return code;
}

int
ctl_admin_server(const struct ctl_site *site, const char *server,
    const char *state, FILE *f)
{
	const struct topo_daemon *d = &site->topo->daemons[TOPO_LBD];
	size_t i, ok = 0, bad = 0;
	char *body;
	int code;

	if (d->ninst == 0) {
		fprintf(f, "no lbd instance in %s\n", site->topo->file);
		return -1;
	}
	body = ctl_admin_body(server, state);
	for (i = 0; i < d->ninst; i++) {
		code = ctl_admin_one(&d->inst[i], body, f);
		if (code == 200)
			ok++;
		else if (code != -1)
			bad++;
	}
	free(body);
	return ok > 0 && bad == 0 ? 0 : -1;
}
