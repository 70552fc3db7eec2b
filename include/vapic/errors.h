/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libvapic error codes.
 *
 * Every fallible libvapic function returns an int: 0 (or a documented
 * non-negative result) on success, or one of the negative VAPIC_E* codes
 * below.  There is no errno.  vapic_strerror() names each code.
 */
#ifndef VAPIC_ERRORS_H
#define VAPIC_ERRORS_H

#include <vapic/types.h>

enum vapic_error {
	/** @VAPIC_OK: success. */
	VAPIC_OK = 0,
	/** @VAPIC_EINVAL: an argument from the embedding host is invalid. */
	VAPIC_EINVAL = -1,
	/**
	 * @VAPIC_ERSVD: the guest wrote reserved bits or a reserved value;
	 * in x2APIC mode the caller injects #GP (SDM vol. 3, 11.12.1.3).
	 */
	VAPIC_ERSVD = -2,
	/** @VAPIC_EHOST: a host operation failed; state was kept. */
	VAPIC_EHOST = -3,
	/** @VAPIC_ESTATE: a saved state record failed validation. */
	VAPIC_ESTATE = -4,
	/** @VAPIC_EVERSION: a saved state record has an unknown version. */
	VAPIC_EVERSION = -5,
	/** @VAPIC_ENOTSUP: the feature is not enabled or not available. */
	VAPIC_ENOTSUP = -6,
	/** @VAPIC_EFAULT: a guest-physical address is not usable. */
	VAPIC_EFAULT = -7,
	/** @VAPIC_ERANGE: a value is outside the supported range. */
	VAPIC_ERANGE = -8,
	/** @VAPIC_EBUSY: the object is in a state that forbids the call. */
	VAPIC_EBUSY = -9,
	/** @VAPIC_ENOENT: no such register, MSR or entry. */
	VAPIC_ENOENT = -10,
};

/** Lowest (most negative) error code; for range checks and tables. */
#define VAPIC_ERROR_MIN VAPIC_ENOENT

/**
 * vapic_strerror() - describe an error code.
 * @err: a return value of a libvapic function.
 *
 * Context: any.
 * Return: a static, NUL-terminated English description; "unknown error"
 * for values that are not libvapic codes.  Never NULL.
 */
VAPIC_API const char *vapic_strerror(int err);

#endif /* VAPIC_ERRORS_H */
