#ifndef VOXGATE_COPUS_SHIM_H
#define VOXGATE_COPUS_SHIM_H
#include <opus.h>
#endif
