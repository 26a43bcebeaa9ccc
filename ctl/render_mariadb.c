/*
 * render_mariadb.c: MariaDB's side of the topology for a database host: a
 * server fragment (server_id by position, binary log with GTID, semi-sync
 * (the primary waits, the replicas acknowledge), read_only on replicas) and a bootstrap
 * script that creates the replication account on the primary or points a
 * replica at the primary (MASTER_USE_GTID=slave_pos). The password never
 * goes into a rendered file: the script reads TRIAD_REPL_PASSWORD.
 */
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "ctl.h"
#include "topology.h"
#include "util.h"

/* 1 for the primary, 2.. for replicas in list order; 0: not a DB host. */
static unsigned
ctl_mariadb_server_id(const struct topo_mariadb *m, const char *host)
{
	size_t i;

	if (m->primary == NULL)
		return 0;
	if (strcmp(m->primary, host) == 0)
		return 1;
	for (i = 0; i < m->replicas.n; i++)
		if (strcmp(m->replicas.v[i], host) == 0)
			return (unsigned)i + 2;
	return 0;
}

/* 60-triad.cnf: the server fragment of host (server_id id). */
static int
ctl_mariadb_cnf(const struct ctl_site *site, const char *host, unsigned id,
    const struct ctl_render_opts *o, char **cause)
{
	const char *name = "mariadb/60-triad.cnf";
	char a[64];
	FILE *f;

	if ((f = ctl_render_open(o, name, 0644, cause)) == NULL)
		return -1;
	fprintf(f, "# Rendered by triadctl from %s for host %s (%s).\n"
	    "# Install as /etc/mysql/mariadb.conf.d/60-triad.cnf.\n"
	    "[mariadb]\nserver_id = %u\nbind_address = %s\nport = %lld\n"
	    "log_bin = triad-bin\nbinlog_format = ROW\n"
	    "log_slave_updates = ON\nrelay_log = triad-relay\n"
	    "gtid_strict_mode = ON\ngtid_domain_id = 0\n"
	    "rpl_semi_sync_slave_enabled = ON\n", site->topo->file, host,
	    id == 1 ? "primary" : "replica", id,
	    addr_host(&topo_host(site->topo, host)->addr, a, sizeof(a)),
	    (long long)site->topo->mariadb.port);
	/*
	 * Semi-sync: the primary waits (up to 1 s, then falls back to async)
	 * for one replica to have a commit; replicas acknowledge. A replica
	 * does not wait itself: it has no replica of its own to answer.
	 */
	if (id == 1)
		fprintf(f, "rpl_semi_sync_master_enabled = ON\n"
		    "rpl_semi_sync_master_timeout = 1000\n");
	else
		fprintf(f, "read_only = 1\n");
	return ctl_render_close(o, f, name, cause);
}

/* bootstrap.sh: repl account (primary) or CHANGE MASTER (replica). */
static int
ctl_mariadb_bootstrap(const struct ctl_site *site, const char *host,
    unsigned id, const struct ctl_render_opts *o, char **cause)
{
	const struct topo_mariadb *m = &site->topo->mariadb;
	const char *name = "mariadb/bootstrap.sh";
	char a[64];
	FILE *f;

	if ((f = ctl_render_open(o, name, 0755, cause)) == NULL)
		return -1;
	fprintf(f, "#!/bin/sh\n# Rendered by triadctl from %s for host %s: "
	    "sets up GTID replication.\n# Run once, as root, after MariaDB "
	    "started with 60-triad.cnf.\n# TRIAD_REPL_PASSWORD: the "
	    "replication account's password (same on every host).\n"
	    "# MARIADB: the client command (default: mariadb).\nset -eu\n"
	    ": \"${TRIAD_REPL_PASSWORD:?set TRIAD_REPL_PASSWORD}\"\n"
	    "MARIADB=${MARIADB:-mariadb}\n"
	    "pw=$(printf %%s \"$TRIAD_REPL_PASSWORD\" | "
	    "sed -e 's/\\\\/\\\\\\\\/g' -e \"s/'/''/g\")\n",
	    site->topo->file, host);
	if (id == 1)
		fprintf(f, "$MARIADB -e \"CREATE USER IF NOT EXISTS 'repl'@'%%' "
		    "IDENTIFIED BY '$pw'; GRANT REPLICATION SLAVE ON *.* TO "
		    "'repl'@'%%';\"\necho \"%s: primary ready (server_id 1)\"\n",
		    host);
	else
		fprintf(f, "$MARIADB -e \"STOP SLAVE; CHANGE MASTER TO "
		    "MASTER_HOST='%s', MASTER_PORT=%lld, MASTER_USER='repl', "
		    "MASTER_PASSWORD='$pw', MASTER_USE_GTID=slave_pos; "
		    "START SLAVE;\"\necho \"%s: replica of %s (server_id %u)\"\n",
		    addr_host(&topo_host(site->topo, m->primary)->addr, a,
		    sizeof(a)), (long long)m->port, host, m->primary, id);
	return ctl_render_close(o, f, name, cause);
}

int
ctl_render_mariadb(const struct ctl_site *site, const char *host,
    const struct ctl_render_opts *o, char **cause)
{
	unsigned id = ctl_mariadb_server_id(&site->topo->mariadb, host);

	if (id == 0)
		return 0;
	if (ctl_mariadb_cnf(site, host, id, o, cause) == -1)
		return -1;
	return ctl_mariadb_bootstrap(site, host, id, o, cause);
}
