#ifndef VOXGATE_COPUS_SHIM_H
#define VOXGATE_COPUS_SHIM_H
#include <opus.h>

// opus_decoder_ctl is variadic, which Swift cannot call: the one request voxgate makes, as a function.
static inline int vg_opus_decoder_set_gain(OpusDecoder *decoder, opus_int32 gainQ8) {
    return opus_decoder_ctl(decoder, OPUS_SET_GAIN(gainQ8));
}
#endif
