/*
 * digest: SHA-256 of a byte string, as 64 lowercase hex digits (OpenSSL's
 * libcrypto).  Statements record the digest of every PDF they write.
 */
#ifndef ACCRUE_DIGEST_H
#define ACCRUE_DIGEST_H

#include <stddef.h>

#define DIGEST_HEX_SIZE 65

/* 0, or -1 when libcrypto fails. */
int digest_sha256_hex(const void *data, size_t len, char out[DIGEST_HEX_SIZE]);

#endif
