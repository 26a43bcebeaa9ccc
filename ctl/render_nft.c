/*
 * render_nft.c: the host's nftables ruleset, one table (inet triad) that
 * replaces itself when loaded again. Input is dropped unless it is:
 *  - an answer (established/related), loopback, ICMP needed by TCP;
 *  - a client port (lbd's listen and tls_listen, e.g. 80 and 443) on an lbd
 *    host, to the host's address or the VIP;
 *  - a daemon-to-daemon port (webd, appd and its apps' own listen,
 *    dbproxyd, MariaDB) from a host of the topology;
 *  - a status or admin port, or ssh, from admin_networks;
 *  - VRRP between the lbd hosts, when there is a VIP.
 * Checked with `nft -c -f FILE`.
 */
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "cidr.h"
#include "ctl.h"
#include "topology.h"
#include "util.h"
#ifdef CTL_HAVE_LBD
#include "lbd.h"
#endif

#define CTL_NFT_MAXPORTS	256

/* A set of ports, without repeats. */
struct ctl_ports {
	uint16_t	v[CTL_NFT_MAXPORTS];
	size_t		n;
};

/* Adds port, once. */
static void
ctl_ports_add_port(struct ctl_ports *p, uint16_t port)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->v[i] == port)
			return;
	if (p->n < CTL_NFT_MAXPORTS)
		p->v[p->n++] = port;
}

/* Adds a's port (TCP only; a unix socket has no port to open). */
static void
ctl_ports_add(struct ctl_ports *p, const struct net_addr *a)
{
	if (a->len == 0 || a->ss.ss_family == AF_UNIX)
		return;
	ctl_ports_add_port(p, addr_port(a));
}

/* "{ 80, 443 }" */
static void
ctl_ports_print(FILE *f, const struct ctl_ports *p)
{
	size_t i;

	fprintf(f, "{ ");
	for (i = 0; i < p->n; i++)
		fprintf(f, "%s%u", i ? ", " : "", p->v[i]);
	fprintf(f, " }");
}

/* appd apps' own listen ports (webd on other hosts reaches them). */
static void
ctl_nft_app_ports(const struct ctl_site *site, struct ctl_ports *internal)
{
	uint16_t ports[64];
	struct cfg_mark marks[64];
	size_t i, n = ctl_site_app_ports(site, ports, marks, 64);

	for (i = 0; i < n; i++)
		ctl_ports_add_port(internal, ports[i]);
}

/*
 * The ports of host: clients' (lbd), internal (other daemons, MariaDB)
 * and status ports that are not on loopback.
 */
static void
ctl_nft_ports(const struct ctl_site *site, const char *host,
    struct ctl_ports *client, struct ctl_ports *internal,
    struct ctl_ports *status)
{
	const struct topo_daemon *d;
	const struct topo_instance *in;
	size_t i, j, k;

	for (i = 0; i < TOPO_NDAEMONS; i++) {
		d = &site->topo->daemons[i];
		for (j = 0; j < d->ninst; j++) {
			in = &d->inst[j];
			if (strcmp(in->host, host) != 0)
				continue;
			for (k = 0; k < in->nlisten; k++)
				ctl_ports_add(i == TOPO_LBD ? client : internal,
				    &in->listen[k]);
			ctl_ports_add(status, &in->status);
			if (i == TOPO_APPD)
				ctl_nft_app_ports(site, internal);
		}
	}
}

#ifdef CTL_HAVE_LBD
/* lbd's tls_listen ports, when host runs lbd. */
static void
ctl_nft_tls_ports(const struct ctl_site *site, const char *host,
    struct ctl_ports *client)
{
	const struct topo_daemon *d = &site->topo->daemons[TOPO_LBD];
	struct net_addr a;
	char *cause = NULL;
	size_t i, k;

	if (site->lb == NULL)
		return;
	for (i = 0; i < d->ninst; i++) {
		if (strcmp(d->inst[i].host, host) != 0)
			continue;
		for (k = 0; k < site->lb->tls_listen.n; k++) {
			if (addr_parse(site->lb->tls_listen.v[k], "0.0.0.0", &a,
			    &cause) == 0)
				ctl_ports_add(client, &a);
			free(cause);
			cause = NULL;
		}
	}
}
#endif

/* Does host run MariaDB (primary or replica)? */
static int
ctl_nft_db_host(const struct topology *t, const char *host)
{
	size_t i;

	if (t->mariadb.primary == NULL)
		return 0;
	if (strcmp(t->mariadb.primary, host) == 0)
		return 1;
	for (i = 0; i < t->mariadb.replicas.n; i++)
		if (strcmp(t->mariadb.replicas.v[i], host) == 0)
			return 1;
	return 0;
}

/* The sets: the topology's hosts, the admin networks, the lbd hosts. */
static void
ctl_nft_sets(FILE *f, const struct ctl_site *site, int v6)
{
	const struct topo_host *h = site->topo->hosts.v;
	const struct cidr_list *an = &site->topo->admin_networks;
	const char *fam = v6 ? "ipv6_addr" : "ipv4_addr";
	char buf[CIDR_STRLEN];
	size_t i, n;

	fprintf(f, "\tset hosts%s {\n\t\ttype %s\n", v6 ? "6" : "4", fam);
	for (i = 0, n = 0; i < site->topo->hosts.n; i++)
		if ((h[i].addr.ss.ss_family == AF_INET6) == v6)
			fprintf(f, "%s%s", n++ ? ", " : "\t\telements = { ",
			    addr_host(&h[i].addr, buf, sizeof(buf)));
	fprintf(f, "%s\t}\n", n ? " }\n" : "");
	fprintf(f, "\tset admin%s {\n\t\ttype %s\n\t\tflags interval\n",
	    v6 ? "6" : "4", fam);
	for (i = 0, n = 0; i < an->n; i++)
		if (an->v[i].v4 != v6)
			fprintf(f, "%s%s", n++ ? ", " : "\t\telements = { ",
			    cidr_format(&an->v[i], buf, sizeof(buf)));
	fprintf(f, "%s\t}\n", n ? " }\n" : "");
}

/* Client ports, to this host's address and the VIP. */
static void
ctl_nft_client_rules(FILE *f, const struct ctl_site *site,
    const struct topo_host *h, const struct ctl_ports *client)
{
	char a[64], vip[64];
	const char *ip;

	if (client->n == 0)
		return;
	ip = h->addr.ss.ss_family == AF_INET6 ? "ip6" : "ip";
	addr_host(&h->addr, a, sizeof(a));
	vip[0] = '\0';
#ifdef CTL_HAVE_LBD
	if (site->lb != NULL && site->lb->vip.addr.len != 0)
		addr_host(&site->lb->vip.addr, vip, sizeof(vip));
#endif
	fprintf(f, "\t\t# clients: lbd\n\t\t%s daddr { %s%s%s } tcp dport ",
	    ip, a, vip[0] ? ", " : "", vip);
	ctl_ports_print(f, client);
	fprintf(f, " accept\n");
	if (vip[0] != '\0')
		fprintf(f, "\t\t# keepalived: VRRP between the lbd hosts\n"
		    "\t\t%s saddr @hosts%s meta l4proto vrrp accept\n", ip,
		    ip[2] == '6' ? "6" : "4");
}

/* The input chain. */
static void
ctl_nft_chain(FILE *f, const struct ctl_site *site, const char *host,
    const struct ctl_ports *client, const struct ctl_ports *internal,
    const struct ctl_ports *status)
{
	const struct topo_host *h = topo_host(site->topo, host);
	int v;

	fprintf(f, "\tchain input {\n\t\ttype filter hook input priority "
	    "filter; policy drop;\n"
	    "\t\tct state established,related accept\n"
	    "\t\tct state invalid drop\n\t\tiif lo accept\n"
	    "\t\tip protocol icmp icmp type { echo-request, "
	    "destination-unreachable, time-exceeded } accept\n"
	    "\t\tip6 nexthdr icmpv6 icmpv6 type { echo-request, "
	    "destination-unreachable, packet-too-big, time-exceeded, "
	    "nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert } "
	    "accept\n");
	ctl_nft_client_rules(f, site, h, client);
	for (v = 4; v <= 6; v += 2) {
		if (internal->n > 0) {
			fprintf(f, "\t\t# daemons and MariaDB: from the "
			    "topology's hosts only\n\t\tip%s saddr @hosts%d "
			    "tcp dport ", v == 6 ? "6" : "", v);
			ctl_ports_print(f, internal);
			fprintf(f, " accept\n");
		}
		fprintf(f, "\t\t# status, admin and ssh: from "
		    "admin_networks only\n\t\tip%s saddr @admin%d tcp dport ",
		    v == 6 ? "6" : "", v);
		ctl_ports_print(f, status);
		fprintf(f, " accept\n");
	}
	fprintf(f, "\t}\n");
}

int
ctl_render_nft(const struct ctl_site *site, const char *host,
    const struct ctl_render_opts *o, char **cause)
{
	struct ctl_ports client, internal, status;
	struct net_addr a;
	FILE *f;

	memset(&client, 0, sizeof(client));
	memset(&internal, 0, sizeof(internal));
	memset(&status, 0, sizeof(status));
	ctl_nft_ports(site, host, &client, &internal, &status);
#ifdef CTL_HAVE_LBD
	ctl_nft_tls_ports(site, host, &client);
#endif
	memset(&a, 0, sizeof(a));
	a.ss.ss_family = AF_INET;
	a.len = sizeof(struct sockaddr_in);
	if (ctl_nft_db_host(site->topo, host)) {
		((struct sockaddr_in *)&a.ss)->sin_port =
		    htons((uint16_t)site->topo->mariadb.port);
		ctl_ports_add(&internal, &a);
	}
	((struct sockaddr_in *)&a.ss)->sin_port = htons(22);
	ctl_ports_add(&status, &a);
	if ((f = ctl_render_open(o, "nftables/triad.nft", 0644,
	    cause)) == NULL)
		return -1;
	fprintf(f, "#!/usr/sbin/nft -f\n# Rendered by triadctl from %s for "
	    "host %s.\n# Load: nft -f triad.nft (it replaces table inet "
	    "triad).\n\ntable inet triad\ndelete table inet triad\n\n"
	    "table inet triad {\n", site->topo->file, host);
	ctl_nft_sets(f, site, 0);
	ctl_nft_sets(f, site, 1);
	ctl_nft_chain(f, site, host, &client, &internal, &status);
	fprintf(f, "}\n");
	return ctl_render_close(o, f, "nftables/triad.nft", cause);
}
