/* SPDX-License-Identifier: MIT */
/* Finding scenario files under paths, and the CI shard environment. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scenario/scenario.h"

#define MAX_DEPTH 32

struct list {
	char **items;
	size_t n, cap;
};

static int
push(struct list *l, char *s, struct tl_error *err)
{
	if (!s)
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **items = realloc(l->items, cap * sizeof(*items));
		if (!items) {
			free(s);
			return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		}
		l->items = items;
		l->cap = cap;
	}
	l->items[l->n++] = s;
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
join(const char *dir, const char *name)
{
	size_t dl = strlen(dir);
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	size_t len = dl + 1 + strlen(name) + 1;
	char *p = malloc(len);
	if (p)
		snprintf(p, len, "%.*s/%s", (int)dl, dir, name);
	return p;
}

static int
walk(const char *dir, int depth, struct list *out, struct tl_error *err)
{
	struct list entries = {0};
	struct dirent *de;
	int rc = 0;
	DIR *d = opendir(dir);

	if (!d)
		return tl_error_set(err, errno == ENOENT ? TL_ERR_NOT_FOUND : TL_ERR_IO,
				    "cannot open directory '%s': %s", dir, strerror(errno));
	while (rc == 0 && (de = readdir(d)))
		if (de->d_name[0] != '.')
			rc = push(&entries, join(dir, de->d_name), err);
	closedir(d);
	if (entries.n)
		qsort(entries.items, entries.n, sizeof(char *), cmp_names);
	for (size_t i = 0; i < entries.n; i++) {
		struct stat st;
		char *e = entries.items[i];
		entries.items[i] = NULL;
		if (rc == 0 && stat(e, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (depth < MAX_DEPTH)
				rc = walk(e, depth + 1, out, err);
			free(e);
		} else if (rc == 0 && tl_scenario_sniff(e)) {
			rc = push(out, e, err);
		} else
			free(e);
	}
	free(entries.items);
	return rc;
}

int
tl_scenario_collect(const char *path, char ***files, size_t *n, struct tl_error *err)
{
	struct list out = {.items = *files, .n = *n, .cap = *n};
	struct stat st;
	size_t before = *n;
	int rc;

	if (stat(path, &st) < 0) {
		tl_error_set(err, errno == ENOENT ? TL_ERR_NOT_FOUND : TL_ERR_IO, "%s",
			     strerror(errno));
		tl_error_locate_file(err, path, 0, 0);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = walk(path, 0, &out, err);
		if (rc == 0 && out.n == before) {
			rc = tl_error_set(err, TL_ERR_NOT_FOUND, "no scenario files found");
			tl_error_locate_file(err, path, 0, 0);
		}
	} else
		rc = push(&out, strdup(path), err);
	if (rc < 0) {
		for (size_t i = before; i < out.n; i++)
			free(out.items[i]);
		out.n = before;
	}
	*files = out.items;
	*n = out.n;
	return rc;
}

void
tl_scenario_files_free(char **files, size_t n)
{
	for (size_t i = 0; files && i < n; i++)
		free(files[i]);
	free(files);
}

int
tl_scenario_shard_from_env(unsigned *k, unsigned *n, struct tl_error *err)
{
	const char *index = getenv("CI_NODE_INDEX"), *total = getenv("CI_NODE_TOTAL");
	char text[64];

	if (!index && !total)
		return 0;
	if (!index || !total)
		return tl_error_set(err, TL_ERR_INVALID,
				    "CI_NODE_INDEX and CI_NODE_TOTAL must be set together");
	snprintf(text, sizeof(text), "%s/%s", index, total);
	if (tl_scenario_parse_shard(text, k, n, err) < 0) {
		tl_error_prefix(err, "CI_NODE_INDEX/CI_NODE_TOTAL");
		return -1;
	}
	return 1;
}
