// SPDX-License-Identifier: GPL-2.0-only
#include "properties/translate.h"

#include <stdexcept>

namespace gupcheck::props {

using namespace gupcheck::model;

vm_flags_t prot_bits(trace::Prot p) {
  switch (p) {
    case trace::Prot::None: return 0;
    case trace::Prot::R: return VM_READ;
    case trace::Prot::RW: return VM_READ | VM_WRITE;
  }
  return 0;
}

mmap_args mmap_args_of(const trace::Op &op) {
  mmap_args a;
  a.shared = op.shared;
  a.prot = prot_bits(op.prot);
  a.npages = op.npages;
  a.thp = op.thp;
  a.zone = op.zone == trace::MemZone::Movable ? mem_zone::movable
           : op.zone == trace::MemZone::Cma   ? mem_zone::cma
                                              : mem_zone::normal;
  switch (op.map_kind) {
    case trace::MapKind::Anon: a.backing = vma_backing::anon; break;
    case trace::MapKind::File: a.backing = vma_backing::file; break;
    case trace::MapKind::Shmem: a.backing = vma_backing::shmem; break;
    case trace::MapKind::Pfnmap: a.backing = vma_backing::pfnmap; break;
    case trace::MapKind::Mixedmap: a.backing = vma_backing::mixedmap; break;
    case trace::MapKind::Fsdax: a.backing = vma_backing::file; break;
    case trace::MapKind::Secretmem: a.backing = vma_backing::secretmem; break;
  }
  a.populate = op.populate;
  // MAP_SHARED|MAP_ANONYMOUS is shmem behind shmem_zero_setup(), anonymous to the model.
  if (op.map_kind == trace::MapKind::Shmem && op.file == trace::kSharedAnonFile) a.backing = vma_backing::anon;
  return a;
}

madv madv_of(trace::Advice a) {
  switch (a) {
    case trace::Advice::Dontneed: return madv::dontneed;
    case trace::Advice::PopulateRead: return madv::populate_read;
    case trace::Advice::PopulateWrite: return madv::populate_write;
    case trace::Advice::Dontfork: return madv::dontfork;
    case trace::Advice::Dofork: return madv::dofork;
    case trace::Advice::Wipeonfork: return madv::wipeonfork;
    case trace::Advice::Keeponfork: return madv::keeponfork;
    case trace::Advice::Hwpoison: return madv::hwpoison;
    case trace::Advice::Mergeable: break;
  }
  throw std::logic_error("madv_of(): MADV_MERGEABLE is ksm_madvise(), not an madvise advice of the model");
}

}  // namespace gupcheck::props
