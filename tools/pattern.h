/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The position-dependent byte pattern of the integrity tools (sa-stream,
 * sa-integrity).
 *
 * The byte at stream offset i of the stream with seed S is byte (i % 8) of
 * mix64(mix64(S) + i / 8), byte 0 being the least significant.  A receiver
 * that knows S can tell loss, duplication, reordering and bytes of another
 * stream (another seed) apart from correct delivery.
 */
#ifndef SA_PATTERN_H
#define SA_PATTERN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t mix64(uint64_t x)
{
	/* splitmix64 finaliser */
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static inline unsigned char pattern_byte(uint64_t seed, uint64_t off)
{
	return (unsigned char)(mix64(mix64(seed) + off / 8) >> (8 * (off % 8)));
}

/* The 8 pattern bytes of block blk (stream offsets 8*blk .. 8*blk+7) into p. */
static inline void pattern_block(uint64_t base, uint64_t blk, unsigned char *p)
{
	uint64_t v = mix64(base + blk);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(p, &v, 8);
#else
	unsigned int b;

	for (b = 0; b < 8; b++)
		p[b] = (unsigned char)(v >> (8 * b));
#endif
}

/* Fill buf[0..len) with the pattern of `seed` starting at stream offset `off`. */
static inline void pattern_fill(uint64_t seed, uint64_t off, unsigned char *buf, size_t len)
{
	uint64_t base = mix64(seed);
	unsigned char blk[8];
	size_t n = 0;

	if (off % 8) {
		pattern_block(base, off / 8, blk);
		for (; n < len && (off + n) % 8; n++)
			buf[n] = blk[(off + n) % 8];
	}
	for (; len - n >= 8; n += 8)
		pattern_block(base, (off + n) / 8, buf + n);
	if (n < len) {
		pattern_block(base, (off + n) / 8, blk);
		memcpy(buf + n, blk, len - n);
	}
}

/*
 * Index of the first byte of buf[0..len) that is not the pattern of `seed` at
 * stream offset off + index, or len when all match.
 */
static inline size_t pattern_check(uint64_t seed, uint64_t off, const unsigned char *buf,
				   size_t len)
{
	uint64_t base = mix64(seed);
	unsigned char blk[8];
	size_t n = 0, i;

	while (n < len) {
		size_t b = (off + n) % 8, k = 8 - b;

		if (k > len - n)
			k = len - n;
		pattern_block(base, (off + n) / 8, blk);
		if (memcmp(buf + n, blk + b, k)) {
			for (i = 0; i < k; i++)
				if (buf[n + i] != blk[b + i])
					return n + i;
		}
		n += k;
	}
	return len;
}

#endif
