#ifndef VOXGATE_CXXHASH_SHIM_H
#define VOXGATE_CXXHASH_SHIM_H
// xxHash (libxxhash): XXH3-128, the PCM identity (VoxgatePipeline's PCMDigest). The streaming state is created and
// freed by the library (XXH3_createState/XXH3_freeState), which keeps its 64-byte alignment.
#include <xxhash.h>
#endif
