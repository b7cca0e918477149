/* bigmem: anonymous mappings with MADV_HUGEPAGE (a hint: fine when the kernel refuses). */
#include "bigmem.h"

#include <sys/mman.h>

void *bigmem_alloc(size_t n)
{
    void *p = mmap(NULL, n ? n : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, n ? n : 1, MADV_HUGEPAGE);
#endif
    return p;
}

void bigmem_free(void *p, size_t n)
{
    if (p)
        munmap(p, n ? n : 1);
}
