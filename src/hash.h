/* hash: the 64-bit hashing shared by the event index, the sticky cache and definition
 * checksums — FNV-1a 64 and Murmur3's 64-bit finaliser (FNV's low bits are weak, and the
 * tables index by them). Header-only, pure, thread-safe. */
#ifndef LIFT_HASH_H
#define LIFT_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_FNV64_BASIS 0xcbf29ce484222325ULL /* FNV-1a 64 offset basis */

/* FNV-1a 64 over n bytes, continuing from h (start with HASH_FNV64_BASIS). */
static inline uint64_t hash_fnv1a64(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* Murmur3's fmix64: every input bit affects every output bit. */
static inline uint64_t hash_mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* The table hash of a byte string (a customer id): FNV-1a 64 then fmix64, so both the low bits
 * (the slot) and the high bits (a tag) are usable. */
static inline uint64_t hash_bytes64(const void *data, size_t n)
{
    return hash_mix64(hash_fnv1a64(HASH_FNV64_BASIS, data, n));
}

#endif
