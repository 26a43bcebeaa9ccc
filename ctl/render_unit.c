/*
 * render_unit.c: one systemd unit per instance on the host, and
 * triad.target that wants them all. The units are Type=notify with a
 * watchdog (common/sdnotify.c feeds it only while every worker turns),
 * check the configuration before a start and a reload, and are hardened
 * so that `systemd-analyze security` rates each at 2.0 or less: the
 * daemons need the network, their files and, for ports below 1024, one
 * capability; everything else is taken away.
 */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "topology.h"
#include "util.h"
#ifdef CTL_HAVE_LBD
#include "lbd.h"
#endif

/* Does inst bind a port below 1024 (it then needs CAP_NET_BIND_SERVICE)? */
static int
ctl_unit_low_port(const struct ctl_site *site, const struct topo_instance *in)
{
	struct net_addr a;
	char *cause = NULL;
	size_t k;

	for (k = 0; k < in->nlisten; k++)
		if (in->listen[k].ss.ss_family != AF_UNIX &&
		    addr_port(&in->listen[k]) < 1024)
			return 1;
	if (in->status.len != 0 && in->status.ss.ss_family != AF_UNIX &&
	    addr_port(&in->status) < 1024)
		return 1;
#ifdef CTL_HAVE_LBD
	if (strcmp(in->daemon, "lbd") == 0 && site->lb != NULL)
		for (k = 0; k < site->lb->tls_listen.n; k++) {
			if (addr_parse(site->lb->tls_listen.v[k], "0.0.0.0",
			    &a, &cause) == -1) {
				free(cause);
				cause = NULL;
				continue;
			}
			if (a.ss.ss_family != AF_UNIX && addr_port(&a) < 1024)
				return 1;
		}
#endif
	return 0;
}

/*
 * path without "." and ".." segments (lexically: the path is on the
 * target host, not here), in place. systemd refuses paths that are not
 * normalized.
 */
static void
ctl_unit_normalize(char *path)
{
	char *in = path, *out = path, *seg;

	while (*in != '\0') {
		while (*in == '/')
			in++;
		seg = in;
		while (*in != '\0' && *in != '/')
			in++;
		if (in - seg == 1 && seg[0] == '.')
			continue;
		if (in - seg == 2 && seg[0] == '.' && seg[1] == '.') {
			while (out > path && *--out != '/')
				;
			continue;
		}
		if (in == seg)
			break;
		*out++ = '/';
		memmove(out, seg, (size_t)(in - seg));
		out += in - seg;
	}
	if (out == path)
		*out++ = '/';
	*out = '\0';
}

/*
 * A file the daemon writes (log, pidfile): its folder must be writable
 * under ProtectSystem=strict. Relative paths are the topology's folder's.
 */
static void
ctl_unit_rw(FILE *f, const struct ctl_render_opts *o, const char *path)
{
	char *full, *dir;

	if (path == NULL || *path == '\0')
		return;
	if (path[0] == '/')
		full = xstrdup(path);
	else {
		dir = xstrdup(o->conf_path);
		xasprintf(&full, "%s/%s", dirname(dir), path);
		free(dir);
	}
	ctl_unit_normalize(full);
	fprintf(f, "ReadWritePaths=-%s\n", dirname(full));
	free(full);
}

/* The [Unit] and the commands of the [Service] section. */
static void
ctl_unit_head(FILE *f, const struct ctl_site *site,
    const struct topo_instance *in, const struct ctl_render_opts *o)
{
	char args[512];

	snprintf(args, sizeof(args), "-c %s --host %s --instance %s",
	    o->conf_path, in->host, in->name);
	fprintf(f, "# Rendered by triadctl from %s for host %s: do not "
	    "edit, render again.\n", site->topo->file, in->host);
	fprintf(f, "[Unit]\nDescription=triad %s %s (site %s)\n"
	    "After=network-online.target\nWants=network-online.target\n"
	    "PartOf=triad.target\n\n", in->daemon, in->name,
	    site->topo->site != NULL ? site->topo->site : "-");
	fprintf(f, "[Service]\nType=notify\nNotifyAccess=main\n"
	    "ExecStartPre=%s/%s -t %s\nExecStart=%s/%s -f %s\n"
	    "ExecReload=%s/%s -t %s\nExecReload=/bin/kill -HUP $MAINPID\n",
	    o->sbindir, in->daemon, args, o->sbindir, in->daemon, args,
	    o->sbindir, in->daemon, args);
	fprintf(f, "Restart=on-failure\nRestartSec=1s\nWatchdogSec=10s\n"
	    "TimeoutStopSec=%llds\nKillMode=mixed\n",
	    (long long)((in->shutdown_timeout_ms > 0 ?
	    in->shutdown_timeout_ms : 10000) / 1000 + 5));
}

/*
 * The sandbox. Every line is one of `systemd-analyze security`'s items;
 * what a daemon needs is kept: AF_INET/AF_INET6/AF_UNIX, writing its
 * state, log and runtime folders, CAP_NET_BIND_SERVICE for a low port
 * (then without PrivateUsers, whose capabilities would not count outside),
 * and setrlimit for a daemon that limits its children (appd's workers).
 */
static void
ctl_unit_sandbox(FILE *f, const struct topo_instance *in,
    const struct ctl_render_opts *o, int lowport, int rlimits)
{
	/* The topology's user for the instance wins: the daemon then finds
	   itself already that user (lc_privdrop) instead of failing. */
	const char *user = in->user != NULL ? in->user : o->user;

	fprintf(f, "User=%s\nGroup=%s\n", user, in->group != NULL ?
	    in->group : user);
	if (lowport)
		fprintf(f, "AmbientCapabilities=CAP_NET_BIND_SERVICE\n"
		    "CapabilityBoundingSet=CAP_NET_BIND_SERVICE\n");
	else
		fprintf(f, "CapabilityBoundingSet=\nPrivateUsers=yes\n");
	fprintf(f, "NoNewPrivileges=yes\nProtectSystem=strict\n"
	    "ProtectHome=yes\nPrivateTmp=yes\nPrivateDevices=yes\n"
	    "DevicePolicy=closed\nProtectKernelTunables=yes\n"
	    "ProtectKernelModules=yes\nProtectKernelLogs=yes\n"
	    "ProtectControlGroups=yes\nProtectClock=yes\n"
	    "ProtectHostname=yes\nProtectProc=invisible\nProcSubset=pid\n"
	    "RestrictNamespaces=yes\nRestrictRealtime=yes\n"
	    "RestrictSUIDSGID=yes\nLockPersonality=yes\n"
	    "MemoryDenyWriteExecute=yes\nRemoveIPC=yes\nKeyringMode=private\n"
	    "UMask=0027\n"
	    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX\n"
	    "SystemCallArchitectures=native\n"
	    "SystemCallFilter=@system-service\n"
	    "SystemCallFilter=~@privileged%s\n"
	    "SystemCallErrorNumber=EPERM\n"
	    "StateDirectory=triad\nLogsDirectory=triad\n"
	    "RuntimeDirectory=triad/%%N\nRuntimeDirectoryPreserve=no\n"
	    "LimitNOFILE=65536\n", rlimits ? "" : " @resources");
}

/* One instance's unit: triad-<daemon>-<instance>.service. */
static int
ctl_unit_write(const struct ctl_site *site, const struct topo_instance *in,
    const struct ctl_render_opts *o, char **cause)
{
	char name[160];
	FILE *f;

	snprintf(name, sizeof(name), "systemd/triad-%s-%s.service", in->daemon,
	    in->name);
	if ((f = ctl_render_open(o, name, 0644, cause)) == NULL)
		return -1;
	ctl_unit_head(f, site, in, o);
	ctl_unit_sandbox(f, in, o, ctl_unit_low_port(site, in),
	    strcmp(in->daemon, "appd") == 0);
	ctl_unit_rw(f, o, in->error_log);
	ctl_unit_rw(f, o, in->access_log);
	ctl_unit_rw(f, o, in->pidfile);
	fprintf(f, "\n[Install]\nWantedBy=triad.target\n");
	return ctl_render_close(o, f, name, cause);
}

/* triad.target: starts (and stops) every instance of this host. */
static int
ctl_unit_target(const struct ctl_site *site, const char *host,
    const struct ctl_render_opts *o, char **cause)
{
	const struct topo_daemon *d;
	size_t i, j;
	FILE *f;

	if ((f = ctl_render_open(o, "systemd/triad.target", 0644,
	    cause)) == NULL)
		return -1;
	fprintf(f, "# Rendered by triadctl for host %s.\n[Unit]\n"
	    "Description=triad: every instance on %s\n", host, host);
	for (i = 0; i < TOPO_NDAEMONS; i++) {
		d = &site->topo->daemons[i];
		for (j = 0; j < d->ninst; j++)
			if (strcmp(d->inst[j].host, host) == 0)
				fprintf(f, "Wants=triad-%s-%s.service\n",
				    d->inst[j].daemon, d->inst[j].name);
	}
	fprintf(f, "\n[Install]\nWantedBy=multi-user.target\n");
	return ctl_render_close(o, f, "systemd/triad.target", cause);
}

int
ctl_render_units(const struct ctl_site *site, const char *host,
    const struct ctl_render_opts *o, char **cause)
{
	const struct topo_daemon *d;
	size_t i, j;

	for (i = 0; i < TOPO_NDAEMONS; i++) {
		d = &site->topo->daemons[i];
		for (j = 0; j < d->ninst; j++)
			if (strcmp(d->inst[j].host, host) == 0 &&
			    ctl_unit_write(site, &d->inst[j], o, cause) == -1)
				return -1;
	}
	return ctl_unit_target(site, host, o, cause);
}
