#ifndef VOXGATE_CEBUR128_SHIM_H
#define VOXGATE_CEBUR128_SHIM_H
// libebur128: the independent reference the loudness tests compare against. Test-only.
#include <ebur128.h>
#endif
