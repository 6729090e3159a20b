#ifndef VOXGATE_CFLAC_SHIM_H
#define VOXGATE_CFLAC_SHIM_H
#include <FLAC/stream_encoder.h>

// FLAC__StreamEncoderStateString is an unsized extern array: Swift cannot index it.
static inline const char *vg_flac_encoder_state_string(FLAC__StreamEncoderState state) {
    return FLAC__StreamEncoderStateString[state];
}
static inline const char *vg_flac_encoder_init_status_string(FLAC__StreamEncoderInitStatus status) {
    return FLAC__StreamEncoderInitStatusString[status];
}
// FLAC__VERSION_STRING is a mutable extern global: read it through a function.
static inline const char *vg_flac_version_string(void) { return FLAC__VERSION_STRING; }
#endif
