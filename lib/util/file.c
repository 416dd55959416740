/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/file.h"

int
tl_file_read(const char *path, size_t max, char **data, size_t *len, struct tl_error *err)
{
	struct stat st;
	char *buf = NULL;
	size_t cap, used = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return tl_error_set(err, errno == ENOENT ? TL_ERR_NOT_FOUND : TL_ERR_IO,
				    "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		tl_error_set(err, TL_ERR_IO, "cannot stat '%s': %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		tl_error_set(err, TL_ERR_IO, "'%s' is a directory", path);
		goto fail;
	}
	if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max) {
		tl_error_set(err, TL_ERR_LIMIT, "'%s' is %jd bytes, more than the limit of %zu",
			     path, (intmax_t)st.st_size, max);
		goto fail;
	}
	/* Pipes and character devices have no size: read until EOF or the cap. */
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 4096;
	buf = malloc(cap);
	if (!buf) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory reading '%s'", path);
		goto fail;
	}
	for (;;) {
		ssize_t n;
		if (used + 1 >= cap) {
			char *p;
			if (cap > max + 1) {
				tl_error_set(err, TL_ERR_LIMIT,
					     "'%s' is larger than the limit of %zu bytes", path,
					     max);
				goto fail;
			}
			cap = cap * 2 > max + 2 ? max + 2 : cap * 2;
			p = realloc(buf, cap);
			if (!p) {
				tl_error_set(err, TL_ERR_NOMEM, "out of memory reading '%s'", path);
				goto fail;
			}
			buf = p;
		}
		n = read(fd, buf + used, cap - used - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			tl_error_set(err, TL_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max) {
			tl_error_set(err, TL_ERR_LIMIT,
				     "'%s' is larger than the limit of %zu bytes", path, max);
			goto fail;
		}
	}
	close(fd);
	buf[used] = '\0';
	*data = buf;
	*len = used;
	return 0;
fail:
	free(buf);
	close(fd);
	return -1;
}

void
tl_path_dirname(const char *path, char *out, size_t size)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash) {
		snprintf(out, size, ".");
		return;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= size)
		n = size - 1;
	memcpy(out, path, n);
	out[n] = '\0';
}

int
tl_path_join_relative(const char *base_file, const char *rel, char *out, size_t size,
		      struct tl_error *err)
{
	char dir[PATH_MAX];
	int n;

	if (rel[0] == '/')
		n = snprintf(out, size, "%s", rel);
	else {
		tl_path_dirname(base_file, dir, sizeof(dir));
		n = snprintf(out, size, "%s/%s", dir, rel);
	}
	if (n < 0 || (size_t)n >= size)
		return tl_error_set(err, TL_ERR_LIMIT, "path '%s' is too long", rel);
	return 0;
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
tl_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode,
		     struct tl_error *err)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	int fd, dfd, n;

	tl_path_dirname(path, dir, sizeof(dir));
	n = snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return tl_error_set(err, TL_ERR_LIMIT, "path '%s' is too long", path);

	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return tl_error_set(err, TL_ERR_IO,
				    "cannot create a temporary file beside '%s': %s", path,
				    strerror(errno));
	if (fchmod(fd, (mode_t)mode) < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		tl_error_set(err, TL_ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) < 0) {
		tl_error_set(err, TL_ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		tl_error_set(err, TL_ERR_IO, "cannot rename '%s' to '%s': %s", tmp, path,
			     strerror(errno));
		unlink(tmp);
		return -1;
	}
	/* The rename is durable only once the directory entry is on disk. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		int rc = fsync(dfd);
		int saved = errno;
		close(dfd);
		if (rc < 0 && saved != EINVAL)
			return tl_error_set(err, TL_ERR_IO, "cannot sync directory '%s': %s", dir,
					    strerror(saved));
	}
	return 0;
}
