/* bigmem: large zeroed tables probed at random (the event index, the sticky cache, the report's
 * per-customer arrays), mapped with a transparent-huge-page hint so a probe costs one cache miss
 * rather than a cache miss and a TLB miss. No other state. */
#ifndef LIFT_BIGMEM_H
#define LIFT_BIGMEM_H

#include <stddef.h>

/* n zeroed bytes (at least one page), or NULL. Free with bigmem_free(p, n), the same n. */
void *bigmem_alloc(size_t n);

/* Release a bigmem_alloc() block; accepts NULL. */
void bigmem_free(void *p, size_t n);

#endif
