/*
 * files: the output files accrue writes (statements' PDFs, the outbox's
 * .eml messages): folders made as needed, and each file written whole or
 * not at all.
 */
#ifndef ACCRUE_FILES_H
#define ACCRUE_FILES_H

#include <stddef.h>
#include <stdio.h>

/* Make dir and any missing parents (mode 0777 less the umask).  0, or -1
 * with errno set and *failed (when not NULL) the folder that could not be
 * made, in buf (at least FILES_PATH_MAX bytes). */
#define FILES_PATH_MAX 4096
int files_mkdir_p(const char *dir, char *buf);

/* Write data to path through a new temporary file beside it (a name no
 * other process can have planted: created exclusively, never through a
 * symbolic link), then rename it over path, so that a reader sees the old
 * file or the whole new one.  Mode 0644 less the umask.  0, or -1 with
 * errno set and path copied into failed (at least FILES_PATH_MAX bytes),
 * whichever step failed: the temporary is never named. */
int files_write_atomic(const char *path, const void *data, size_t len, char *failed);

/* A file written as a stream, whole or not at all: files_out_open makes
 * the temporary beside path (as files_write_atomic does) and gives its
 * FILE; files_out_commit flushes, closes and renames it over path;
 * files_out_abort removes it.  0, or -1 with errno set and the failing file
 * in o->failed (its path). */
struct files_out {
	FILE *f;
	char tmp[FILES_PATH_MAX];
	char path[FILES_PATH_MAX];
	char failed[FILES_PATH_MAX];
};
int files_out_open(struct files_out *o, const char *path);
int files_out_commit(struct files_out *o);
void files_out_abort(struct files_out *o);

/* Write all of data to fd (retrying short writes and EINTR): 0, or -1
 * with errno set. */
int files_write_all(int fd, const void *data, size_t len);

/* Remove from dir the temporaries of writes killed before their rename:
 * .NAME.XXXXXX where NAME ends in shape (whole: NAME is shape; '9' in shape
 * stands for any digit), regular files of this user only.  Call only under
 * the lock of the one kind of run that writes such names.  The number
 * removed, or -1 when dir cannot be read. */
long files_sweep(const char *dir, const char *shape, int whole);

#endif
