// SPDX-License-Identifier: GPL-2.0-only
//
// Mirrors mm/process_vm_access.c (Linux v6.18): process_vm_readv(2)/process_vm_writev(2).
#include <algorithm>

#include "model/kernel.h"
#include "model/mm_internal.h"

namespace gupcheck::model {

// Models: mm/process_vm_access.c process_vm_rw_single_vec() (v6.18).
remote_result process_vm_rw(kernel_state &k, int target, uint64_t vpn, bool write, uint64_t value) {
  remote_result r;
  std::vector<pfn_t> pages;
  const long ret = pin_user_pages_remote(k, target, vpn, 1, write ? FOLL_WRITE : 0, &pages);
  if (ret <= 0) {
    r.ret = -EFAULT;
    return r;
  }
  r.pfn = pages[0];
  if (write) {
    write_pfn(k, r.pfn, value);
    k.folios[r.pfn].dirty = true;  // unpin_user_pages_dirty_lock(.., true)
    r.value = value;
  } else {
    r.value = read_pfn(k, r.pfn);
  }
  unpin_user_page(k, r.pfn);
  return r;
}

}  // namespace gupcheck::model
