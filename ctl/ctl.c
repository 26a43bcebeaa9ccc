/*
 * ctl.c: triadctl's command line. Each command loads the whole site first
 * (site.c), so a broken topology is reported the same way by every command.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ctl.h"
#include "topology.h"

/* The commands, for a usage error (stderr) or `help` (stdout). */
static void
ctl_usage(FILE *f)
{
	fprintf(f,
	    "usage: triadctl check FILE\n"
	    "       triadctl render FILE HOST --out DIR [--conf PATH] "
	    "[--sbindir DIR] [--user NAME]\n"
	    "       triadctl status FILE [--json]\n"
	    "       triadctl drain FILE SERVER\n"
	    "       triadctl enable FILE SERVER\n"
	    "       triadctl help\n");
}

/* Loads path, or prints every error and returns -1. */
static int
ctl_load(const char *path, struct ctl_site *site, int quiet)
{
	struct cfg_errors errs;

	memset(&errs, 0, sizeof(errs));
	if (ctl_site_load(path, site, &errs, quiet ? NULL : stderr) == 0)
		return 0;
	cfg_errors_print(&errs, stderr);
	cfg_errors_clear(&errs);
	return -1;
}

/* triadctl check FILE: exit 0 with "configuration OK", or 1. */
static int
ctl_cmd_check(int argc, char **argv)
{
	struct ctl_site site;

	if (argc != 2) {
		ctl_usage(stderr);
		return 2;
	}
	if (ctl_load(argv[1], &site, 0) == -1)
		return 1;
	printf("%s: configuration OK\n", argv[1]);
	ctl_site_free(&site);
	return 0;
}

/* triadctl render FILE HOST --out DIR [...] */
static int
ctl_cmd_render(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "conf", required_argument, NULL, 'c' },
		{ "sbindir", required_argument, NULL, 's' },
		{ "user", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_render_opts o = { "/etc/triad/triad.yaml", "/usr/sbin",
	    "triad", NULL };
	struct ctl_site site;
	char *cause = NULL;
	int ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:c:s:u:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'o': o.outdir = optarg; break;
		case 'c': o.conf_path = optarg; break;
		case 's': o.sbindir = optarg; break;
		case 'u': o.user = optarg; break;
		default: ctl_usage(stderr); return 2;
		}
	}
	if (argc - optind != 2 || o.outdir == NULL) {
		ctl_usage(stderr);
		return 2;
	}
	if (ctl_load(argv[optind], &site, 1) == -1)
		return 1;
	rc = ctl_render(&site, argv[optind + 1], &o, &cause);
	if (rc == -1) {
		fprintf(stderr, "triadctl: render: %s\n", cause);
		free(cause);
	}
	ctl_site_free(&site);
	return rc == -1 ? 1 : 0;
}

/* triadctl status FILE [--json] */
static int
ctl_cmd_status(int argc, char **argv)
{
	struct ctl_site site;
	int json = 0, rc, i, nargs = 0;
	const char *path = NULL;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (nargs++ == 0)
			path = argv[i];
	}
	if (path == NULL || nargs != 1) {
		ctl_usage(stderr);
		return 2;
	}
	if (ctl_load(path, &site, 1) == -1)
		return 1;
	rc = ctl_status(&site, json, stdout);
	ctl_site_free(&site);
	return rc;
}

/* triadctl drain|enable FILE SERVER */
static int
ctl_cmd_admin(int argc, char **argv, const char *state)
{
	struct ctl_site site;
	int rc;

	if (argc != 3) {
		ctl_usage(stderr);
		return 2;
	}
	if (ctl_load(argv[1], &site, 1) == -1)
		return 1;
	rc = ctl_admin_server(&site, argv[2], state, stdout);
	ctl_site_free(&site);
	return rc == 0 ? 0 : 1;
}

int
ctl_main(int argc, char **argv)
{
	if (argc < 2) {
		ctl_usage(stderr);
		return 2;
	}
	argc--;
	argv++;
	if (strcmp(argv[0], "check") == 0)
		return ctl_cmd_check(argc, argv);
	if (strcmp(argv[0], "render") == 0)
		return ctl_cmd_render(argc, argv);
	if (strcmp(argv[0], "status") == 0)
		return ctl_cmd_status(argc, argv);
	if (strcmp(argv[0], "drain") == 0)
		return ctl_cmd_admin(argc, argv, "drain");
	if (strcmp(argv[0], "enable") == 0)
		return ctl_cmd_admin(argc, argv, "ready");
	if (strcmp(argv[0], "help") == 0) {
		ctl_usage(stdout);
		return 0;
	}
	fprintf(stderr, "triadctl: unknown command '%s'\n", argv[0]);
	ctl_usage(stderr);
	return 2;
}
