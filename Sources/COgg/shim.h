#ifndef VOXGATE_COGG_SHIM_H
#define VOXGATE_COGG_SHIM_H
#include <ogg/ogg.h>
#endif
