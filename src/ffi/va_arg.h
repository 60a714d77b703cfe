/* What Rust cannot do portably with a C va_list, done by the C compiler
 * (src/ffi/va_arg.c). bindgen renders va_list per architecture (a pointer
 * on x86-64, a struct on AArch64); smem_control_fn names the type it gives
 * a va_list parameter, which is what VLC's control hooks receive. */
#include <stdarg.h>
#include <stdint.h>

typedef int (*smem_control_fn)(void *object, int query, va_list args);

/* The next argument of `args`, an int64_t, read from a copy: the list goes
 * on to VLC unconsumed. */
int64_t smem_rs_va_next_i64(va_list args);

/* The next argument of `args`, a pointer (a control's out-parameter), read
 * from a copy. */
void *smem_rs_va_next_ptr(va_list args);

/* Calls a control hook (an es_out_t's pf_control) as VLC's variadic
 * es_out_Control would: with one int64_t argument, or none. */
int smem_rs_control_i64(smem_control_fn control, void *object, int query, int64_t value);
int smem_rs_control_none(smem_control_fn control, void *object, int query);
