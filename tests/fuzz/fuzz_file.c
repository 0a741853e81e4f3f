#define _GNU_SOURCE
#include "fuzz.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

static int fd = -1;
static char path[64];

const char *fuzz_file(const uint8_t *data, size_t size)
{
	size_t off = 0;

	fuzz_file_close();
	if ((fd = memfd_create("fuzz", 0)) < 0)
		return NULL;
	while (off < size) {
		ssize_t w = write(fd, data + off, size - off);

		if (w <= 0)
			return NULL;
		off += (size_t)w;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return path;
}

void fuzz_file_close(void)
{
	if (fd >= 0)
		close(fd);
	fd = -1;
}
