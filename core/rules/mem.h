/*
 * mem: growing an array by doubling, for the arrays a unit of work owns (one
 * account's documents, one statement's lines).  The caller keeps the
 * pointer and its capacity; nothing here caps the size, the callers' input
 * caps do.
 */
#ifndef ACCRUE_MEM_H
#define ACCRUE_MEM_H

#include <stddef.h>

/* Make *p hold at least `need` elements of `size` bytes: when *cap is
 * smaller, double it (from 16 when 0) until it is not and realloc.
 * 0, or -1 (out of memory, or a size that overflows) leaving *p and *cap
 * as they were. */
int mem_grow(void **p, size_t *cap, size_t need, size_t size);

#endif
