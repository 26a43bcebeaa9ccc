/*
 * ctl-t.h: triadctl's types (types only; prototypes are in ctl.h).
 *
 * triadctl reads the topology the way every daemon does, but with all four
 * daemons' schemas at once, so one run checks every section strictly.
 */
#ifndef CTL_T_H
#define CTL_T_H

#include <stdio.h>

#include "config-t.h"
#include "topology-t.h"

struct lb_conf;
struct webd_conf;

/* The whole site: the topology and each daemon's own section. */
struct ctl_site {
	struct topology		*topo;
	struct cfg_doc		*doc;	/* the file's nodes, for marks */
	struct topo_spec	 specs[TOPO_NDAEMONS];
	size_t			 nspecs;
	void			*conf[TOPO_NDAEMONS];	/* NULL: no schema */
	const struct lb_conf	*lb;	/* conf[TOPO_LBD], or NULL */
	const struct webd_conf	*webd;	/* conf[TOPO_WEBD], or NULL */
};

/* What `render` writes for one host. */
struct ctl_render_opts {
	const char	*conf_path;	/* the topology on the host */
	const char	*sbindir;	/* where the daemons are installed */
	const char	*user;		/* the units' User= */
	const char	*outdir;
};

/* One row of `status`: what one instance's /status said. */
struct ctl_status_row {
	const struct topo_instance *inst;
	const char	*host, *daemon, *instance;
	char		 addr[64];	/* the status address asked */
	char		 state[32];	/* "running", "draining", "down" */
	long long	 generation;
	double		 rps;		/* requests per second, sampled */
	long long	 requests, errors;
	int		 up, down;	/* backends (lbd: servers) */
	int		 reachable;
	char		 error[128];	/* why not reachable */
};

#endif
