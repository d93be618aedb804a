// SPDX-License-Identifier: GPL-2.0-only
//
// Names of errno values (asm-generic/errno-base.h, asm-generic/errno.h; on
// Linux <cerrno> has the kernel's numbers).
#include "model/flags.h"

#include <cerrno>
#include <climits>
#include <cstring>

namespace gupcheck::model {

const char *errno_name(long err) {
  // Accept -EFAULT as well as EFAULT; LONG_MIN has no positive counterpart.
  if (err < 0 && err != LONG_MIN) err = -err;
  switch (err) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case ENXIO: return "ENXIO";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EINVAL: return "EINVAL";
    case ENOSPC: return "ENOSPC";
    case EMLINK: return "EMLINK";
    case EOVERFLOW: return "EOVERFLOW";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EREMOTEIO: return "EREMOTEIO";
    case EHWPOISON: return "EHWPOISON";
    default: break;
  }
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  // Any other errno the model might return.
  if (err > 0 && err < 4096)
    if (const char *name = strerrorname_np(static_cast<int>(err))) return name;
#endif
  return "E?";
}

}  // namespace gupcheck::model
