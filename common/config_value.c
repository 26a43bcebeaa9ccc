/*
 * config_value.c: the text forms of typed values (see config.h): booleans,
 * integers, sizes, durations, their shortest printed forms, and the word
 * distance behind "did you mean". Every parser is strict: a unit typo, a
 * sign, an overflow or trailing text is an error that names the value.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util.h"

#define CFG_DIST_MAX	64	/* longer words are never "near" */

int
cfg_parse_bool(const char *s, int *out, char **cause)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	size_t i;

	for (i = 0; i < nitems(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	xasprintf(cause, "expected true or false, got '%.64s'", s);
	return -1;
}

/*
 * Reads the decimal digits at *sp into *v, advancing *sp. Returns 1 when
 * there were digits, 0 when none, -1 on overflow past max.
 */
static int
cfg_digits(const char **sp, uint64_t max, uint64_t *v)
{
	const char *s = *sp;

	*v = 0;
	if (*s < '0' || *s > '9')
		return 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (*v > (max - (uint64_t)(*s - '0')) / 10)
			return -1;
		*v = *v * 10 + (uint64_t)(*s - '0');
	}
	*sp = s;
	return 1;
}

int
cfg_parse_int(const char *s, int64_t *out, char **cause)
{
	const char *p = s;
	uint64_t v;
	int neg = 0, r;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	r = cfg_digits(&p, neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX, &v);
	if (r == -1) {
		xasprintf(cause, "integer '%.64s' is out of range", s);
		return -1;
	}
	if (r == 0 || *p != '\0') {
		xasprintf(cause, "expected an integer, got '%.64s'", s);
		return -1;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

int
cfg_parse_size(const char *s, uint64_t *out, char **cause)
{
	static const char units[] = "kmgt";
	const char *p = s, *u;
	uint64_t v, mult = 1;
	int r;

	if ((r = cfg_digits(&p, UINT64_MAX, &v)) == 1 && *p != '\0') {
		if ((u = strchr(units, tolower((unsigned char)*p))) == NULL ||
		    p[1] != '\0')
			r = 0;
		else
			mult = 1ULL << (10 * (u - units + 1));
	}
	if (r == 0) {
		xasprintf(cause, "expected a size like 64k, got '%.64s'", s);
		return -1;
	}
	if (r == -1 || v > UINT64_MAX / mult) {
		xasprintf(cause, "size '%.64s' is too large", s);
		return -1;
	}
	*out = v * mult;
	return 0;
}

/* A duration unit at *sp: its length in ms and its rank (d=4 ... ms=0). */
static int
cfg_duration_unit(const char **sp, int64_t *ms)
{
	static const struct {
		const char	*name;
		int64_t		 ms;
	} units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 },
	};
	size_t i, len;

	for (i = 0; i < nitems(units); i++) {
		len = strlen(units[i].name);
		if (strncmp(*sp, units[i].name, len) == 0 &&
		    ((*sp)[len] < 'a' || (*sp)[len] > 'z')) {
			*sp += len;
			*ms = units[i].ms;
			return (int)i;
		}
	}
	return -1;
}

int
cfg_parse_duration(const char *s, int64_t *out, char **cause)
{
	const char *p = s;
	uint64_t v;
	int64_t ms = 1, total = 0;
	int r, rank = 0, last = 5;

	if (strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	do {
		if ((r = cfg_digits(&p, INT64_MAX, &v)) == 1 && *p == '\0' &&
		    p != s && total == 0) {
			xasprintf(cause, "duration '%.64s' needs a unit "
			    "(ms, s, m, h or d)", s);
			return -1;
		}
		if (r == 0 || (r == 1 && ((rank = cfg_duration_unit(&p, &ms)) ==
		    -1 || rank >= last))) {
			xasprintf(cause, "expected a duration like 30s or "
			    "1h30m, got '%.64s'", s);
			return -1;
		}
		if (r == -1 || v > (uint64_t)(INT64_MAX - total) / (uint64_t)ms) {
			xasprintf(cause, "duration '%.64s' is too large", s);
			return -1;
		}
		total += (int64_t)v * ms;
		last = rank;
	} while (*p != '\0');
	*out = total;
	return 0;
}

const char *
cfg_format_size(uint64_t v, char *buf, size_t size)
{
	static const char units[] = "tgmk";
	int i, shift;

	for (i = 0; v != 0 && i < 4; i++) {
		shift = 10 * (4 - i);
		if ((v & ((1ULL << shift) - 1)) == 0) {
			snprintf(buf, size, "%llu%c",
			    (unsigned long long)(v >> shift), units[i]);
			return buf;
		}
	}
	snprintf(buf, size, "%llu", (unsigned long long)v);
	return buf;
}

const char *
cfg_format_duration(int64_t ms, char *buf, size_t size)
{
	static const struct {
		const char	*name;
		int64_t		 ms;
	} units[] = {
		{ "d", 86400000 }, { "h", 3600000 }, { "m", 60000 },
		{ "s", 1000 }, { "ms", 1 },
	};
	size_t i, off = 0;

	if (ms <= 0) {
		snprintf(buf, size, "%lld", (long long)ms);
		return buf;
	}
	buf[0] = '\0';
	for (i = 0; i < nitems(units) && off < size; i++) {
		if (ms >= units[i].ms) {
			off += (size_t)snprintf(buf + off, size - off, "%lld%s",
			    (long long)(ms / units[i].ms), units[i].name);
			ms %= units[i].ms;
		}
	}
	return buf;
}

unsigned
cfg_distance(const char *a, const char *b)
{
	unsigned char d[CFG_DIST_MAX + 1][CFG_DIST_MAX + 1];
	size_t la = strlen(a), lb = strlen(b), i, j;
	unsigned cost, best;

	if (la > CFG_DIST_MAX || lb > CFG_DIST_MAX)
		return UINT32_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = (unsigned char)i;
	for (j = 0; j <= lb; j++)
		d[0][j] = (unsigned char)j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			cost = tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]);
			best = MINIMUM(d[i - 1][j] + 1U, d[i][j - 1] + 1U);
			best = MINIMUM(best, d[i - 1][j - 1] + cost);
			/* A swap of two neighbours counts as one edit. */
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1])
				best = MINIMUM(best, d[i - 2][j - 2] + 1U);
			d[i][j] = (unsigned char)best;
		}
	}
	return d[la][lb];
}

const char *
cfg_suggest(const char *word, const char *const *cands, size_t ncands)
{
	const char *best = NULL;
	unsigned d, bestd = UINT32_MAX, limit;
	size_t i;

	/* One edit for short words, then one more per four letters. */
	limit = 1 + (unsigned)MINIMUM(strlen(word), 8) / 4;
	for (i = 0; i < ncands; i++) {
		if ((d = cfg_distance(word, cands[i])) < bestd) {
			bestd = d;
			best = cands[i];
		}
	}
	return bestd <= limit ? best : NULL;
}
