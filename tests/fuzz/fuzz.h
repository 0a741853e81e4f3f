/*
 * The fuzz targets' entry point, as libFuzzer calls it.  Each target is
 * built twice: with clang and -fsanitize=fuzzer (ACCRUE_FUZZ=ON) for a
 * fuzzing session, and with replay.c as a plain program that runs its seed
 * corpus (tests/fuzz/corpus/NAME) under the sanitizer build of the tests.
 */
#ifndef ACCRUE_FUZZ_H
#define ACCRUE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The bytes as a file the parsers can open by name (a memfd); its path, or
 * NULL.  fuzz_file_close releases it. */
const char *fuzz_file(const uint8_t *data, size_t size);
void fuzz_file_close(void);

#endif
