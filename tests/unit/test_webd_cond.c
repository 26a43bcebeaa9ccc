/*
 * test_webd_cond.c: ETags (nginx's form, nanoseconds, inode, variants)
 * and the preconditions of RFC 9110 13.2.2 and If-Range, table-driven,
 * with the precedence between fields and hostile values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cond.h"

#define ETAG	"\"5f-1a\""
/* Last-Modified of the test resource, and dates around it. */
#define LM	((time_t)784111777)
#define D_LM	"Sun, 06 Nov 1994 08:49:37 GMT"
#define D_LM_850 "Sunday, 06-Nov-94 08:49:37 GMT"
#define D_LM_ASC "Sun Nov  6 08:49:37 1994"
#define D_BEFORE "Sun, 06 Nov 1994 08:49:36 GMT"
#define D_AFTER	"Sun, 06 Nov 1994 08:49:47 GMT"
#define D_FUTURE "Fri, 31 Dec 2100 00:00:00 GMT"
#define NOW	(LM + 100000)
#define WED	(LM + 3 * 86400)	/* Wed, 09 Nov 1994 08:49:37 GMT */

/* One row: the fields (NULL absent), the method, the verdict. */
struct cond_case {
	const char	*im, *ius, *inm, *ims;
	int		 get;
	int		 want;
	const char	*etag;		/* NULL: ETAG; "" : no tag */
	int		 no_lm;
};

static const struct cond_case cases[] = {
	/* 1-9: If-Match (strong comparison). */
	{ NULL, NULL, NULL, NULL, 1, 200, NULL, 0 },
	{ ETAG, NULL, NULL, NULL, 1, 200, NULL, 0 },
	{ "\"x\"", NULL, NULL, NULL, 1, 412, NULL, 0 },
	{ "*", NULL, NULL, NULL, 1, 200, NULL, 0 },
	{ "W/" ETAG, NULL, NULL, NULL, 1, 412, NULL, 0 },
	{ "\"x\", " ETAG, NULL, NULL, NULL, 1, 200, NULL, 0 },
	{ "", NULL, NULL, NULL, 1, 412, NULL, 0 },
	{ "5f-1a", NULL, NULL, NULL, 1, 412, NULL, 0 },
	{ ETAG ", junk", NULL, NULL, NULL, 1, 412, NULL, 0 },
	/* 10-15: If-Unmodified-Since, ignored under If-Match. */
	{ ETAG, D_BEFORE, NULL, NULL, 1, 200, NULL, 0 },
	{ NULL, D_LM, NULL, NULL, 1, 200, NULL, 0 },
	{ NULL, D_BEFORE, NULL, NULL, 1, 412, NULL, 0 },
	{ NULL, D_AFTER, NULL, NULL, 0, 200, NULL, 0 },
	{ NULL, "yesterday", NULL, NULL, 1, 200, NULL, 0 },
	{ NULL, D_BEFORE, NULL, NULL, 1, 200, NULL, 1 },
	/* 16-25: If-None-Match (weak comparison). */
	{ NULL, NULL, ETAG, NULL, 1, 304, NULL, 0 },
	{ NULL, NULL, "W/" ETAG, NULL, 1, 304, NULL, 0 },
	{ NULL, NULL, "\"x\"", NULL, 1, 200, NULL, 0 },
	{ NULL, NULL, "*", NULL, 1, 304, NULL, 0 },
	{ NULL, NULL, "*", NULL, 0, 412, NULL, 0 },
	{ NULL, NULL, ETAG, NULL, 0, 412, NULL, 0 },
	{ NULL, NULL, "\"a\", W/" ETAG, NULL, 1, 304, NULL, 0 },
	{ NULL, NULL, " , ," ETAG ",, ", NULL, 1, 304, NULL, 0 },
	{ NULL, NULL, "w/" ETAG, NULL, 1, 200, NULL, 0 },
	{ NULL, NULL, "\"5f-1a", NULL, 1, 200, NULL, 0 },
	/* 26-34: If-Modified-Since, only without If-None-Match, GET/HEAD. */
	{ NULL, NULL, NULL, D_LM, 1, 304, NULL, 0 },
	{ NULL, NULL, NULL, D_AFTER, 1, 304, NULL, 0 },
	{ NULL, NULL, NULL, D_BEFORE, 1, 200, NULL, 0 },
	{ NULL, NULL, NULL, D_LM_850, 1, 304, NULL, 0 },
	{ NULL, NULL, NULL, D_LM_ASC, 1, 304, NULL, 0 },
	{ NULL, NULL, NULL, "Sun, 06 Nov 1994 08:49:37 UTC", 1, 200, NULL, 0 },
	{ NULL, NULL, NULL, D_LM, 0, 200, NULL, 0 },
	{ NULL, NULL, NULL, D_FUTURE, 1, 200, NULL, 0 },
	{ NULL, NULL, NULL, D_LM, 1, 200, NULL, 1 },
	/* 35-38: If-None-Match overrides If-Modified-Since. */
	{ NULL, NULL, "\"x\"", D_LM, 1, 200, NULL, 0 },
	{ NULL, NULL, ETAG, D_BEFORE, 1, 304, NULL, 0 },
	{ NULL, NULL, "garbage", D_LM, 1, 200, NULL, 0 },
	{ NULL, NULL, "*", D_BEFORE, 1, 304, NULL, 0 },
	/* 39-42: the order of 13.2.2: a failed step 1 or 2 wins. */
	{ "\"x\"", NULL, ETAG, NULL, 1, 412, NULL, 0 },
	{ NULL, D_BEFORE, ETAG, NULL, 1, 412, NULL, 0 },
	{ "*", NULL, "*", NULL, 1, 304, NULL, 0 },
	{ ETAG, NULL, NULL, D_LM, 1, 304, NULL, 0 },
	/* 43-46: a representation without a tag. */
	{ ETAG, NULL, NULL, NULL, 1, 412, "", 0 },
	{ "*", NULL, NULL, NULL, 1, 200, "", 0 },
	{ NULL, NULL, "*", NULL, 1, 304, "", 0 },
	{ NULL, NULL, ETAG, NULL, 1, 200, "", 0 },
	/* 47-52: tags with odd but valid bytes, and invalid ones. */
	{ NULL, NULL, "\"a,b\"", NULL, 1, 304, "\"a,b\"", 0 },
	{ "\"a,b\"", NULL, NULL, NULL, 1, 200, "\"a,b\"", 0 },
	{ "\"a\"", NULL, NULL, NULL, 1, 412, "\"a,b\"", 0 },
	{ "\"\x01\"", NULL, NULL, NULL, 1, 412, "\"\x01\"", 0 },
	{ "\"a b\"", NULL, NULL, NULL, 1, 412, "\"a b\"", 0 },
	{ NULL, NULL, "\"\"", NULL, 1, 304, "\"\"", 0 },
	/* 53-56: lists that are not lists. */
	{ ETAG " " ETAG, NULL, NULL, NULL, 1, 412, NULL, 0 },
	{ "*, " ETAG, NULL, NULL, NULL, 1, 412, NULL, 0 },
	{ NULL, NULL, ETAG "x", NULL, 1, 200, NULL, 0 },
	{ NULL, NULL, "W/", NULL, 1, 200, NULL, 0 },
	/* 57-58: a weak representation tag never passes If-Match. */
	{ "W/" ETAG, NULL, NULL, NULL, 1, 412, "W/" ETAG, 0 },
	{ NULL, NULL, ETAG, NULL, 1, 304, "W/" ETAG, 0 },
};

static void
field(struct webd_cond_field *f, const char *v)
{
	f->v = v;
	f->len = v != NULL ? strlen(v) : 0;
}

static void
rep_init(struct webd_cond_rep *rep, const char *etag, int no_lm)
{
	memset(rep, 0, sizeof(*rep));
	if (etag == NULL)
		etag = ETAG;
	if (*etag != '\0') {
		rep->etag = etag;
		rep->etag_len = strlen(etag);
	}
	rep->last_modified = LM;
	rep->has_last_modified = !no_lm;
}

static void
test_evaluate_table(void **state)
{
	struct webd_cond_req req;
	struct webd_cond_rep rep;
	const struct cond_case *c;
	size_t i;
	int got;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = &cases[i];
		memset(&req, 0, sizeof(req));
		field(&req.if_match, c->im);
		field(&req.if_unmodified_since, c->ius);
		field(&req.if_none_match, c->inm);
		field(&req.if_modified_since, c->ims);
		req.get_or_head = c->get;
		req.now = NOW;
		rep_init(&rep, c->etag, c->no_lm);
		got = (int)webd_cond_evaluate(&req, &rep);
		if (got != c->want)
			fail_msg("case %zu: want %d got %d", i + 1, c->want,
			    got);
	}
}

/* Without a known time, a future If-Modified-Since date is used. */
static void
test_evaluate_no_now(void **state)
{
	struct webd_cond_req req;
	struct webd_cond_rep rep;

	(void)state;
	memset(&req, 0, sizeof(req));
	field(&req.if_modified_since, D_FUTURE);
	req.get_or_head = 1;
	rep_init(&rep, NULL, 0);
	assert_int_equal(webd_cond_evaluate(&req, &rep),
	    WEBD_COND_NOT_MODIFIED);
}

struct range_case {
	const char	*if_range;
	const char	*etag;		/* NULL: ETAG */
	time_t		 lm;
	time_t		 now;
	int		 want;
};

static const struct range_case range_cases[] = {
	{ NULL, NULL, LM, NOW, 1 },
	{ ETAG, NULL, LM, NOW, 1 },
	{ "W/" ETAG, NULL, LM, NOW, 0 },
	{ "\"x\"", NULL, LM, NOW, 0 },
	{ ETAG ", \"x\"", NULL, LM, NOW, 0 },
	{ ETAG " ", NULL, LM, NOW, 0 },
	{ "*", NULL, LM, NOW, 0 },
	{ "", NULL, LM, NOW, 0 },
	{ D_LM, NULL, LM, NOW, 1 },
	{ D_LM_850, NULL, LM, NOW, 1 },
	{ D_AFTER, NULL, LM, NOW, 0 },
	{ D_BEFORE, NULL, LM, NOW, 0 },
	{ "garbage", NULL, LM, NOW, 0 },
	/* Last-Modified in the current second is weak (8.8.2.2). */
	{ D_LM, NULL, LM, LM, 0 },
	{ D_LM, NULL, LM, LM + 1, 1 },
	{ D_LM, NULL, LM, 0, 1 },
	/* A date that starts with "W" is a date, not a weak tag. */
	{ "Wed, 09 Nov 1994 08:49:37 GMT", NULL, WED, WED + 1, 1 },
	{ "Wednesday, 09-Nov-94 08:49:37 GMT", NULL, WED, WED + 1, 1 },
	/* A weak representation tag never matches. */
	{ "W/" ETAG, "W/" ETAG, LM, NOW, 0 },
	{ ETAG, "W/" ETAG, LM, NOW, 0 },
	{ ETAG, "", LM, NOW, 0 },
};

static void
test_if_range_table(void **state)
{
	struct webd_cond_req req;
	struct webd_cond_rep rep;
	const struct range_case *c;
	size_t i;
	int got;

	(void)state;
	for (i = 0; i < sizeof(range_cases) / sizeof(range_cases[0]); i++) {
		c = &range_cases[i];
		memset(&req, 0, sizeof(req));
		field(&req.if_range, c->if_range);
		req.get_or_head = 1;
		req.now = c->now;
		rep_init(&rep, c->etag, 0);
		rep.last_modified = c->lm;
		got = webd_cond_if_range(&req, &rep);
		if (got != c->want)
			fail_msg("if-range case %zu: want %d got %d", i + 1,
			    c->want, got);
	}
}

static void
etag_is(const struct webd_cond_file *f, int flags, const char *variant,
    const char *want)
{
	char buf[WEBD_COND_ETAG_SIZE];

	assert_int_equal(webd_cond_etag(buf, f, flags, variant), strlen(want));
	assert_string_equal(buf, want);
}

static void
test_etag_format(void **state)
{
	struct webd_cond_file f = { 0x5f, 0, 0x1a, 0xabc };
	struct webd_cond_file z = { 0, 0, 0, 0 };
	struct webd_cond_file big = { -1, 999999999, UINT64_MAX, UINT64_MAX };
	char buf[WEBD_COND_ETAG_SIZE];
	size_t n;

	(void)state;
	etag_is(&f, 0, NULL, "\"5f-1a\"");		/* nginx's tag */
	etag_is(&z, 0, NULL, "\"0-0\"");
	etag_is(&f, WEBD_COND_ETAG_INODE, NULL, "\"5f-1a-abc\"");
	etag_is(&f, 0, "gz", "\"5f-1a-gz\"");
	etag_is(&f, 0, "br", "\"5f-1a-br\"");
	etag_is(&f, 0, "", "\"5f-1a\"");
	f.mtime_nsec = 1;
	etag_is(&f, 0, NULL, "\"5f.1-1a\"");
	etag_is(&f, WEBD_COND_ETAG_INODE, "br", "\"5f.1-1a-abc-br\"");
	/* The longest tag fits, with room to spare. */
	n = webd_cond_etag(buf, &big, WEBD_COND_ETAG_INODE, "12345678");
	assert_int_equal(n, strlen(buf));
	assert_true(n < WEBD_COND_ETAG_SIZE);
	assert_string_equal(buf, "\"ffffffffffffffff.3b9ac9ff-ffffffffffffffff"
	    "-ffffffffffffffff-12345678\"");
	/* Bad variants give no tag at all. */
	assert_int_equal(webd_cond_etag(buf, &f, 0, "123456789"), 0);
	assert_string_equal(buf, "");
	assert_int_equal(webd_cond_etag(buf, &f, 0, "g\"z"), 0);
	assert_int_equal(webd_cond_etag(buf, &f, 0, "g z"), 0);
	assert_int_equal(webd_cond_etag(buf, &f, 0, "g\x7fz"), 0);
}

/* Different bytes, different tags; and a tag we make validates itself. */
static void
test_etag_distinct(void **state)
{
	struct webd_cond_file f = { 1700000000, 0, 4096, 77 };
	char a[WEBD_COND_ETAG_SIZE], b[WEBD_COND_ETAG_SIZE];
	struct webd_cond_req req;
	struct webd_cond_rep rep;

	(void)state;
	webd_cond_etag(a, &f, 0, NULL);
	webd_cond_etag(b, &f, 0, "gz");
	assert_string_not_equal(a, b);
	webd_cond_etag(a, &f, 0, "br");
	assert_string_not_equal(a, b);
	webd_cond_etag(a, &f, 0, NULL);
	f.mtime_nsec = 500;			/* same second, later write */
	webd_cond_etag(b, &f, 0, NULL);
	assert_string_not_equal(a, b);

	memset(&req, 0, sizeof(req));
	memset(&rep, 0, sizeof(rep));
	rep.etag = b;
	rep.etag_len = strlen(b);
	req.get_or_head = 1;
	field(&req.if_none_match, b);
	assert_int_equal(webd_cond_evaluate(&req, &rep),
	    WEBD_COND_NOT_MODIFIED);
	field(&req.if_none_match, a);
	assert_int_equal(webd_cond_evaluate(&req, &rep), WEBD_COND_PROCEED);
	field(&req.if_range, b);
	assert_int_equal(webd_cond_if_range(&req, &rep), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_evaluate_table),
		cmocka_unit_test(test_evaluate_no_now),
		cmocka_unit_test(test_if_range_table),
		cmocka_unit_test(test_etag_format),
		cmocka_unit_test(test_etag_distinct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
