/*
 * test_webd_fcache.c: webd's open-file cache on a real temporary tree:
 * hits, the LRU bound, the TTL re-check after a file changes, entries that
 * outlive their eviction while referenced, roots kept apart, small files
 * held in memory.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fcache.h"

struct tree {
	char	dir[64];
	int	root, root2;
};

static void
put(const char *dir, const char *name, const char *data)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(data, f);
	fclose(f);
}

static int
setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	char sub[128];

	strcpy(t->dir, "/tmp/triad-fcache-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(sub, sizeof(sub), "%s/r2", t->dir);
	mkdir(sub, 0755);
	put(t->dir, "a.txt", "alpha");
	put(t->dir, "b.txt", "bravo");
	put(t->dir, "c.txt", "charlie");
	put(sub, "a.txt", "other root");
	t->root = open(t->dir, O_RDONLY | O_DIRECTORY);
	t->root2 = open(sub, O_RDONLY | O_DIRECTORY);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct tree *t = *state;
	char cmd[128];

	close(t->root);
	close(t->root2);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", t->dir);
	assert_int_equal(system(cmd), 0);
	free(t);
	return 0;
}

static struct webd_file *
get(struct webd_fcache *fc, int root, const char *path, uint64_t ttl,
    int *hit)
{
	int err = 0;
	struct webd_file *f = webd_fcache_open(fc, root, path, 0, ttl, 1024,
	    hit, &err);

	if (f == NULL)
		errno = err;
	return f;
}

static void
test_hits_and_memory(void **state)
{
	struct tree *t = *state;
	struct webd_fcache *fc = webd_fcache_new(8);
	struct webd_file *f, *g;
	int hit;

	f = get(fc, t->root, "/a.txt", 60000, &hit);
	assert_non_null(f);
	assert_false(hit);
	assert_non_null(f->data);	/* small: held in memory */
	assert_int_equal(f->fd, -1);
	assert_memory_equal(f->data, "alpha", 5);
	g = get(fc, t->root, "/a.txt", 60000, &hit);
	assert_true(hit);
	assert_ptr_equal(f, g);
	assert_true(f->etag[0] == '"');
	webd_file_unref(f);
	webd_file_unref(g);
	/* Same path, other root: another file. */
	f = get(fc, t->root2, "/a.txt", 60000, &hit);
	assert_false(hit);
	assert_memory_equal(f->data, "other root", 10);
	webd_file_unref(f);
	assert_null(get(fc, t->root, "/missing", 60000, &hit));
	assert_int_equal(errno, ENOENT);
	assert_false(hit);
	/* "No such file" is remembered for the TTL... */
	assert_null(get(fc, t->root, "/missing", 60000, &hit));
	assert_int_equal(errno, ENOENT);
	assert_true(hit);
	/* ...and looked up again after it. */
	put(t->dir, "missing", "now here");
	assert_null(get(fc, t->root, "/missing", 60000, &hit));
	usleep(2000);
	f = get(fc, t->root, "/missing", 0, &hit);
	assert_non_null(f);
	assert_memory_equal(f->data, "now here", 8);
	webd_file_unref(f);
	webd_fcache_free(fc);
}

static void
test_lru_bound_and_refs(void **state)
{
	struct tree *t = *state;
	struct webd_fcache *fc = webd_fcache_new(2);
	struct webd_file *a, *f;
	int hit;

	a = get(fc, t->root, "/a.txt", 60000, &hit);
	webd_file_unref(get(fc, t->root, "/b.txt", 60000, &hit));
	webd_file_unref(get(fc, t->root, "/c.txt", 60000, &hit));
	/* a was least recently used: evicted, but our reference holds. */
	assert_false(a->cached);
	assert_memory_equal(a->data, "alpha", 5);
	f = get(fc, t->root, "/a.txt", 60000, &hit);
	assert_false(hit);
	assert_ptr_not_equal(f, a);
	webd_file_unref(f);
	webd_file_unref(a);
	/* c was used last and stays. */
	f = get(fc, t->root, "/c.txt", 60000, &hit);
	assert_true(hit);
	webd_file_unref(f);
	webd_fcache_free(fc);
}

static void
test_ttl_recheck(void **state)
{
	struct tree *t = *state;
	struct webd_fcache *fc = webd_fcache_new(8);
	struct webd_file *f;
	int hit;

	webd_file_unref(get(fc, t->root, "/b.txt", 0, &hit));
	put(t->dir, "b.txt", "bravo changed");
	usleep(2000);	/* TTL 0: any later lookup checks again */
	f = get(fc, t->root, "/b.txt", 0, &hit);
	assert_false(hit);
	assert_int_equal(f->st.st_size, 13);
	assert_memory_equal(f->data, "bravo changed", 13);
	webd_file_unref(f);
	webd_fcache_free(fc);
}

static void
test_large_keeps_descriptor(void **state)
{
	struct tree *t = *state;
	struct webd_fcache *fc = webd_fcache_new(0);	/* no caching */
	struct webd_file *f, *g;
	char big[4096];
	int hit;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	put(t->dir, "big.txt", big);
	f = get(fc, t->root, "/big.txt", 60000, &hit);
	assert_null(f->data);
	assert_true(f->fd >= 0);
	g = get(fc, t->root, "/big.txt", 60000, &hit);
	assert_false(hit);	/* max 0: nothing is kept */
	assert_ptr_not_equal(f, g);
	webd_file_unref(f);
	webd_file_unref(g);
	webd_fcache_free(fc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hits_and_memory, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lru_bound_and_refs, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ttl_recheck, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_large_keeps_descriptor,
		    setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
