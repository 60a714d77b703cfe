/* The VLC 3.0 plugin API surface this crate binds to (see build.rs). */
#include <vlc_common.h>
#include <vlc_plugin.h>
#include <vlc_messages.h>
#include <vlc_variables.h>
#include <vlc_configuration.h>
#include <vlc_es.h>
#include <vlc_fourcc.h>
#include <vlc_block.h>
#include <vlc_sout.h>
#include <vlc_aout.h>
#include <vlc_demux.h>
#include <vlc_es_out.h>
#include <vlc_input.h>
#include <vlc_modules.h>
#include <vlc_codec.h>
#include <vlc_picture.h>
/* Our own frame ABI (include/smem.h): the Rust structs are generated from the
 * header applications compile against, so the two cannot drift. */
#include "include/smem.h"
/* A va_list's next argument, read by the C compiler on every architecture. */
#include "src/ffi/va_arg.h"
