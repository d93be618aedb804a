// SPDX-License-Identifier: GPL-2.0-only
#include "model/variant.h"

#include <deque>
#include <stdexcept>

namespace gupcheck::model {

namespace {

using S = variant_switches;

// A variant whose switches are named; the names must be in all_switches().
variant_info make(std::string name, std::string commit, std::string description, std::string catches,
                  std::vector<std::string> switches) {
  variant_info v{std::move(name), std::move(commit), std::move(description), std::move(switches), {},
                 std::move(catches)};
  for (const std::string &n : v.switches) {
    bool found = false;
    for (const switch_info &sw : all_switches())
      if (n == sw.name) {
        v.sw.*sw.member = true;
        found = true;
      }
    if (!found) throw std::logic_error("variant " + v.name + " names unknown switch " + n);
  }
  return v;
}

}  // namespace

const std::vector<switch_info> &all_switches() {
  static const std::vector<switch_info> s = {
      {"insert_page_refcounts_zero_page", &S::insert_page_refcounts_zero_page},
      {"vm_normal_page_hides_zero_pfn", &S::vm_normal_page_hides_zero_pfn},
      {"zero_page_pins_counted", &S::zero_page_pins_counted},
      {"fork_shares_pinned_pages", &S::fork_shares_pinned_pages},
      {"wp_reuse_by_mapcount", &S::wp_reuse_by_mapcount},
      {"ro_pin_never_unshares_anon", &S::ro_pin_never_unshares_anon},
      {"longterm_pin_keeps_non_anon", &S::longterm_pin_keeps_non_anon},
      {"follow_pfn_pte_skips_under_pin", &S::follow_pfn_pte_skips_under_pin},
      {"foll_anon_zero_page", &S::foll_anon_zero_page},
      {"cow_fault_drops_foll_write", &S::cow_fault_drops_foll_write},
      {"gup_fast_ignores_write_protect_seq", &S::gup_fast_ignores_write_protect_seq},
      {"refcount_unchecked", &S::refcount_unchecked},
      {"small_refcount_ceiling", &S::small_refcount_ceiling},
      {"pfnmap_all_unpaged", &S::pfnmap_all_unpaged},
      {"foll_anon_spares_shared_locked", &S::foll_anon_spares_shared_locked},
      {"zero_page_pin_fails", &S::zero_page_pin_fails},
      {"fsdax_longterm_pin_allowed", &S::fsdax_longterm_pin_allowed},
      {"foll_cow_follows_dirty_pte", &S::foll_cow_follows_dirty_pte},
      {"foll_cow_follows_dirty_pmd", &S::foll_cow_follows_dirty_pmd},
      {"touch_pmd_always_dirty", &S::touch_pmd_always_dirty},
      {"gup_fast_skips_pmd_recheck", &S::gup_fast_skips_pmd_recheck},
  };
  return s;
}

const std::vector<variant_info> &all_variants() {
  static const std::vector<variant_info> v = {
      {"mainline", "v6.18", "Linux v6.18 semantics, every historical rule off", {}, {}, ""},
      make("zero-page-mixedmap-refcount",
           "\"mm/memory: cleanly support zeropage in vm_insert_page*(), vm_map_pages*() and vmf_insert_mixed()\" "
           "(v6.11, lkml 20240522125713.775114-3-david@redhat.com; seed e)",
           "the zero page is refcounted when inserted into a MIXEDMAP VMA but not when unmapped",
           "ZeroPageAlwaysSpecial", {"insert_page_refcounts_zero_page", "vm_normal_page_hides_zero_pfn"}),
      make("zero-page-pin-counted", "c8070b787519 \"mm: Don't pin ZERO_PAGE in pin_user_pages()\" (v6.5)",
           "FOLL_PIN on the zero page adds GUP_PIN_COUNTING_BIAS, so pins can overflow its refcount",
           "GupGrabArithmetic", {"zero_page_pins_counted"}),
      make("fork-shares-pinned-pages", "70e806e4e645 \"mm: Do early cow for pinned pages during fork() for ptes\" (v5.9)",
           "fork() write-protects and shares a pinned anonymous page with the child", "PinnedAnonIsExclusive",
           {"fork_shares_pinned_pages"}),
      make("cow-reuse-by-mapcount", "09854ba94c6a \"mm: do_wp_page() simplification\" (v5.9; CVE-2020-29374)",
           "a write fault reuses an anonymous page mapped once, although a GUP reference holds it",
           "NoLeakAcrossCow", {"wp_reuse_by_mapcount"}),
      make("ro-pin-no-unshare",
           "a7f226604170 \"mm/gup: trigger FAULT_FLAG_UNSHARE when R/O-pinning a possibly shared anonymous page\" "
           "(v5.19)",
           "a R/O pin of a COW-shared anonymous page pins the shared page without unsharing it", "NoKernelWarning",
           {"ro_pin_never_unshares_anon"}),
      make("longterm-pin-keeps-zero-page",
           "84209e87c696 \"mm/gup: reliable R/O long-term pinning in COW mappings\" (v6.2)",
           "a R/O long-term pin in a COW mapping keeps the zero page or page cache instead of unsharing",
           "LongtermPinUnshares", {"longterm_pin_keeps_non_anon"}),
      make("follow-pfn-pte-skips-pin",
           "\"mm: fix invalid page pointer returned with FOLL_PIN gups\" (Peter Xu, 2022; seed d 1f7c75e4f50e925e)",
           "under FOLL_PIN a PFN-only PTE is skipped and counted, leaving an invalid pointer in pages[]",
           "PfnOnlyStopsGup", {"follow_pfn_pte_skips_under_pin"}),
      make("foll-anon-zero-page", "8e4b9a607189 \"mm: FOLL_DUMP replace FOLL_ANON\" (2009; seeds a and c; bug 11: before use_zero_page())",
           "a read GUP of an untouched VMA without ->fault returns the zero page instead of faulting, even VM_SHARED/VM_LOCKED",
           "GupReturnsMappedPage", {"foll_anon_zero_page"}),
      make("dirty-cow", "19be0eaffa3a \"mm: remove gup_flags FOLL_WRITE games from __get_user_pages()\" (v4.9; CVE-2016-5195)",
           "FOLL_WRITE is dropped after the COW fault; MADV_DONTNEED before the retry lets a forced write reach the page cache",
           "ForcedWriteOnlyExclusiveAnon", {"cow_fault_drops_foll_write"}),
      make("gup-fast-races-fork", "57efa1fe5957 \"mm/gup: prevent gup_fast from racing with COW during fork\" (v5.11)",
           "GUP-fast ignores write_protect_seq, so a fork between its PTE read and grab shares the pinned page",
           "GupFastForkSeq", {"gup_fast_ignores_write_protect_seq"}),
      make("refcount-overflow", "8fde12ca79af \"mm: prevent get_user_pages() from overflowing page refcount\" (v5.1; CVE-2019-11487)",
           "GUP adds references without the overflow guard, so repeated pins push the count past its ceiling",
           "RefcountOverflowGuard", {"refcount_unchecked", "small_refcount_ceiling"}),
      make("vm-unpaged", "b67c9e211ff0 \"mm: re-architect the VM_UNPAGED logic\" (v2.6.15; seed b)",
           "every PTE of a remapped VMA is unmanaged, so a COWed anonymous page in a private PFNMAP leaks on unmap",
           "PteReferencesAccounted", {"pfnmap_all_unpaged"}),
      make("foll-anon-use-zero-page", "8e4b9a607189 \"mm: FOLL_DUMP replace FOLL_ANON\" (2009; seed c's pre-patch use_zero_page())",
           "FOLL_ANON returns the zero page for an untouched private VMA without ->fault (VM_SHARED/VM_LOCKED spared)",
           "GupReturnsMappedPage", {"foll_anon_zero_page", "foll_anon_spares_shared_locked"}),
      make("zero-page-pin-fails",
           "\"mm: Fix is_zero_page() usage in try_grab_page()\" (6.1-stable, Apr 2025; broken by backport 476c1dfefab8)",
           "a pin of the zero page reports failure, so R/O pins of untouched memory fail with -ENOMEM",
           "GupReturnValue", {"zero_page_pin_fails"}),
      make("fsdax-longterm-pin",
           "2bb6d2837083 \"mm: introduce get_user_pages_longterm\" (Dan Williams, v4.15; hash unverified; "
           "bug 15)",
           "a long-term pin of an fsdax mapping pins the file's DAX blocks, which truncate/punch-hole may free "
           "while the device still DMAs",
           "FsdaxLongtermRefused", {"fsdax_longterm_pin_allowed"}),
      make("shm-dirty-cow",
           "5535be309971 \"mm/gup: fix FOLL_FORCE COW security issue and remove FOLL_COW\" (v6.0; CVE-2022-2590)",
           "FOLL_COW accepts a dirty R/O PTE; after MADV_DONTNEED, UFFDIO_CONTINUE maps the shmem page cache dirty "
           "and the forced write lands there",
           "ForcedWriteOnlyExclusiveAnon", {"foll_cow_follows_dirty_pte", "foll_cow_follows_dirty_pmd"}),
      make("huge-dirty-cow",
           "a8f97366452e \"mm, thp: Do not make page table dirty unconditionally in touch_p[mu]d()\" (v4.15; "
           "CVE-2017-1000405)",
           "a forced read dirties the huge zero PMD, so a racing forced write's FOLL_COW retry accepts it and "
           "writes the huge zero page",
           "ForcedWriteOnlyExclusiveAnon", {"foll_cow_follows_dirty_pmd", "touch_pmd_always_dirty"}),
      make("gup-fast-races-collapse", "70cbc3cc78a9 \"mm: gup: fix the fast GUP race against THP collapse\" (v6.0)",
           "GUP-fast rechecks only the PTE, so a collapse between its PTE read and grab leaves it holding a page "
           "the new THP replaces",
           "GupFastRevalidated", {"gup_fast_skips_pmd_recheck"}),
  };
  return v;
}

const variant_info *find_variant(const std::string &name) {
  for (const auto &v : all_variants())
    if (v.name == name) return &v;
  if (name.find_first_of("+,") == std::string::npos) return nullptr;
  // A combination "a+b" (or "a,b"): the union of the named variants'
  // switches, with no expected invariant of its own.
  variant_info c{name, "", "", {}, {}, ""};
  size_t start = 0;
  while (start <= name.size()) {
    const size_t end = std::min(name.find_first_of("+,", start), name.size());
    const variant_info *part = find_variant(name.substr(start, end - start));
    if (!part || part->name.find_first_of("+,") != std::string::npos) return nullptr;
    if (!c.commit.empty()) c.commit += "; ";
    c.commit += part->commit;
    if (!c.description.empty()) c.description += "; and ";
    c.description += part->description;
    for (const switch_info &sw : all_switches())
      if (part->sw.*sw.member && !(c.sw.*sw.member)) {
        c.sw.*sw.member = true;
        c.switches.push_back(sw.name);
      }
    start = end + 1;
  }
  // Kept for the program's lifetime: callers hold the pointer.
  static std::deque<variant_info> combos;
  for (const auto &v : combos)
    if (v.name == name) return &v;
  combos.push_back(std::move(c));
  return &combos.back();
}

}  // namespace gupcheck::model
