/*
 * replay_main.c: a stand-in for libFuzzer's driver when the tree is built
 * without clang. It feeds every file of the given folders (or the given
 * files) to LLVMFuzzerTestOneInput once, so the seed corpus is checked by
 * every build. A crash or sanitizer report fails the test as it would under
 * libFuzzer.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads the whole of path into a fresh buffer; returns NULL on error. */
static uint8_t *
replay_read(const char *path, size_t *len)
{
	FILE *f;
	uint8_t *buf;
	long n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	/* One spare byte so that a zero-length input still has a buffer. */
	if ((buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Runs one file; returns 0 on success, 1 when it could not be read. */
static int
replay_file(const char *path)
{
	uint8_t *buf;
	size_t len;

	if ((buf = replay_read(path, &len)) == NULL) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		return 1;
	}
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	int i, runs = 0, errors = 0;

	for (i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *de;
		char path[4096];

		if (stat(argv[i], &st) != 0 || !S_ISDIR(st.st_mode)) {
			errors += replay_file(argv[i]);
			runs++;
			continue;
		}
		if ((d = opendir(argv[i])) == NULL) {
			errors++;
			continue;
		}
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
			errors += replay_file(path);
			runs++;
		}
		closedir(d);
	}
	printf("replayed %d inputs, %d unreadable\n", runs, errors);
	return (errors || runs == 0) ? 1 : 0;
}
