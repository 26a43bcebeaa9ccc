/*
 * addr.h: the one parser of address text in triad.
 *
 * Forms: "host:port", "[v6]:port", "port" (host comes from the caller's
 * default), "unix:/path". Hosts are numeric IPv4 or IPv6 only: names are
 * resolved through the topology's hosts table, never DNS, so that a daemon
 * starts the same way with or without a resolver.
 */
#ifndef TRIAD_ADDR_H
#define TRIAD_ADDR_H

#include <sys/socket.h>
#include <sys/un.h>

#include <stdint.h>

struct net_addr {
	struct sockaddr_storage	ss;	/* AF_INET, AF_INET6 or AF_UNIX */
	socklen_t		len;
};

#define NET_ADDR_STRLEN	(sizeof(((struct sockaddr_un *)0)->sun_path) + 8)

/*
 * addr_parse: parses text into out. default_host (may be NULL) is used
 * when text is a bare port. Returns 0, or -1 with *cause set to a message
 * the caller frees ("port 70000 out of range (1-65535)").
 */
int	addr_parse(const char *text, const char *default_host,
	    struct net_addr *out, char **cause);
/*
 * addr_parse_host: a numeric host and a port into out. Returns 0 or -1
 * with *cause.
 */
int	addr_parse_host(const char *host, uint16_t port, struct net_addr *out,
	    char **cause);
/*
 * addr_host: the numeric host of an inet address, without port or
 * brackets ("1.2.3.4", "::1"), into buf (INET6_ADDRSTRLEN is enough).
 * Returns buf, which is "" for a unix address.
 */
const char *addr_host(const struct net_addr *a, char *buf, size_t size);
/* addr_format: "1.2.3.4:80", "[::1]:80" or "unix:/p" into buf. */
const char *addr_format(const struct net_addr *a, char *buf, size_t size);
/* addr_format_host: the same with host, a's addr_host already made (a
   caller that wants both texts formats the address once). */
const char *addr_format_host(const struct net_addr *a, const char *host,
	    char *buf, size_t size);
/* addr_port: the port of an inet address, 0 for unix. */
uint16_t addr_port(const struct net_addr *a);
/* addr_set_port: a's port becomes port; -1 (a unchanged) for unix. */
int	addr_set_port(struct net_addr *a, uint16_t port);
/* addr_equal: same family, address and port (or path). */
int	addr_equal(const struct net_addr *, const struct net_addr *);

#endif
