/*
 * status.c: `triadctl status`: every instance's /status (common/status.c's
 * JSON), sampled twice one second apart for the request rate, as one table
 * or as JSON. An instance that does not answer is a row saying why, not an
 * error: the point of the command is to see what is down.
 */
#include <netinet/in.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "topology.h"
#include "util.h"

#define CTL_STATUS_TIMEOUT	2000	/* ms per instance */
#define CTL_STATUS_SAMPLE	1000	/* ms between the two samples */

int
ctl_status_addr(const struct topo_instance *in, int local, struct net_addr *a)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->ss;
	uint16_t port;

	if (in->status.len == 0)
		return -1;
	*a = in->status;
	port = addr_port(a);
	if (a->ss.ss_family == AF_INET &&
	    s4->sin_addr.s_addr == htonl(INADDR_ANY)) {
		if (local)
			s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		else
			*a = in->host_addr;
	} else if (a->ss.ss_family == AF_INET6 &&
	    IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr)) {
		if (local)
			s6->sin6_addr = in6addr_loopback;
		else
			*a = in->host_addr;
	} else
		return 0;
	/* host_addr has port 0: the status port goes back in. */
	if (a->ss.ss_family == AF_INET)
		s4->sin_port = htons(port);
	else if (a->ss.ss_family == AF_INET6)
		s6->sin6_port = htons(port);
	return 0;
}

/*
 * Is key the metric name (with any labels)? Names are exported as
 * "triad_<daemon>_<name>" (common/metrics.c); the bare name is accepted
 * too. The match is exact, so "server_requests_total" is not
 * "requests_total".
 */
static int
ctl_status_is(const char *key, const char *daemon, const char *name)
{
	size_t dlen = strlen(daemon), nlen = strlen(name);

	if (strncmp(key, "triad_", 6) == 0 && strncmp(key + 6, daemon,
	    dlen) == 0 && key[6 + dlen] == '_')
		key += 6 + dlen + 1;
	return strncmp(key, name, nlen) == 0 &&
	    (key[nlen] == '\0' || key[nlen] == '{');
}

/* Sums the metric name over its label sets (those holding label, if set). */
static long long
ctl_status_sum(json_t *metrics, const char *daemon, const char *name,
    const char *label)
{
	const char *key;
	json_t *v;
	long long sum = 0;

	json_object_foreach(metrics, key, v) {
		if (!ctl_status_is(key, daemon, name))
			continue;
		if (label != NULL && strstr(key, label) == NULL)
			continue;
		if (json_is_integer(v))
			sum += json_integer_value(v);
	}
	return sum;
}

/*
 * The counters every daemon has in some form: requests (HTTP daemons),
 * else sessions (lbd in tcp mode), else queries or connections; errors
 * are 5xx answers plus the daemon's own *errors_total counters (not the
 * per-server ones, which repeat them).
 */
static void
ctl_status_counts(json_t *m, struct ctl_status_row *r)
{
	static const char *const names[] = { "requests_total",
	    "sessions_total", "queries_total", "connections_total", NULL };
	const char *key;
	json_t *v;
	size_t i, len;

	for (i = 0; names[i] != NULL; i++)
		if ((r->requests = ctl_status_sum(m, r->daemon, names[i],
		    NULL)) > 0)
			break;
	r->errors = ctl_status_sum(m, r->daemon, "requests_total", "5xx");
	json_object_foreach(m, key, v) {
		len = strcspn(key, "{");
		if (len > 12 && strncmp(key + len - 12, "errors_total",
		    12) == 0 && strstr(key, "server") == NULL &&
		    json_is_integer(v))
			r->errors += json_integer_value(v);
	}
}

/* Backends: lbd's servers (or any daemon's "servers"/"backends" list). */
static void
ctl_status_backends(json_t *root, struct ctl_status_row *r)
{
	json_t *list, *s;
	const char *state;
	size_t i;

	r->up = r->down = -1;
	if ((list = json_object_get(root, "servers")) == NULL &&
	    (list = json_object_get(root, "backends")) == NULL)
		return;
	if (!json_is_array(list))
		return;
	r->up = r->down = 0;
	json_array_foreach(list, i, s) {
		state = json_string_value(json_object_get(s, "state"));
		if (state != NULL && (strcmp(state, "up") == 0 ||
		    strcmp(state, "ready") == 0 || strcmp(state, "online") == 0))
			r->up++;
		else
			r->down++;
	}
}

/* One sample of inst into r. Returns 0, or -1 with r->error. */
static int
ctl_status_fetch(const struct topo_instance *in, struct ctl_status_row *r)
{
	struct net_addr a;
	json_error_t jerr;
	json_t *root;
	char *body, *cause;
	int code;

	if (ctl_status_addr(in, 0, &a) == -1) {
		snprintf(r->error, sizeof(r->error), "no status listener");
		return -1;
	}
	addr_format(&a, r->addr, sizeof(r->addr));
	code = ctl_http(&a, "GET", "/status", NULL, CTL_STATUS_TIMEOUT, &body,
	    &cause);
	if (code == -1) {
		snprintf(r->error, sizeof(r->error), "%s", cause);
		free(cause);
		return -1;
	}
	root = json_loads(body, 0, &jerr);
	free(body);
	if (root == NULL || !json_is_object(root)) {
		snprintf(r->error, sizeof(r->error), "HTTP %d, not JSON", code);
		json_decref(root);
		return -1;
	}
	snprintf(r->state, sizeof(r->state), "%s",
	    json_string_value(json_object_get(root, "state")) ?: "?");
	r->generation = json_integer_value(json_object_get(root,
	    "generation"));
	ctl_status_counts(json_object_get(root, "metrics"), r);
	ctl_status_backends(root, r);
	json_decref(root);
	r->reachable = 1;
	return 0;
}

/* The instances of the site, in section order, as empty rows. */
static struct ctl_status_row *
ctl_status_rows(const struct ctl_site *site, size_t *np)
{
	const struct topo_daemon *d;
	struct ctl_status_row *rows;
	size_t i, j, n = 0;

	for (i = 0; i < TOPO_NDAEMONS; i++)
		n += site->topo->daemons[i].ninst;
	rows = xcalloc(n + 1, sizeof(*rows));
	for (i = 0, n = 0; i < TOPO_NDAEMONS; i++) {
		d = &site->topo->daemons[i];
		for (j = 0; j < d->ninst; j++, n++) {
			rows[n].inst = &d->inst[j];
			rows[n].host = d->inst[j].host;
			rows[n].daemon = d->inst[j].daemon;
			rows[n].instance = d->inst[j].name;
		}
	}
	*np = n;
	return rows;
}

/* Two samples of every instance; the rate is the difference. */
static void
ctl_status_sample(struct ctl_status_row *rows, size_t n)
{
	long long *before = xcalloc(n + 1, sizeof(*before));
	uint64_t t0, t1;
	size_t i;

	t0 = util_now_ms();
	for (i = 0; i < n; i++) {
		if (ctl_status_fetch(rows[i].inst, &rows[i]) == -1)
			snprintf(rows[i].state, sizeof(rows[i].state), "down");
		before[i] = rows[i].requests;
	}
	usleep(CTL_STATUS_SAMPLE * 1000);
	t1 = util_now_ms();
	for (i = 0; i < n; i++) {
		if (rows[i].reachable &&
		    ctl_status_fetch(rows[i].inst, &rows[i]) == 0 && t1 > t0)
			rows[i].rps = (double)(rows[i].requests - before[i]) *
			    1000.0 / (double)(t1 - t0);
	}
	free(before);
}

/* "3/1" or "-" when the daemon has no backends to report. */
static const char *
ctl_status_updown(const struct ctl_status_row *r, char *buf, size_t size)
{
	if (!r->reachable || r->up < 0)
		return "-";
	snprintf(buf, size, "%d/%d", r->up, r->down);
	return buf;
}

/* The rows as one aligned table; a silent instance says why. */
static void
ctl_status_table(const struct ctl_status_row *rows, size_t n, FILE *f)
{
	char ud[32];
	size_t i;

	fprintf(f, "%-10s %-9s %-10s %-10s %4s %9s %9s %9s  %s\n", "HOST",
	    "DAEMON", "INSTANCE", "STATE", "GEN", "REQ/S", "ERRORS",
	    "UP/DOWN", "STATUS");
	for (i = 0; i < n; i++) {
		if (!rows[i].reachable) {
			fprintf(f, "%-10s %-9s %-10s %-10s %4s %9s %9s %9s  "
			    "%s (%s)\n", rows[i].host, rows[i].daemon,
			    rows[i].instance, "down", "-", "-", "-", "-",
			    rows[i].addr, rows[i].error);
			continue;
		}
		fprintf(f, "%-10s %-9s %-10s %-10s %4lld %9.1f %9lld %9s  %s\n",
		    rows[i].host, rows[i].daemon, rows[i].instance,
		    rows[i].state, rows[i].generation, rows[i].rps,
		    rows[i].errors, ctl_status_updown(&rows[i], ud,
		    sizeof(ud)), rows[i].addr);
	}
}

/* The rows as a JSON array, through jansson (it escapes the strings). */
static void
ctl_status_json(const struct ctl_status_row *rows, size_t n, FILE *f)
{
	json_t *a = json_array(), *o;
	size_t i;

	for (i = 0; i < n; i++) {
		o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "host",
		    rows[i].host, "daemon", rows[i].daemon, "instance",
		    rows[i].instance, "status", rows[i].addr, "state",
		    rows[i].reachable ? rows[i].state : "down", "reachable",
		    rows[i].reachable);
		if (rows[i].reachable) {
			json_object_set_new(o, "generation",
			    json_integer(rows[i].generation));
			json_object_set_new(o, "rps", json_real(rows[i].rps));
			json_object_set_new(o, "requests",
			    json_integer(rows[i].requests));
			json_object_set_new(o, "errors",
			    json_integer(rows[i].errors));
			if (rows[i].up >= 0) {
				json_object_set_new(o, "backends_up",
				    json_integer(rows[i].up));
				json_object_set_new(o, "backends_down",
				    json_integer(rows[i].down));
			}
		} else
			json_object_set_new(o, "error",
			    json_string(rows[i].error));
		json_array_append_new(a, o);
	}
	json_dumpf(a, f, JSON_INDENT(2));
	fputc('\n', f);
	json_decref(a);
}

int
ctl_status(const struct ctl_site *site, int json, FILE *f)
{
	struct ctl_status_row *rows;
	size_t i, n, down = 0;

	rows = ctl_status_rows(site, &n);
	ctl_status_sample(rows, n);
	if (json)
		ctl_status_json(rows, n, f);
	else
		ctl_status_table(rows, n, f);
	for (i = 0; i < n; i++)
		down += !rows[i].reachable;
	free(rows);
	return down == 0 ? 0 : 3;
}
