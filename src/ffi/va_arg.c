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

void *smem_rs_va_next_ptr(va_list args)
{
    va_list copy;
    va_copy(copy, args);
    void *value = va_arg(copy, void *);
    va_end(copy);
    return value;
}

/* A control hook called with a va_list built here from `...`. */
static int call_control(smem_control_fn control, void *object, int query, ...)
{
    va_list args;
    va_start(args, query);
    int result = control(object, query, args);
    va_end(args);
    return result;
}

int smem_rs_control_i64(smem_control_fn control, void *object, int query, int64_t value)
{
    return call_control(control, object, query, value);
}

int smem_rs_control_none(smem_control_fn control, void *object, int query)
{
    return call_control(control, object, query);
}
