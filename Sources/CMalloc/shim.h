#ifndef VOXGATE_CMALLOC_SHIM_H
#define VOXGATE_CMALLOC_SHIM_H
// glibc's allocator tuning (mallopt), which the Glibc module does not bring in.
#if defined(__linux__)
#include <malloc.h>
#endif
#endif
