/*
 * params.c: the CGI meta-variables of a request (see params.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "cidr.h"
#include "fcgi.h"
#include "http1.h"
#include "params.h"
#include "util.h"

/* One name-value pair from C strings or spans. */
static void
params_nv(struct fcgi_buf *b, const char *n, const char *v, size_t vlen)
{
	fcgi_put_nv(b, n, strlen(n), v, vlen);
}

static void
params_nvs(struct fcgi_buf *b, const char *n, const char *v)
{
	if (v != NULL)
		params_nv(b, n, v, strlen(v));
}

/* The client's address: the last X-Forwarded-For hop from a trusted webd. */
static void
params_remote(const struct params_in *in, struct fcgi_buf *b)
{
	const struct http1_msg *m = in->msg;
	char addr[64], port[8];
	const char *xff, *proto, *last;
	size_t len = 0, plen = 0;

	if (*addr_host(in->peer, addr, sizeof(addr)) == '\0')
		util_strlcpy(addr, "127.0.0.1", sizeof(addr));	/* unix: */
	snprintf(port, sizeof(port), "%u", addr_port(in->peer));
	proto = in->tls ? "https" : NULL;
	/* A Unix-socket peer is local: webd on this host. */
	if (in->peer->ss.ss_family == AF_UNIX ||
	    (in->trusted != NULL && cidr_list_match(in->trusted,
	    (const struct sockaddr *)&in->peer->ss))) {
		if ((xff = http1_header_get(m, "X-Forwarded-For", &len)) !=
		    NULL) {
			last = xff + len;
			while (last > xff && last[-1] != ',')
				last--;
			while (last < xff + len && *last == ' ')
				last++;
			if ((size_t)(xff + len - last) < sizeof(addr)) {
				memcpy(addr, last, (size_t)(xff + len - last));
				addr[xff + len - last] = '\0';
			}
		}
		if ((xff = http1_header_get(m, "X-Forwarded-Proto", &plen)) !=
		    NULL && plen == 5 && memcmp(xff, "https", 5) == 0)
			proto = "https";
	}
	params_nvs(b, "REMOTE_ADDR", addr);
	params_nvs(b, "REMOTE_PORT", port);
	if (proto != NULL)
		params_nvs(b, "HTTPS", "on");
	params_nvs(b, "REQUEST_SCHEME", proto ? "https" : "http");
}

/* HTTP_* for each field but hop-by-hop ones and Proxy (httpoxy). */
static void
params_headers(const struct http1_msg *m, struct fcgi_buf *b)
{
	static const char *const skip[] = { "Content-Type", "Content-Length",
	    "Connection", "Keep-Alive", "Proxy", "TE", "Transfer-Encoding",
	    "Upgrade", "Trailer", NULL };
	const char *n, *v;
	char key[300];
	size_t i, k, nl;

	for (i = 0; i < m->nheaders; i++) {
		n = http1_span_ptr(m, m->headers[i].name);
		nl = m->headers[i].name.len;
		for (k = 0; skip[k] != NULL; k++)
			if (strlen(skip[k]) == nl &&
			    util_strncasecmp(n, skip[k], nl) == 0)
				break;
		if (skip[k] != NULL || nl + 6 > sizeof(key))
			continue;
		memcpy(key, "HTTP_", 5);
		for (k = 0; k < nl; k++)
			key[5 + k] = n[k] == '-' ? '_' : (n[k] >= 'a' &&
			    n[k] <= 'z' ? (char)(n[k] - 32) : n[k]);
		v = http1_span_ptr(m, m->headers[i].value);
		fcgi_put_nv(b, key, 5 + nl, v, m->headers[i].value.len);
	}
}

/* SCRIPT_NAME, SCRIPT_FILENAME and PATH_INFO for fastcgi and cgi. */
static void
params_script(const struct params_in *in, const char *path, size_t plen,
    struct fcgi_buf *b)
{
	const char *end;
	char *s;

	if (in->root_path == NULL)
		return;
	params_nvs(b, "DOCUMENT_ROOT", in->root_path);
	if (in->script != NULL) {
		xasprintf(&s, "%s/%s", in->root_path, in->script);
		params_nvs(b, "SCRIPT_FILENAME", s);
		free(s);
		xasprintf(&s, "/%s", in->script);
		params_nvs(b, "SCRIPT_NAME", s);
		free(s);
		params_nv(b, "PATH_INFO", path, plen);
		return;
	}
	/* The script is the path up to the end of its first segment with
	   a dot ("/php/x.php/more": /php/x.php, PATH_INFO /more). */
	end = path;
	while (end < path + plen) {
		const char *seg = end + 1, *next = memchr(seg, '/',
		    (size_t)(path + plen - seg));

		if (next == NULL)
			next = path + plen;
		end = next;
		if (memchr(seg, '.', (size_t)(next - seg)) != NULL)
			break;
	}
	params_nv(b, "SCRIPT_NAME", path, (size_t)(end - path));
	params_nv(b, "PATH_INFO", end, (size_t)(path + plen - end));
	xasprintf(&s, "%s%.*s", in->root_path, (int)(end - path), path);
	params_nvs(b, "SCRIPT_FILENAME", s);
	free(s);
}

void
params_build(const struct params_in *in, struct fcgi_buf *b)
{
	const struct http1_msg *m = in->msg;
	const char *t = http1_span_ptr(m, m->target), *qs, *v;
	size_t tl = m->target.len, pl, vl;
	char num[32];

	qs = memchr(t, '?', tl);
	pl = qs ? (size_t)(qs - t) : tl;
	params_nvs(b, "GATEWAY_INTERFACE", "CGI/1.1");
	params_nvs(b, "SERVER_SOFTWARE", "triad-appd");
	params_nvs(b, "SERVER_PROTOCOL", m->version_minor == 0 ? "HTTP/1.0" :
	    "HTTP/1.1");
	params_nv(b, "REQUEST_METHOD", http1_span_ptr(m, m->method_text),
	    m->method_text.len);
	params_nv(b, "REQUEST_URI", t, tl);
	params_nv(b, "DOCUMENT_URI", t, pl);
	params_nv(b, "QUERY_STRING", qs ? qs + 1 : "", qs ? tl - pl - 1 : 0);
	if ((v = http1_header_get(m, "Host", &vl)) != NULL)
		params_nv(b, "SERVER_NAME", v, vl);
	if ((v = http1_header_get(m, "Content-Type", &vl)) != NULL)
		params_nv(b, "CONTENT_TYPE", v, vl);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)in->body_len);
	params_nvs(b, "CONTENT_LENGTH", num);
	params_nvs(b, "REDIRECT_STATUS", "200");	/* php-cgi's force-redirect */
	params_remote(in, b);
	params_script(in, t, pl, b);
	params_headers(m, b);
}
