// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Error strings, host-ops validation, the state-record checksum.
 */
#include "internal.h"
#include <vapic/errors.h>
#include <vapic/host.h>
#include <vapic/timer.h>

static const char *const vapic_error_names[] = {
	[0] = "success",
	[-VAPIC_EINVAL] = "invalid argument",
	[-VAPIC_ERSVD] = "reserved bits or reserved value written",
	[-VAPIC_EHOST] = "host operation failed",
	[-VAPIC_ESTATE] = "saved state failed validation",
	[-VAPIC_EVERSION] = "saved state has an unsupported version",
	[-VAPIC_ENOTSUP] = "feature not enabled or not supported",
	[-VAPIC_EFAULT] = "guest address not usable",
	[-VAPIC_ERANGE] = "value out of supported range",
	[-VAPIC_EBUSY] = "object busy",
	[-VAPIC_ENOENT] = "no such register or entry",
};

VAPIC_BUILD_BUG_ON(VAPIC_ARRAY_SIZE(vapic_error_names) !=
		   (unsigned)-VAPIC_ERROR_MIN + 1);

VAPIC_API const char *vapic_strerror(int err)
{
	if (err > 0 || err < VAPIC_ERROR_MIN)
		return "unknown error";
	return vapic_error_names[-err];
}

VAPIC_API bool vapic_host_ops_valid(const struct vapic_host_ops *ops)
{
	if (!ops)
		return false;
	if (!ops->now_ns || !ops->guest_tsc || !ops->timer_arm ||
	    !ops->timer_cancel || !ops->kick)
		return false;
	if (ops->map_guest && !ops->unmap_guest)
		return false;
	return true;
}

VAPIC_API uint32_t vapic_checksum32(const void *data, size_t len)
{
	const u8 *p = data;
	u32 h = 2166136261U;

	while (len--) {
		h ^= *p++;
		h *= 16777619U;
	}
	return h;
}
