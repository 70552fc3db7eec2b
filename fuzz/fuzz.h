/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Shared declarations of the fuzz targets and the replay driver (fuzz/).
 *
 * Every target defines LLVMFuzzerTestOneInput() (libFuzzer's entry point),
 * and may define fuzz_summary(): a one-line description of what the last
 * input reached, which the replay driver prints as a TAP comment (so a
 * reviewer can see that the seed corpus reaches every mode).  Targets abort
 * on an invariant violation: libFuzzer reports the crash, the replay driver
 * reports the input as "not ok".
 */
#ifndef VAPIC_FUZZ_H
#define VAPIC_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Optional (weak in the replay driver): describe the last input's run. */
void fuzz_summary(char *buf, size_t len);

#endif /* VAPIC_FUZZ_H */
