/*
 * encoding.c: see encoding.h.
 */
#include <string.h>

#include "encoding.h"
#include "http1.h"

/* The weight given to identity when neither it nor "*" is listed. */
#define ENCODING_Q_FALLBACK	0

/*
 * Reads a qvalue (RFC 9110 12.4.2) filling all of s (len bytes) into *q
 * as thousandths. Returns 0, or -1 when it is not one.
 */
static int
encoding_qvalue(const char *s, size_t len, int *q)
{
	size_t i;
	int scale = 100;

	if (len == 0 || (s[0] != '0' && s[0] != '1') || len > 5 ||
	    (len > 1 && s[1] != '.'))
		return -1;
	*q = s[0] == '1' ? 1000 : 0;
	for (i = 2; i < len; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9' || (s[0] == '1' && s[i] != '0'))
			return -1;
		*q += (s[i] - '0') * scale;
	}
	return 0;
}

/*
 * Splits one element, codings [ OWS ";" OWS "q=" qvalue ], into the coding
 * (*name, *nlen) and its weight *q (1000 without one). Returns 0, or -1
 * when the element is not of that form.
 */
static int
encoding_element(const char *s, size_t len, const char **name, size_t *nlen,
    int *q)
{
	size_t i = 0, j;

	while (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != ';')
		i++;
	if (!http1_token_valid(s, i))
		return -1;
	*name = s;
	*nlen = i;
	*q = 1000;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i == len)
		return 0;
	if (s[i++] != ';')
		return -1;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (len - i < 2 || (s[i] != 'q' && s[i] != 'Q') || s[i + 1] != '=')
		return -1;
	i += 2;
	for (j = i; j < len && s[j] != ' ' && s[j] != '\t'; j++)
		;
	if (encoding_qvalue(s + i, j - i, q) == -1)
		return -1;
	while (j < len && (s[j] == ' ' || s[j] == '\t'))
		j++;
	return j == len ? 0 : -1;
}

/* The slot of acc that name (nlen bytes) sets, or NULL when none. */
static int16_t *
encoding_slot(struct webd_encoding_accept *acc, const char *name, size_t nlen)
{
	if (http1_token_eq(name, nlen, "br"))
		return &acc->q_br;
	if (http1_token_eq(name, nlen, "gzip") ||
	    http1_token_eq(name, nlen, "x-gzip"))
		return &acc->q_gzip;
	if (http1_token_eq(name, nlen, "identity"))
		return &acc->q_identity;
	if (nlen == 1 && name[0] == '*')
		return &acc->q_star;
	return NULL;
}

void
webd_encoding_parse(const char *v, size_t len,
    struct webd_encoding_accept *acc)
{
	struct http1_tokens it;
	const char *tok, *name;
	size_t tlen, nlen;
	int16_t *slot;
	int q;

	acc->q_identity = acc->q_gzip = acc->q_br = acc->q_star = -1;
	if (v == NULL) {
		acc->q_identity = 1000;
		return;
	}
	http1_tokens_init(&it, v, len);
	while (http1_tokens_next(&it, &tok, &tlen)) {
		if (tlen == 0 ||
		    encoding_element(tok, tlen, &name, &nlen, &q) == -1)
			continue;
		slot = encoding_slot(acc, name, nlen);
		if (slot != NULL && *slot == -1)
			*slot = (int16_t)q;
	}
}

/* The weight of a coding: its own when listed, else that of "*", else 0. */
static int
encoding_weight(int own, int star)
{
	if (own >= 0)
		return own;
	return star >= 0 ? star : 0;
}

enum webd_encoding
webd_encoding_choose(const struct webd_encoding_accept *acc, unsigned avail)
{
	enum webd_encoding best = WEBD_ENCODING_IDENTITY;
	int qbest, q;

	/* identity, unlisted and without "*", ranks below any q > 0. */
	if (acc->q_identity < 0 && acc->q_star < 0)
		qbest = ENCODING_Q_FALLBACK;
	else
		qbest = encoding_weight(acc->q_identity, acc->q_star);
	/* Ties go to the smaller body: gzip beats identity, br beats both. */
	if (avail & WEBD_ENCODING_F_GZIP) {
		q = encoding_weight(acc->q_gzip, acc->q_star);
		if (q > 0 && q >= qbest) {
			qbest = q;
			best = WEBD_ENCODING_GZIP;
		}
	}
	if (avail & WEBD_ENCODING_F_BR) {
		q = encoding_weight(acc->q_br, acc->q_star);
		if (q > 0 && q >= qbest)
			best = WEBD_ENCODING_BR;
	}
	return best;
}

enum webd_encoding
webd_encoding_select(const char *v, size_t len, unsigned avail)
{
	struct webd_encoding_accept acc;

	webd_encoding_parse(v, len, &acc);
	return webd_encoding_choose(&acc, avail);
}

const char *
webd_encoding_name(enum webd_encoding e)
{
	switch (e) {
	case WEBD_ENCODING_GZIP:
		return "gzip";
	case WEBD_ENCODING_BR:
		return "br";
	default:
		return NULL;
	}
}

const char *
webd_encoding_suffix(enum webd_encoding e)
{
	switch (e) {
	case WEBD_ENCODING_GZIP:
		return ".gz";
	case WEBD_ENCODING_BR:
		return ".br";
	default:
		return "";
	}
}
