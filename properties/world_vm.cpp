// SPDX-License-Identifier: GPL-2.0-only
//
// The executor (properties/world.h), one of its areas:
// VMA and address-space operations (mmap, munmap, mprotect,
// madvise, mlock, the s390 zero-page switch, move_pages status, userfaultfd,
// KSM, driver insertion).
#include <algorithm>

#include "properties/translate.h"
#include "properties/world.h"

namespace gupcheck::props {

using namespace gupcheck::model;
using trace::Op;
using trace::OpKind;

void World::step_vm(const Op &op, int pid) {
  Outcome &out = out_;
  switch (op.kind) {
    case OpKind::Mmap: {
      if (op.result >= maps_.size()) maps_.resize(op.result + 1);
      if (maps_[op.result].exists) throw bad_trace("mapping m" + std::to_string(op.result) + " created twice");
      mmap_args a = mmap_args_of(op);
      if (op.map_kind == trace::MapKind::Shmem && op.file == trace::kSharedAnonFile) {
        // MAP_SHARED|MAP_ANONYMOUS: no file handle of the trace
      } else if (op.map_kind == trace::MapKind::File || op.map_kind == trace::MapKind::Shmem ||
                 op.map_kind == trace::MapKind::Fsdax) {
        const bool shm = op.map_kind == trace::MapKind::Shmem, dax = op.map_kind == trace::MapKind::Fsdax;
        if (op.file >= file_idx_.size()) file_idx_.resize(op.file + 1, -1);
        if (file_idx_[op.file] < 0) file_idx_[op.file] = file_create(k_, shm, dax);
        a.file = file_idx_[op.file];
        if (k_.files[a.file].shmem != shm || k_.files[a.file].dax != dax)
          throw bad_trace("file f" + std::to_string(op.file) + " mapped as two different kinds (file, shmem, fsdax)");
      }
      long r = do_mmap(k_, pid, a);
      out.ret = r < 0 ? r : 0;
      if (r >= 0) {
        maps_[op.result] = {true, uint64_t(r), op.npages, pid};
        if (a.backing == vma_backing::anon && !a.shared)
          for (uint64_t i = 0; i < op.npages; i++) set_shadow(pid, uint64_t(r) + i, 0);
      }
      break;
    }
    case OpKind::Munmap: {
      uint64_t s = address(op.map, op.page);
      out.ret = do_munmap(k_, pid, s, op.npages);
      for (uint64_t i = 0; i < op.npages; i++) set_shadow(pid, s + i, kUnknown);
      break_coherence(pid, s, s + op.npages);
      break;
    }
    case OpKind::Mprotect:
      out.ret = do_mprotect(k_, pid, address(op.map, op.page), op.npages, prot_bits(op.prot));
      break;
    case OpKind::Madvise: {
      const uint64_t s = address(op.map, op.page);
      if (op.advice == trace::Advice::Mergeable) {
        out.ret = madvise_mergeable(k_, pid, s, op.npages);
        break;
      }
      out.ret = do_madvise(k_, pid, s, op.npages, madv_of(op.advice));
      const mm_struct &mm = k_.tasks[pid].mm;
      if (op.advice == trace::Advice::Dontneed) {
        for (uint64_t a = s; a < s + op.npages; a++) {
          if (shadow(pid, a) == kUnknown) continue;
          // Still mapped (a PMD leaf counts: its PTE slots read as none).
          if (mapped_pfn(mm, a)) continue;
          const pte_t *pte = pte_offset(mm, a);
          if (pte && !pte_none(*pte)) continue;
          // Zapped: anonymous memory is zero-filled on the next touch; a
          // private file mapping shows the file again.
          const vm_area_struct *v = find_vma(mm, a);
          set_shadow(pid, a, v && vma_is_anonymous(*v) ? 0 : kUnknown);
        }
        break_coherence(pid, s, s + op.npages);
      } else if (op.advice == trace::Advice::Hwpoison) {
        // -EHWPOISON: memory_failure() sent the caller SIGBUS (BUS_MCEERR_AR:
        // kill_accessing_process() or kill_procs_now()); see model/memory-failure.cpp.
        if (out.ret == -EHWPOISON) out.signal = SIGBUS_NR;
        // The poisoned page is gone for every process that mapped it (the
        // PTEs now hold hwpoison entries, or were zapped for a clean file page).
        for (size_t p = 0; p < k_.tasks.size() && p < shadow_.size(); p++) {
          if (!k_.tasks[p].alive) continue;
          for (const pte_table &t : k_.tasks[p].mm.tables)
            for (unsigned j = 0; j < PTRS_PER_PTE; j++)
              if (t.ptes[j].hwpoison && !t.ptes[j].present) {
                set_shadow(int(p), t.base + j, kUnknown);
                break_coherence(int(p), t.base + j, t.base + j + 1);
              }
        }
      }
      break;
    }
    case OpKind::Mlock:
      out.ret = do_mlock(k_, pid, address(op.map, op.page), op.npages);
      break;
    case OpKind::ForbidZeropage:
      out.ret = s390_disable_cow_sharing(k_, pid);
      break;
    case OpKind::Stat:
      out.ret = do_pages_stat(k_, pid, address(op.map, op.page));
      break;
    case OpKind::UffdZeropage:
      out.ret = uffd_register_zeropage(k_, pid, address(op.map, op.page));
      break;
    case OpKind::KsmMerge:
      out.ret = ksm_scan_mm(k_, pid);
      break;
    case OpKind::UffdContinue:
      out.ret = mfill_atomic_continue(k_, pid, address(op.map, op.page));
      break;
    case OpKind::InsertPage:
    case OpKind::InsertMixed: {
      uint64_t vpn = address(op.map, op.page);
      vm_area_struct *v = find_vma(k_.tasks[pid].mm, vpn);
      // Differs: a driver inserts only into its own VMAs.
      if (!v || v->backing != vma_backing::mixedmap) {
        out.ret = -EINVAL;
        break;
      }
      if (op.kind == OpKind::InsertPage) {
        if (op.what == trace::InsertWhat::Device) throw bad_trace("insert_page of a device pfn");
        pfn_t page = op.what == trace::InsertWhat::Zero ? ZERO_PFN : driver_alloc_page(k_);
        out.ret = vm_insert_page(k_, pid, *v, vpn, page);
      } else {
        pfn_t pfn = op.what == trace::InsertWhat::Zero     ? ZERO_PFN
                    : op.what == trace::InsertWhat::Device ? device_alloc_pfn(k_)
                                                           : driver_alloc_page(k_);
        unsigned r = vmf_insert_mixed(k_, pid, *v, vpn, pfn);
        if (r & VM_FAULT_ERROR) out.signal = SIGBUS_NR;
      }
      break;
    }
    default:
      throw model_bug("World::step_vm(): not one of its operations");
  }
}

}  // namespace gupcheck::props
