/*
 * lifecycle_proc.c: the process side of the lifecycle: command line,
 * pidfile, privilege drop and detaching. See lifecycle.h.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lifecycle.h"
#include "util.h"

static void
lc_usage(FILE *f, const char *name)
{
	fprintf(f, "usage: %s [-ftvV] [-c file] [--host name] "
	    "[--instance name]\n"
	    "  -c, --config FILE    topology file (default %s)\n"
	    "  -t, --test           check the configuration and exit\n"
	    "      --host NAME      this host in the topology (default: "
	    "hostname)\n"
	    "      --instance NAME  the instance, when the host runs several\n"
	    "  -f, --foreground     stay in the foreground (as under systemd)\n"
	    "  -v, --verbose        more logging (twice: debug)\n"
	    "  -V, --version        print the version\n", name,
	    LC_DEFAULT_CONF);
}

int
lc_parse_args(int argc, char **argv, const char *name, struct lc_opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "test", no_argument, NULL, 't' },
		{ "host", required_argument, NULL, 'H' },
		{ "instance", required_argument, NULL, 'I' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static char hostname[256];
	int ch;

	memset(o, 0, sizeof(*o));
	o->conf_path = LC_DEFAULT_CONF;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:tfvVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->conf_path = optarg; break;
		case 't': o->test_only = 1; break;
		case 'H': o->host = optarg; break;
		case 'I': o->instance = optarg; break;
		case 'f': o->foreground = 1; break;
		case 'v': o->verbose++; break;
		case 'V':
			printf("%s (triad) 0.1.0\n", name);
			return 1;
		case 'h':
			lc_usage(stdout, name);
			return 1;
		default:
			lc_usage(stderr, name);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", name,
		    argv[optind]);
		lc_usage(stderr, name);
		return -1;
	}
	if (o->host == NULL) {
		if (gethostname(hostname, sizeof(hostname) - 1) == -1)
			util_strlcpy(hostname, "localhost", sizeof(hostname));
		o->host = hostname;
	}
	return 0;
}

/*
 * lc_pidfile_write: creates path with our pid, refusing when another live
 * process holds it (an flock that lives as long as the process, so a stale
 * file from a crash does not block a restart). The descriptor stays open on
 * purpose. Returns 0 or -1 with *cause.
 */
int
lc_pidfile_write(const char *path, char **cause)
{
	char buf[32];
	int fd, n;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) == -1) {
		xasprintf(cause, "pidfile %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		n = (int)read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		xasprintf(cause, "pidfile %s: already running as pid %s", path,
		    buf[0] != '\0' ? buf : "?");
		close(fd);
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || write(fd, buf, (size_t)n) != n) {
		xasprintf(cause, "pidfile %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return 0;
}

/*
 * lc_privdrop: switches to user (and group, default the user's) when run
 * as root; checks that root cannot be regained. A user given to a
 * non-root process is an error unless it is the current one.
 */
int
lc_privdrop(const char *user, const char *group, char **cause)
{
	struct passwd *pw;
	struct group *gr;
	gid_t gid;

	if (user == NULL || *user == '\0')
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		xasprintf(cause, "user '%s' does not exist", user);
		return -1;
	}
	gid = pw->pw_gid;
	if (group != NULL && *group != '\0') {
		if ((gr = getgrnam(group)) == NULL) {
			xasprintf(cause, "group '%s' does not exist", group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (geteuid() != 0) {
		if (pw->pw_uid == geteuid())
			return 0;
		xasprintf(cause, "cannot switch to user '%s': not root", user);
		return -1;
	}
	if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
		xasprintf(cause, "dropping privileges to %s: %s", user,
		    strerror(errno));
		return -1;
	}
	if (pw->pw_uid != 0 && setuid(0) != -1) {
		xasprintf(cause, "privileges could be regained after drop");
		return -1;
	}
	return 0;
}
