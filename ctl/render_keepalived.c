/*
 * render_keepalived.c: keepalived's side of lbd's VIP (lbd.vip,
 * vip_interface, vrid), for each lbd host when the VIP is set. The first
 * lbd host in the topology has the higher priority; both use unicast
 * VRRP to the other lbd hosts (no multicast needed on the network), and a
 * track_script asks this host's lbd for /health: when lbd is down or has
 * no usable server, the VIP moves. Checked with `keepalived -t -f FILE`.
 */
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "ctl.h"
#include "topology.h"
#include "util.h"
#ifdef CTL_HAVE_LBD
#include "lbd.h"
#endif

#ifdef CTL_HAVE_LBD
/* vrrp_script: lbd's /health on its status port, one second at most. */
static void
ctl_keepalived_script(FILE *f, const struct topo_instance *in)
{
	struct net_addr a;
	char addr[NET_ADDR_STRLEN];

	if (ctl_status_addr(in, 1, &a) == -1 || a.ss.ss_family == AF_UNIX) {
		fprintf(f, "# lbd %s has no TCP status port: tracking its "
		    "process instead\nvrrp_script chk_lbd {\n\tscript "
		    "\"/usr/bin/pgrep -x lbd\"\n\tinterval 1\n\tfall 2\n"
		    "\trise 1\n}\n\n", in->name);
		return;
	}
	addr_format(&a, addr, sizeof(addr));
	fprintf(f, "vrrp_script chk_lbd {\n\tscript \"/usr/bin/curl -fsS -m 1 "
	    "-o /dev/null http://%s/health\"\n\tinterval 1\n\ttimeout 2\n"
	    "\tfall 2\n\trise 1\n}\n\n", addr);
}

/* vrrp_instance: this host's priority and its unicast peers. */
static void
ctl_keepalived_instance(FILE *f, const struct ctl_site *site,
    const struct topo_daemon *d, size_t self)
{
	const struct topo_host *peer;
	char a[64];
	size_t i;

	fprintf(f, "vrrp_instance triad_vip {\n\tstate BACKUP\n"
	    "\tinterface %s\n\tvirtual_router_id %lld\n\tpriority %zu\n"
	    "\tadvert_int 1\n\tunicast_src_ip %s\n\tunicast_peer {\n",
	    site->lb->vip_interface, (long long)site->lb->vrid,
	    self == 0 ? (size_t)150 : 100 - (self < 50 ? self : 50),
	    addr_host(&d->inst[self].host_addr, a, sizeof(a)));
	for (i = 0; i < d->ninst; i++) {
		if (strcmp(d->inst[i].host, d->inst[self].host) == 0)
			continue;
		if ((peer = topo_host(site->topo, d->inst[i].host)) != NULL)
			fprintf(f, "\t\t%s\n", addr_host(&peer->addr, a,
			    sizeof(a)));
	}
	fprintf(f, "\t}\n\tvirtual_ipaddress {\n\t\t%s dev %s\n\t}\n"
	    "\ttrack_script {\n\t\tchk_lbd\n\t}\n}\n", site->lb->vip.text,
	    site->lb->vip_interface);
}
#endif

int
ctl_render_keepalived(const struct ctl_site *site, const char *host,
    const struct ctl_render_opts *o, char **cause)
{
#ifdef CTL_HAVE_LBD
	const struct topo_daemon *d = &site->topo->daemons[TOPO_LBD];
	const char *name = "keepalived/keepalived.conf";
	size_t i;
	FILE *f;

	if (site->lb == NULL || site->lb->vip.addr.len == 0)
		return 0;
	for (i = 0; i < d->ninst; i++)
		if (strcmp(d->inst[i].host, host) == 0)
			break;
	if (i == d->ninst)
		return 0;	/* not an lbd host */
	if ((f = ctl_render_open(o, name, 0644, cause)) == NULL)
		return -1;
	fprintf(f, "# Rendered by triadctl from %s for host %s: the VIP of "
	    "lbd.\nglobal_defs {\n\trouter_id triad_%s\n"
	    "\tenable_script_security\n\tscript_user nobody\n}\n\n",
	    site->topo->file, host, host);
	ctl_keepalived_script(f, &d->inst[i]);
	ctl_keepalived_instance(f, site, d, i);
	return ctl_render_close(o, f, name, cause);
#else
	return 0;
#endif
}
