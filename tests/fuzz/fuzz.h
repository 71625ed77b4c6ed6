/*
 * fuzz: what every tests/fuzz/fuzz-NAME.c target shares.
 *
 * Each target defines LLVMFuzzerTestOneInput, and LLVMFuzzerInitialize
 * only when it has something to set up: as in libFuzzer, the latter is
 * optional (weak), and replay.c calls it only when it is there.  The same
 * file is linked either with libFuzzer (run.sh, clang -fsanitize=fuzzer)
 * or with replay.c, a plain main() that feeds it the files named on its
 * command line (t0500, any compiler).  A broken invariant prints what
 * broke and aborts, which both drivers report as a crash.
 */
#ifndef CCX_FUZZ_H
#define CCX_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int	LLVMFuzzerInitialize(int *, char ***) __attribute__((weak));
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_ASSERT(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s: ",	\
		    __FILE__, __LINE__, #cond);				\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

/*
 * Returns 1 when s[0..n) is UTF-8 as RFC 3629 defines it: shortest forms
 * only, no surrogates, nothing above U+10FFFF.  Written here, apart from
 * common/, so that the targets can check the modules against it.
 */
static inline int
fuzz_utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0, k, j;
	uint32_t cp, min;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			k = 1;
			cp = s[i] & 0x1f;
			min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			k = 2;
			cp = s[i] & 0x0f;
			min = 0x800;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			k = 3;
			cp = s[i] & 0x07;
			min = 0x10000;
		} else
			return 0;
		if (n - i <= k)
			return 0;
		for (j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

#endif
