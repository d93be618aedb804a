// SPDX-License-Identifier: GPL-2.0-only
//
// The model's branch-coverage map: named points at the model's decision
// points, each named after the kernel function it sits in and the branch it
// takes ("follow_page_pte: FOLL_DUMP hole"). The registry below lists every
// point, so a campaign can say which branches it never reached; the points
// themselves sit in the code they name (GUP_COV(id) in model/*.cpp).
//
// Counting is off unless a Map is installed for the current thread
// (cov::Scope); then each point reached adds one to its counter. Off, a
// point costs one thread-local load and a predicted branch.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace gupcheck::model::cov {

// X(id, kernel function, branch). Grouped by the model file the point sits in.
#define GUPCHECK_COV_POINTS(X)                                                                     \
  /* mm/gup.c (model/gup.cpp) */                                                                   \
  X(check_vma_flags_pfnmap, "check_vma_flags", "VM_IO|VM_PFNMAP refused")                           \
  X(check_vma_flags_foll_anon, "check_vma_flags", "FOLL_ANON on a non-anonymous VMA")              \
  X(check_vma_flags_fsdax_longterm, "check_vma_flags", "FOLL_LONGTERM on fsdax refused")           \
  X(check_vma_flags_secretmem, "check_vma_flags", "secretmem refused")                             \
  X(check_vma_flags_dirty_tracking, "check_vma_flags", "long-term write pin of a dirty-tracked file") \
  X(check_vma_flags_write_no_force, "check_vma_flags", "write to !VM_WRITE without FOLL_FORCE")    \
  X(check_vma_flags_force_shared, "check_vma_flags", "FOLL_FORCE write to a shared mapping")       \
  X(check_vma_flags_force_cow, "check_vma_flags", "FOLL_FORCE write to a COW mapping")             \
  X(check_vma_flags_read_refused, "check_vma_flags", "read of !VM_READ refused")                   \
  X(check_vma_flags_force_read, "check_vma_flags", "FOLL_FORCE read of !VM_READ")                  \
  X(can_follow_write_pte_foll_cow, "can_follow_write_pte", "FOLL_COW on a dirty PTE (variant)")    \
  X(can_follow_write_common_excl, "can_follow_write_common", "forced write to an exclusive anon page") \
  X(can_follow_write_common_refused, "can_follow_write_common", "forced write refused")            \
  X(gup_must_unshare_longterm_cow, "gup_must_unshare", "long-term R/O pin of a non-anon page in a COW mapping") \
  X(gup_must_unshare_fast, "gup_must_unshare", "GUP-fast defers a non-anon page to the slow path")  \
  X(gup_must_unshare_anon_shared, "gup_must_unshare", "R/O pin of a shared anon page")             \
  X(gup_must_unshare_longterm_kept, "gup_must_unshare", "long-term R/O pin keeps a non-anon page (variant)") \
  X(gup_must_unshare_anon_kept, "gup_must_unshare", "R/O pin keeps a shared anon page (variant)")   \
  X(try_grab_folio_get, "try_grab_folio", "FOLL_GET")                                              \
  X(try_grab_folio_pin_zero, "try_grab_folio", "FOLL_PIN on the zero page (not counted)")          \
  X(try_grab_folio_pin_large, "try_grab_folio", "FOLL_PIN on a large folio")                       \
  X(try_grab_folio_pin_small, "try_grab_folio", "FOLL_PIN on a small folio")                       \
  X(try_grab_folio_overflow, "try_grab_folio", "refcount overflow guard")                          \
  X(unpin_user_page_not_exclusive, "unpin_user_page", "pinned anon page not exclusive")            \
  X(no_page_table_dump_hole, "no_page_table", "FOLL_DUMP hole")                                    \
  X(follow_page_pte_swap_entry, "follow_page_pte", "non-present swap entry")                       \
  X(follow_page_pte_foll_anon_zero, "follow_page_pte", "FOLL_ANON reads the zero page (variant)")  \
  X(follow_page_pte_no_pte, "follow_page_pte", "no PTE")                                           \
  X(follow_page_pte_protnone, "follow_page_pte", "protnone with FOLL_HONOR_NUMA_FAULT")            \
  X(follow_page_pte_write_fault, "follow_page_pte", "write needs a fault")                          \
  X(follow_page_pte_dump_special, "follow_page_pte", "FOLL_DUMP on a special PTE")                 \
  X(follow_page_pte_zero_page, "follow_page_pte", "returns the zero page")                         \
  X(follow_page_pte_pfn_only, "follow_page_pte", "PFN-only PTE (-EEXIST)")                         \
  X(follow_page_pte_unshare, "follow_page_pte", "R/O pin must unshare (-EMLINK)")                  \
  X(follow_page_pte_grabbed, "follow_page_pte", "page grabbed")                                    \
  X(faultin_page_nofault, "faultin_page", "FOLL_NOFAULT")                                          \
  X(faultin_page_unshare, "faultin_page", "FAULT_FLAG_UNSHARE")                                    \
  X(faultin_page_error, "faultin_page", "fault error")                                             \
  X(gup_lookup_vma_populate_hole, "__get_user_pages", "MADV_POPULATE over a hole")                 \
  X(gup_get_user_pages_retry, "__get_user_pages", "lookup retried after a fault")                  \
  X(gup_get_user_pages_relookup_changed, "__get_user_pages", "mmap changed while the lock was dropped") \
  X(gup_get_user_pages_cow_drops_write, "__get_user_pages", "COW fault drops FOLL_WRITE (variant)")  \
  X(gup_get_user_pages_foll_cow, "__get_user_pages", "FOLL_COW set after a COW fault (variant)")     \
  X(gup_get_user_pages_pfn_skipped, "__get_user_pages", "PFN-only page skipped under a pin (variant)") \
  X(gup_get_user_pages_huge_increment, "__get_user_pages", "a PMD leaf fills several pages")         \
  X(gup_longterm_migrate, "__gup_longterm_locked", "movable pages migrated, retried")                \
  X(gup_fast_write_protect_seq_odd, "gup_fast", "fork in progress (write_protect_seq odd)")          \
  X(gup_fast_pmd_leaf, "gup_fast", "PMD leaf grabbed")                                              \
  X(gup_fast_pmd_seen, "gup_fast", "PMD leaf reached")                            \
  X(gup_fast_pte_special, "gup_fast", "special PTE left to the slow path")                          \
  X(gup_fast_pte_changed, "gup_fast", "PTE changed under the walk")                                 \
  X(gup_fast_refused, "gup_fast", "folio refused (file-backed / unshare)")                          \
  X(gup_fast_grabbed, "gup_fast", "PTE page grabbed")                                               \
  X(gup_fast_seq_changed, "gup_fast", "write_protect_seq changed: pins dropped")                    \
  X(gup_fast_seq_ignored, "gup_fast", "write_protect_seq changed, not checked (variant)")           \
  X(gup_fast_pmd_recheck_skipped, "gup_fast", "PMD changed, only the PTE rechecked (variant)")       \
  X(gup_fast_fallback_slow, "gup_fast_fallback", "falls back to the slow path")                     \
  X(populate_vma_page_range_lockonfault, "populate_vma_page_range", "VM_LOCKONFAULT")               \
  X(mm_populate_skip_pfnmap, "__mm_populate", "VM_IO|VM_PFNMAP skipped")                            \
  X(mm_populate_ignore_error, "__mm_populate", "error ignored, next VMA")                            \
  /* mm/memory.c (model/memory.cpp) */                                                              \
  X(vm_normal_page_special_pfnmap, "vm_normal_page", "special PTE in a PFNMAP/MIXEDMAP VMA")         \
  X(vm_normal_page_special_zero, "vm_normal_page", "special zero-page PTE")                          \
  X(vm_normal_page_nospecial_rules, "vm_normal_page", "!ARCH_HAS_PTE_SPECIAL PFNMAP/MIXEDMAP rules")  \
  X(vm_normal_page_variant_hides, "vm_normal_page", "pre-fix rule hides the page (variant)")         \
  X(handle_mm_fault_unshare, "handle_mm_fault", "FAULT_FLAG_UNSHARE")                               \
  X(handle_mm_fault_huge_anon, "handle_mm_fault", "THP-eligible none PMD")                          \
  X(handle_mm_fault_huge_wp, "handle_mm_fault", "write fault on a R/O PMD leaf")                     \
  X(handle_mm_fault_hwpoison, "handle_mm_fault", "hwpoison entry")                                  \
  X(handle_mm_fault_wp, "handle_mm_fault", "write fault on a R/O PTE")                              \
  X(do_anonymous_page_shared, "do_anonymous_page", "VM_SHARED: SIGBUS")                              \
  X(do_anonymous_page_zero, "do_anonymous_page", "zero page")                                       \
  X(do_anonymous_page_new, "do_anonymous_page", "new anonymous folio")                               \
  X(do_fault_no_fault_op, "do_fault", "no ->fault: SIGBUS")                                          \
  X(do_fault_mixedmap_driver, "do_fault", "MIXEDMAP driver fault")                                    \
  X(do_fault_around_mapped, "do_fault", "fault-around mapped the page")                              \
  X(do_fault_read, "do_fault", "do_read_fault")                                                      \
  X(do_fault_hwpoison, "do_fault", "poisoned page-cache page")                                        \
  X(do_fault_cow, "do_fault", "do_cow_fault")                                                        \
  X(do_fault_shared, "do_fault", "do_shared_fault")                                                  \
  X(wp_can_reuse_anon_folio_large, "wp_can_reuse_anon_folio", "large folio: copy")                   \
  X(wp_can_reuse_anon_folio_ksm, "wp_can_reuse_anon_folio", "KSM or swapcache refs: copy")            \
  X(wp_can_reuse_anon_folio_extra_ref, "wp_can_reuse_anon_folio", "extra reference (GUP): copy")      \
  X(wp_can_reuse_anon_folio_reuse, "wp_can_reuse_anon_folio", "reuse")                                \
  X(do_wp_page_shared, "do_wp_page", "shared mapping: reuse")                                         \
  X(do_wp_page_unshare_shared, "do_wp_page", "unshare in a shared mapping")                            \
  X(do_wp_page_reuse_by_mapcount, "do_wp_page", "reuse by mapcount (variant)")                         \
  X(do_wp_page_reuse_exclusive, "do_wp_page", "reuse an exclusive anon page")                          \
  X(do_wp_page_unshare_exclusive, "do_wp_page", "unshare: already exclusive")                          \
  X(do_wp_page_copy, "do_wp_page", "copy")                                                            \
  X(wp_page_copy_zero, "wp_page_copy", "copy of the zero page")                                       \
  X(wp_page_copy_pagecache, "wp_page_copy", "copy of a page-cache page")                              \
  X(wp_page_copy_pfn, "wp_page_copy", "copy of a pfn without struct page")                            \
  X(wp_page_copy_unshare, "wp_page_copy", "FAULT_FLAG_UNSHARE copy")                                  \
  X(insert_page_anon, "insert_page", "anonymous page refused")                                       \
  X(insert_page_zero_refused, "insert_page", "zero page refused")                                    \
  X(insert_page_busy, "insert_page", "PTE busy")                                                     \
  X(insert_page_zero_special, "insert_page", "zero page mapped special")                             \
  X(insert_page_refcounted, "insert_page", "page refcounted")                                         \
  X(insert_page_zero_refcounted, "insert_page", "zero page refcounted (variant)")                     \
  X(vmf_insert_mixed_zero_refused, "vmf_insert_mixed", "zero page refused")                           \
  X(vmf_insert_mixed_insert_page, "vmf_insert_mixed", "!ARCH_HAS_PTE_SPECIAL: insert_page")            \
  X(vmf_insert_mixed_special, "vmf_insert_mixed", "special PTE")                                      \
  X(remap_pfn_range_cow, "remap_pfn_range", "COW mapping: vm_pgoff set")                              \
  X(zap_pte_range_split_pmd, "zap_pte_range", "PMD leaf split")                                       \
  X(zap_pte_range_huge, "zap_pte_range", "PMD leaf zapped whole")                                     \
  X(zap_pte_range_special, "zap_pte_range", "special PTE")                                            \
  X(zap_pte_range_file_dirty, "zap_pte_range", "dirty file page")                                      \
  X(zap_pte_range_page, "zap_pte_range", "page unmapped")                                              \
  X(copy_present_pte_pinned_copy, "copy_present_pte", "pinned anon page copied for the child")         \
  X(copy_present_pte_shares_excl, "copy_present_pte", "exclusive anon page shared")                   \
  X(copy_present_pte_pinned_shared, "copy_present_pte", "pinned anon page shared with the child (variant)") \
  X(copy_present_pte_anon_shared, "copy_present_pte", "shared anon page")                             \
  X(copy_present_pte_file, "copy_present_pte", "file or driver page")                                 \
  X(copy_present_pte_special, "copy_present_pte", "special PTE")                                      \
  X(copy_present_pte_wrprotect, "copy_present_pte", "COW mapping write-protected")                    \
  X(access_remote_vm_fail, "__access_remote_vm", "GUP failed: -EIO")                                   \
  X(access_remote_vm_write, "__access_remote_vm", "write")                                             \
  X(access_remote_vm_read, "__access_remote_vm", "read")                                               \
  X(mfill_continue_no_page, "mfill_atomic_pte_continue", "no page-cache page")                         \
  X(mfill_continue_exists, "mfill_atomic_pte_continue", "PTE exists")                                  \
  X(mfill_continue_poison, "mfill_atomic_pte_continue", "hwpoisoned page")                             \
  X(mfill_continue_mapped, "mfill_atomic_pte_continue", "mapped")                                      \
  /* mm/huge_memory.c (model/huge_memory.cpp) */                                                     \
  X(do_huge_pmd_anonymous_page_zero, "do_huge_pmd_anonymous_page", "huge zero page")                  \
  X(do_huge_pmd_anonymous_page_new, "do_huge_pmd_anonymous_page", "new THP")                           \
  X(do_huge_pmd_wp_page_zero, "do_huge_pmd_wp_page", "huge zero page replaced")                        \
  X(do_huge_pmd_wp_page_split, "do_huge_pmd_wp_page", "shared THP: split")                              \
  X(do_huge_pmd_wp_page_reuse_shared, "do_huge_pmd_wp_page", "shared THP with one reference: reuse")    \
  X(do_huge_pmd_wp_page_unshare, "do_huge_pmd_wp_page", "unshare")                                     \
  X(do_huge_pmd_wp_page_reuse, "do_huge_pmd_wp_page", "reuse")                                         \
  X(split_huge_pmd_zero, "__split_huge_pmd_locked", "huge zero page split")                            \
  X(split_huge_pmd_thp, "__split_huge_pmd_locked", "THP split")                                         \
  X(zap_huge_pmd_zero, "zap_huge_pmd", "huge zero page")                                               \
  X(zap_huge_pmd_thp, "zap_huge_pmd", "THP")                                                           \
  X(copy_huge_pmd_pinned_split, "copy_huge_pmd", "pinned THP split for the child")                     \
  X(copy_huge_pmd_shared, "copy_huge_pmd", "THP shared")                                               \
  X(copy_huge_pmd_pinned_shared, "copy_huge_pmd", "pinned THP shared with the child (variant)")        \
  X(copy_huge_pmd_zero, "copy_huge_pmd", "huge zero page shared")                                      \
  X(follow_huge_pmd_write_fault, "follow_huge_pmd", "write needs a fault")                              \
  X(follow_huge_pmd_foll_cow, "follow_huge_pmd", "FOLL_COW on a dirty PMD (variant)")                   \
  X(follow_huge_pmd_forced_write, "follow_huge_pmd", "forced write to an exclusive THP")                \
  X(follow_huge_pmd_dump_zero, "follow_huge_pmd", "FOLL_DUMP on the huge zero page")                    \
  X(follow_huge_pmd_unshare, "follow_huge_pmd", "R/O pin must unshare (-EMLINK)")                       \
  X(follow_huge_pmd_grabbed, "follow_huge_pmd", "page grabbed")                                         \
  X(follow_huge_pmd_read_dirties, "follow_huge_pmd", "touch_pmd() dirties on a read (variant)")         \
  X(collapse_refused, "madvise_collapse", "scan refused")                                               \
  X(collapse_already, "madvise_collapse", "already a PMD leaf")                                         \
  X(collapse_begun, "madvise_collapse", "PMD cleared, pages isolated")                                  \
  X(collapse_finished_by_waiter, "collapse_huge_page", "finished by an mmap_lock waiter")              \
  X(collapse_finished, "collapse_huge_page", "finished")                                                \
  /* mm/mprotect.c (model/mprotect.cpp) */                                                             \
  X(can_change_pte_writable_protnone, "can_change_pte_writable", "protnone")                            \
  X(can_change_pte_writable_private, "can_change_pte_writable", "private: exclusive anon page")        \
  X(can_change_pte_writable_private_no, "can_change_pte_writable", "private: not exclusive anon")      \
  X(can_change_pte_writable_shared, "can_change_pte_writable", "shared: dirty PTE")                    \
  X(change_pte_range_pmd, "change_pte_range", "PMD leaf")                                               \
  X(change_pte_range_made_writable, "change_pte_range", "PTE made writable")                           \
  /* kernel/fork.c, mm/ksm.c, mm/madvise.c, mm/userfaultfd.c, ... */                                   \
  X(dup_mmap_dontcopy, "dup_mmap", "VM_DONTCOPY skipped")                                               \
  X(dup_mmap_wipeonfork, "dup_mmap", "VM_WIPEONFORK emptied")                                           \
  X(dup_mmap_copy_pmd, "dup_mmap", "PMD leaf copied")                                                   \
  X(dup_mmap_copy_pte, "dup_mmap", "PTE copied")                                                        \
  X(ksm_write_protect_refused, "write_protect_page", "extra references: refused")                       \
  X(ksm_write_protect, "write_protect_page", "write-protected")                                         \
  X(ksm_replace_page, "replace_page", "merged into the KSM page")                                       \
  X(ksm_replace_zero, "replace_page", "merged into the zero page")                                      \
  X(madvise_dontneed, "madvise_dontneed_single_vma", "zapped")                                          \
  X(madvise_populate_error, "madvise_populate", "error")                                                \
  X(mfill_zeropage_exists, "mfill_atomic_pte_zeropage", "PTE exists")                                   \
  X(mfill_zeropage_mapped, "mfill_atomic_pte_zeropage", "zero page mapped")                             \
  X(mfill_zeropage_shmem, "mfill_atomic_pte_zeropage", "shmem: zeroed folio")                           \
  X(memory_failure_unmapped, "hwpoison_user_mappings", "mappings replaced by hwpoison entries")          \
  X(migrate_folio_done, "migrate_folio", "migrated")                                                     \
  X(migrate_folio_failed, "migrate_folio", "cannot migrate")

enum Point : uint16_t {
#define GUPCHECK_COV_ENUM(id, fn, branch) id,
  GUPCHECK_COV_POINTS(GUPCHECK_COV_ENUM)
#undef GUPCHECK_COV_ENUM
      kNumPoints
};

struct PointInfo {
  const char *function;  // the kernel function, e.g. "follow_page_pte"
  const char *branch;    // the branch within it, e.g. "FOLL_DUMP hole"
};

// The registry: every point, in the order above.
const PointInfo &info(Point p);
// "function: branch"
std::string name(Point p);

struct Map {
  std::array<uint32_t, kNumPoints> hits{};
  void clear() { hits.fill(0); }
};

// The map points count into on this thread; null (the default) means off.
inline thread_local Map *current = nullptr;

inline void hit(Point p) {
  if (Map *m = current) [[unlikely]]
    ++m->hits[p];
}

// Installs a map for this thread for its lifetime (and restores the previous one).
class Scope {
 public:
  explicit Scope(Map *m) : prev_(current) { current = m; }
  ~Scope() { current = prev_; }
  Scope(const Scope &) = delete;
  Scope &operator=(const Scope &) = delete;

 private:
  Map *prev_;
};

}  // namespace gupcheck::model::cov

#define GUP_COV(id) ::gupcheck::model::cov::hit(::gupcheck::model::cov::id)
