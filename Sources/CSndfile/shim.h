#ifndef VOXGATE_CSNDFILE_SHIM_H
#define VOXGATE_CSNDFILE_SHIM_H
#include <sndfile.h>

// SF_COUNT_MAX is a macro Swift cannot import reliably.
static inline sf_count_t vg_sf_count_max(void) { return SF_COUNT_MAX; }
#endif
