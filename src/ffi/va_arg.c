/* See va_arg.h. */
#include "va_arg.h"

int64_t smem_rs_va_next_i64(va_list args)
{
    va_list copy;
    va_copy(copy, args);
    int64_t value = va_arg(copy, int64_t);
    va_end(copy);
    return value;
}
