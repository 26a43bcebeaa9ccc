/*
 * addr.c: see addr.h.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "util.h"

/* Parses a decimal port 1..65535 with nothing else around it. */
static int
addr_parse_port(const char *s, uint16_t *port, char **cause)
{
	unsigned long v = 0;
	const char *p;

	if (*s == '\0') {
		xasprintf(cause, "missing port");
		return -1;
	}
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || v > 65535) {
			xasprintf(cause, "invalid port '%s'", s);
			return -1;
		}
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v == 0 || v > 65535) {
		xasprintf(cause, "port %s out of range (1-65535)", s);
		return -1;
	}
	*port = (uint16_t)v;
	return 0;
}

int
addr_parse_host(const char *host, uint16_t port, struct net_addr *out,
    char **cause)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->ss;

	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		out->len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		out->len = sizeof(*sin6);
		return 0;
	}
	xasprintf(cause, "'%s' is not a numeric IPv4 or IPv6 address", host);
	return -1;
}

/* "unix:/path": the path must be absolute and fit sun_path. */
static int
addr_parse_unix(const char *path, struct net_addr *out, char **cause)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&out->ss;

	memset(out, 0, sizeof(*out));
	if (path[0] != '/') {
		xasprintf(cause, "unix socket path '%s' must be absolute", path);
		return -1;
	}
	if (strlen(path) >= sizeof(sun->sun_path)) {
		xasprintf(cause, "unix socket path too long (max %zu bytes)",
		    sizeof(sun->sun_path) - 1);
		return -1;
	}
	sun->sun_family = AF_UNIX;
	util_strlcpy(sun->sun_path, path, sizeof(sun->sun_path));
	out->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(path) + 1);
	return 0;
}

int
addr_parse(const char *text, const char *default_host, struct net_addr *out,
    char **cause)
{
	char host[64];
	const char *colon, *end;
	uint16_t port;
	size_t hlen;

	*cause = NULL;
	if (strncmp(text, "unix:", 5) == 0)
		return addr_parse_unix(text + 5, out, cause);
	if (text[0] == '[') {
		if ((end = strchr(text, ']')) == NULL || end[1] != ':') {
			xasprintf(cause, "'%s': expected [v6-address]:port",
			    text);
			return -1;
		}
		hlen = (size_t)(end - text - 1);
		colon = end + 1;
		text++;
	} else if ((colon = strrchr(text, ':')) != NULL) {
		if (memchr(text, ':', (size_t)(colon - text)) != NULL) {
			xasprintf(cause, "'%s': write IPv6 addresses as "
			    "[address]:port", text);
			return -1;
		}
		hlen = (size_t)(colon - text);
	} else {
		if (default_host == NULL) {
			xasprintf(cause, "'%s': expected host:port", text);
			return -1;
		}
		if (addr_parse_port(text, &port, cause) == -1)
			return -1;
		return addr_parse_host(default_host, port, out, cause);
	}
	if (hlen == 0 || hlen >= sizeof(host)) {
		xasprintf(cause, "'%s': invalid host part", text);
		return -1;
	}
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	if (addr_parse_port(colon + 1, &port, cause) == -1)
		return -1;
	return addr_parse_host(host, port, out, cause);
}

const char *
addr_host(const struct net_addr *a, char *buf, size_t size)
{
	const void *src = NULL;

	if (a->ss.ss_family == AF_INET)
		src = &((const struct sockaddr_in *)&a->ss)->sin_addr;
	else if (a->ss.ss_family == AF_INET6)
		src = &((const struct sockaddr_in6 *)&a->ss)->sin6_addr;
	if (size > 0 && (src == NULL || inet_ntop(a->ss.ss_family, src, buf,
	    (socklen_t)size) == NULL))
		buf[0] = '\0';
	return buf;
}

const char *
addr_format(const struct net_addr *a, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN];

	return addr_format_host(a, addr_host(a, host, sizeof(host)), buf,
	    size);
}

const char *
addr_format_host(const struct net_addr *a, const char *host, char *buf,
    size_t size)
{
	switch (a->ss.ss_family) {
	case AF_INET:
		snprintf(buf, size, "%s:%u", host, addr_port(a));
		break;
	case AF_INET6:
		snprintf(buf, size, "[%s]:%u", host, addr_port(a));
		break;
	case AF_UNIX:
		snprintf(buf, size, "unix:%s",
		    ((const struct sockaddr_un *)&a->ss)->sun_path);
		break;
	default:
		snprintf(buf, size, "(none)");
	}
	return buf;
}

uint16_t
addr_port(const struct net_addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
	if (a->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	return 0;
}

int
addr_set_port(struct net_addr *a, uint16_t port)
{
	if (a->ss.ss_family == AF_INET)
		((struct sockaddr_in *)&a->ss)->sin_port = htons(port);
	else if (a->ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons(port);
	else
		return -1;
	return 0;
}

int
addr_equal(const struct net_addr *a, const struct net_addr *b)
{
	char x[NET_ADDR_STRLEN], y[NET_ADDR_STRLEN];

	if (a->ss.ss_family != b->ss.ss_family)
		return 0;
	return strcmp(addr_format(a, x, sizeof(x)),
	    addr_format(b, y, sizeof(y))) == 0;
}
