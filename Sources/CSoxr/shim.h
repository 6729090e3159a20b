#ifndef VOXGATE_CSOXR_SHIM_H
#define VOXGATE_CSOXR_SHIM_H
#include <soxr.h>
#endif
