/*
 * classify.c: the statement classifier (see classify.h).
 *
 * A statement is a sequence of words (letters, digits, '_', '@', '$')
 * outside literals and comments. The first word names the statement; a
 * SELECT is a read unless it locks rows (FOR UPDATE, LOCK IN SHARE MODE,
 * FOR SHARE), writes a file or variables (INTO), or calls a function
 * with effects or session scope (GET_LOCK, LAST_INSERT_ID, NEXTVAL...).
 * Unknown statements go to the primary: a wrong "write" costs a little
 * load, a wrong "read" returns stale or wrong data.
 */
#include <ctype.h>
#include <string.h>

#include "classify.h"
#include "util.h"

#define DBP_WORD_MAX	32

/* The scanner: the text, where it is, the last word and hints seen. */
struct dbp_scan {
	const char	*s;
	size_t		 len, off;
	char		 word[DBP_WORD_MAX + 1];	/* upper case */
	int		 hints;
	int		 semicolon;	/* a ';' was seen */
	int		 multi;		/* a word came after a ';' */
	int		 connstate;	/* DBP_Q_CONNSTATE */
};

/* Functions whose call sends a SELECT to the primary. */
static const char *const dbp_primary_funcs[] = {
	"GET_LOCK", "RELEASE_LOCK", "RELEASE_ALL_LOCKS", "IS_FREE_LOCK",
	"IS_USED_LOCK", "LAST_INSERT_ID", "NEXTVAL", "LASTVAL", "SETVAL",
	"NEXT", "FOUND_ROWS", "ROW_COUNT", "MASTER_POS_WAIT",
	"MASTER_GTID_WAIT", "SLEEP", "@@IDENTITY", "@@LAST_INSERT_ID",
	"LAST_VALUE", NULL,
};

/* Statements that only read. */
static const char *const dbp_read_words[] = {
	"SELECT", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "HELP", "WITH",
	"VALUES", "TABLE", "CHECKSUM", NULL,
};

/* Words that read what the connection's last statements left, or set a
   user variable: such a statement must not run on a connection other
   sessions use too. */
static const char *const dbp_connstate_words[] = {
	"SQL_CALC_FOUND_ROWS", "CONNECTION_ID", "PS_CURRENT_THREAD_ID",
	"@@WARNING_COUNT", "@@ERROR_COUNT",
	/* @@session.warning_count: the scanner reads @@SESSION, then this */
	"WARNING_COUNT", "ERROR_COUNT",
	"SESSION_STATUS",	/* information_schema's, the connection's */
	NULL,
};

/* After SHOW: the connection's own warnings, errors, profiles, counters. */
static const char *const dbp_connstate_show[] = {
	"WARNINGS", "ERRORS", "PROFILE", "PROFILES", "STATUS", "COUNT", NULL,
};

/* Is w one of list's words? */
static int
dbp_in(const char *w, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(w, *list) == 0)
			return 1;
	return 0;
}

/* A comment's text may hold a routing hint. */
static void
dbp_scan_hint(struct dbp_scan *sc, const char *p, size_t n)
{
	if (n >= 13 && memmem(p, n, "triad:primary", 13) != NULL)
		sc->hints |= DBP_Q_HINT_PRIMARY;
	if (n >= 13 && memmem(p, n, "triad:replica", 13) != NULL)
		sc->hints |= DBP_Q_HINT_REPLICA;
}

/* Skips a comment at off; 1 if there was one. */
static int
dbp_scan_comment(struct dbp_scan *sc)
{
	const char *p = sc->s + sc->off, *e;
	size_t left = sc->len - sc->off;

	if (left >= 2 && p[0] == '/' && p[1] == '*') {
		e = memmem(p + 2, left - 2, "*/", 2);
		if (e == NULL)
			e = p + left - 2;
		/* MariaDB's executable comments are code, not comments. */
		if (left >= 3 && p[2] == '!') {
			for (sc->off += 3; sc->off < sc->len &&
			    isdigit((unsigned char)sc->s[sc->off]); sc->off++)
				;
		} else {
			dbp_scan_hint(sc, p, (size_t)(e - p));
			sc->off = (size_t)(e + 2 - sc->s);
		}
		return 1;
	}
	if (p[0] == '#' || (left >= 3 && p[0] == '-' && p[1] == '-' &&
	    isspace((unsigned char)p[2]))) {
		e = memchr(p, '\n', left);
		dbp_scan_hint(sc, p, e ? (size_t)(e - p) : left);
		sc->off = e ? (size_t)(e + 1 - sc->s) : sc->len;
		return 1;
	}
	return 0;
}

/* Skips a quoted literal or name starting at off. */
static void
dbp_scan_quoted(struct dbp_scan *sc)
{
	char q = sc->s[sc->off++];

	while (sc->off < sc->len) {
		char c = sc->s[sc->off++];

		if (c == '\\' && q != '`' && sc->off < sc->len)
			sc->off++;
		else if (c == q) {
			if (sc->off < sc->len && sc->s[sc->off] == q)
				sc->off++;	/* doubled quote */
			else
				return;
		}
	}
}

/* A character of a word (names, keywords, @@variables). */
static int
dbp_word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '@' || c == '$';
}

/* Reads one word into sc->word; 0 at the end of the text. */
static int
dbp_scan_word(struct dbp_scan *sc)
{
	size_t n;

	while (sc->off < sc->len) {
		char c = sc->s[sc->off];

		if (isspace((unsigned char)c) || c == '*' || c == ')')
			sc->off++;
		else if (dbp_scan_comment(sc))
			continue;
		else if (c == '\'' || c == '"' || c == '`')
			dbp_scan_quoted(sc);
		else if (c == ';') {
			sc->off++;
			sc->semicolon = 1;
		} else if (dbp_word_char(c)) {
			sc->multi |= sc->semicolon;
			for (n = 0; sc->off < sc->len &&
			    dbp_word_char(sc->s[sc->off]); sc->off++)
				if (n < DBP_WORD_MAX)
					sc->word[n++] = (char)toupper(
					    (unsigned char)sc->s[sc->off]);
			sc->word[n] = '\0';
			if ((sc->word[0] == '@' && sc->word[1] != '@') ||
			    dbp_in(sc->word, dbp_connstate_words))
				sc->connstate = 1;
			return 1;
		} else
			sc->off++;
	}
	return 0;
}

/* The flags of a SELECT (or WITH) from its remaining words. */
static int
dbp_classify_select(struct dbp_scan *sc)
{
	char prev[DBP_WORD_MAX + 1] = "", prev2[DBP_WORD_MAX + 1] = "";

	while (dbp_scan_word(sc)) {
		if ((strcmp(prev, "FOR") == 0 && (strcmp(sc->word, "UPDATE") ==
		    0 || strcmp(sc->word, "SHARE") == 0)) ||
		    (strcmp(prev2, "IN") == 0 && strcmp(prev, "SHARE") == 0 &&
		    strcmp(sc->word, "MODE") == 0) ||
		    strcmp(sc->word, "INTO") == 0 ||
		    dbp_in(sc->word, dbp_primary_funcs) ||
		    strcmp(sc->word, "UPDATE") == 0 ||
		    strcmp(sc->word, "DELETE") == 0 ||
		    strcmp(sc->word, "INSERT") == 0)
			return DBP_Q_WRITE;
		memcpy(prev2, prev, sizeof(prev));
		memcpy(prev, sc->word, sizeof(prev));
	}
	return DBP_Q_READ;
}

/* START TRANSACTION [READ ONLY | READ WRITE | WITH CONSISTENT SNAPSHOT] */
static int
dbp_classify_start(struct dbp_scan *sc)
{
	int ro = 0;

	if (!dbp_scan_word(sc) || strcmp(sc->word, "TRANSACTION") != 0)
		return DBP_Q_WRITE;	/* START SLAVE and others */
	while (dbp_scan_word(sc))
		if (strcmp(sc->word, "ONLY") == 0)
			ro = 1;
		else if (strcmp(sc->word, "WRITE") == 0)
			ro = 0;
	return DBP_Q_BEGIN | (ro ? DBP_Q_BEGIN_RO : 0);
}

/*
 * SET: session state, replayed on every server connection the session
 * uses; SET autocommit is also watched by the router. Not session state:
 * SET GLOBAL and SET PASSWORD change the server (the primary, once), SET
 * TRANSACTION only the next transaction (the primary's). A SET that reads
 * (SET @a = (SELECT ...)) runs on the primary first.
 */
static int
dbp_classify_set(struct dbp_scan *sc)
{
	int f = DBP_Q_SESSION;

	while (dbp_scan_word(sc)) {
		if (strcmp(sc->word, "AUTOCOMMIT") == 0 ||
		    strcmp(sc->word, "@@AUTOCOMMIT") == 0)
			f |= DBP_Q_AUTOCOMMIT;
		else if (strcmp(sc->word, "TRANSACTION") == 0 ||
		    strcmp(sc->word, "PASSWORD") == 0 ||
		    strcmp(sc->word, "GLOBAL") == 0 ||
		    strncmp(sc->word, "@@GLOBAL", 8) == 0)
			return DBP_Q_WRITE;
		else if (strcmp(sc->word, "SELECT") == 0)
			f |= DBP_Q_WRITE;
	}
	return f;
}

/* CREATE [OR REPLACE] TEMPORARY TABLE marks the session for the primary. */
static int
dbp_classify_create(struct dbp_scan *sc)
{
	while (dbp_scan_word(sc))
		if (strcmp(sc->word, "TEMPORARY") == 0)
			return DBP_Q_WRITE | DBP_Q_TEMP;
		else if (strcmp(sc->word, "TABLE") == 0 ||
		    strcmp(sc->word, "DATABASE") == 0 ||
		    strcmp(sc->word, "INDEX") == 0)
			break;
	return DBP_Q_WRITE;
}

/* The statement named by the first word. */
static int
dbp_classify_first(struct dbp_scan *sc)
{
	const char *w = sc->word;

	if (strcmp(w, "SELECT") == 0 || strcmp(w, "WITH") == 0)
		return dbp_classify_select(sc);
	if (strcmp(w, "SHOW") == 0) {
		while (dbp_scan_word(sc))
			if (dbp_in(sc->word, dbp_connstate_show))
				sc->connstate = 1;
		return DBP_Q_READ;
	}
	if (dbp_in(w, dbp_read_words))
		return DBP_Q_READ;
	if (strcmp(w, "BEGIN") == 0)
		return DBP_Q_BEGIN;
	if (strcmp(w, "START") == 0)
		return dbp_classify_start(sc);
	if (strcmp(w, "COMMIT") == 0 || strcmp(w, "ROLLBACK") == 0)
		return DBP_Q_END;
	if (strcmp(w, "SET") == 0)
		return dbp_classify_set(sc);
	if (strcmp(w, "USE") == 0)
		return DBP_Q_SESSION | DBP_Q_USE;
	if (strcmp(w, "CREATE") == 0)
		return dbp_classify_create(sc);
	if (strcmp(w, "LOCK") == 0)
		return DBP_Q_WRITE | DBP_Q_LOCK;
	if (strcmp(w, "UNLOCK") == 0)
		return DBP_Q_WRITE | DBP_Q_UNLOCK;
	if (strcmp(w, "PREPARE") == 0 || strcmp(w, "EXECUTE") == 0 ||
	    strcmp(w, "DEALLOCATE") == 0)
		return DBP_Q_WRITE | DBP_Q_PREPARE;
	return DBP_Q_WRITE;
}

int
dbp_classify(const char *sql, size_t len)
{
	struct dbp_scan sc;
	int f;

	memset(&sc, 0, sizeof(sc));
	sc.s = sql;
	sc.len = len;
	if (!dbp_scan_word(&sc))
		return DBP_Q_WRITE | sc.hints;	/* empty: the server says */
	f = dbp_classify_first(&sc);
	/* Anything after a ';' is another statement: the whole text goes
	   where the strictest of them must. */
	while (dbp_scan_word(&sc))
		;
	if (sc.multi)
		f = (f & ~DBP_Q_READ) | DBP_Q_WRITE | DBP_Q_MULTI;
	return f | sc.hints | (sc.connstate ? DBP_Q_CONNSTATE : 0);
}
