/*
 * files: folders and whole-or-nothing files (files.h).
 */
#include "files.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int files_mkdir_p(const char *dir, char *buf)
{
	size_t n = strlen(dir);

	if (n == 0 || n >= FILES_PATH_MAX) {
		errno = ENAMETOOLONG;
		snprintf(buf, FILES_PATH_MAX, "%.200s", dir);
		return -1;
	}
	memcpy(buf, dir, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0777) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0777) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* The mode a new file would get from open(…, 0644). */
int files_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static mode_t file_mode(void)
{
	mode_t mask = umask(0);

	umask(mask);
	return 0644 & ~mask;
}

int files_write_atomic(const char *path, const void *data, size_t len, char *failed)
{
	char tmp[FILES_PATH_MAX];
	const char *slash = strrchr(path, '/'), *p = data;
	int fd, saved;

	/* DIR/.NAME.XXXXXX: mkstemp creates it with O_EXCL (so never through
	 * a link planted under that name) and a name nobody can guess */
	if ((size_t)snprintf(tmp, sizeof(tmp), "%.*s.%s.XXXXXX", slash ? (int)(slash - path + 1) : 0,
			     path, slash ? slash + 1 : path) >= sizeof(tmp)) {
		snprintf(failed, FILES_PATH_MAX, "%s", path);
		errno = ENAMETOOLONG;
		return -1;
	}
	/* every failure names the file asked for, not its temporary */
	snprintf(failed, FILES_PATH_MAX, "%s", path);
	if ((fd = mkstemp(tmp)) < 0)
		return -1;
	if (fchmod(fd, file_mode()) != 0)
		goto fail;
	if (files_write_all(fd, p, len))
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	/* rename replaces path itself, never what a link there points to */
	snprintf(failed, FILES_PATH_MAX, "%s", path);
	if (rename(tmp, path) != 0)
		goto fail;
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

int files_out_open(struct files_out *o, const char *path)
{
	const char *slash = strrchr(path, '/');
	int fd;

	memset(o, 0, sizeof(*o));
	snprintf(o->failed, sizeof(o->failed), "%s", path);
	if ((size_t)snprintf(o->path, sizeof(o->path), "%s", path) >= sizeof(o->path) ||
	    (size_t)snprintf(o->tmp, sizeof(o->tmp), "%.*s.%s.XXXXXX",
			     slash ? (int)(slash - path + 1) : 0, path,
			     slash ? slash + 1 : path) >= sizeof(o->tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(o->failed, sizeof(o->failed), "%s", path);
	if ((fd = mkstemp(o->tmp)) < 0)
		return -1;
	if (fchmod(fd, file_mode()) != 0 || !(o->f = fdopen(fd, "w"))) {
		int saved = errno;

		close(fd);
		unlink(o->tmp);
		errno = saved;
		return -1;
	}
	return 0;
}

int files_out_commit(struct files_out *o)
{
	int bad = fflush(o->f) != 0 || ferror(o->f);
	int saved = errno;

	if (fclose(o->f) != 0 && !bad) {
		bad = 1;
		saved = errno;
	}
	o->f = NULL;
	if (!bad) {
		snprintf(o->failed, sizeof(o->failed), "%s", o->path);
		if (rename(o->tmp, o->path) == 0)
			return 0;
		saved = errno;
	}
	unlink(o->tmp);
	errno = saved ? saved : EIO;
	return -1;
}

void files_out_abort(struct files_out *o)
{
	if (o->f)
		fclose(o->f);
	o->f = NULL;
	if (o->tmp[0])
		unlink(o->tmp);
}

/* .NAME.XXXXXX, the temporary of files_write_atomic / files_out_open for
 * NAME, where NAME ends in shape (whole: is shape); '9' in shape is any
 * digit. */
static int stray_of(const char *name, const char *shape, int whole)
{
	size_t n = strlen(name), k = strlen(shape);
	const char *end, *d;

	if (n < 1 + k + 7 || name[0] != '.' || name[n - 7] != '.')
		return 0;
	for (size_t i = n - 6; i < n; i++)
		if (!isalnum((unsigned char)name[i]))
			return 0;
	end = name + n - 7;   /* NAME ends here */
	d = end - k;
	if (whole && d != name + 1)
		return 0;
	for (size_t i = 0; i < k; i++)
		if (shape[i] == '9' ? !isdigit((unsigned char)d[i]) : d[i] != shape[i])
			return 0;
	return 1;
}

long files_sweep(const char *dir, const char *shape, int whole)
{
	DIR *d = opendir(dir);
	struct dirent *x;
	long removed = 0;

	if (!d)
		return -1;
	while ((x = readdir(d)) != NULL) {
		char path[FILES_PATH_MAX];
		struct stat st;

		if (!stray_of(x->d_name, shape, whole))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, x->d_name) >= sizeof(path))
			continue;
		/* a regular file of ours only, never through a link */
		if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid())
			continue;
		if (unlink(path) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}
