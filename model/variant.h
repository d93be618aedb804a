// SPDX-License-Identifier: GPL-2.0-only
//
// Variants: named sets of switches over the mainline (v6.18) model. Each
// switch brings back one historical rule; a variant is data, never a fork of
// the code. The model functions consult the switches at the exact point where
// the historical code differed.
#pragma once

#include <string>
#include <vector>

namespace gupcheck::model {

struct variant_switches {
  // Pre-"mm/memory: cleanly support zeropage in vm_insert_page*(),
  // vm_map_pages*() and vmf_insert_mixed()" (David Hildenbrand, v6.11, seed (e)):
  // insert_page() took a reference on the shared zero page, added it to the
  // rmap and rss and mapped it without pte_special.
  bool insert_page_refcounts_zero_page = false;
  // The matching unmap side of the same bug: vm_normal_page() refused to
  // return the zero pfn (the !ARCH_HAS_PTE_SPECIAL rule for a VMA it does not
  // treat as VM_MIXEDMAP), so zap never dropped the reference insert took.
  bool vm_normal_page_hides_zero_pfn = false;
  // Pre-c8070b787519 "mm: Don't pin ZERO_PAGE in pin_user_pages()" (v6.5):
  // FOLL_PIN on the zero page added GUP_PIN_COUNTING_BIAS like on any page.
  bool zero_page_pins_counted = false;
  // Pre-70e806e4e645 "mm: Do early cow for pinned pages during fork() for
  // ptes" (v5.9): copy_present_pte() shared every anonymous page with the child.
  bool fork_shares_pinned_pages = false;
  // Pre-09854ba94c6a "mm: do_wp_page() simplification" (v5.9,
  // CVE-2020-29374): a write fault reused an anonymous page whose mapcount
  // was 1, whatever GUP references it had.
  bool wp_reuse_by_mapcount = false;
  // Pre-a7f226604170 "mm/gup: trigger FAULT_FLAG_UNSHARE when R/O-pinning a
  // possibly shared anonymous page" (v5.19): gup_must_unshare() was false
  // for anonymous pages.
  bool ro_pin_never_unshares_anon = false;
  // Pre-84209e87c696 "mm/gup: reliable R/O long-term pinning in COW
  // mappings" (v6.2): only anonymous pages were unshared; a R/O long-term pin
  // kept the zero page or the page cache.
  bool longterm_pin_keeps_non_anon = false;
  // Pre-"mm: fix invalid page pointer returned with FOLL_PIN gups" (Peter
  // Xu, 2022; seed d): follow_pfn_pte() refused only FOLL_GET, so under
  // FOLL_PIN __get_user_pages() skipped a PFN-only PTE, counted it, and left
  // ERR_PTR(-EEXIST) in pages[].
  bool follow_pfn_pte_skips_under_pin = false;
  // Pre-8e4b9a607189 "mm: FOLL_DUMP replace FOLL_ANON" (2009; seed c, and
  // seed a's FOLL_ANON of 2005): a read GUP with no page table in a VMA
  // without ->fault returned the zero page instead of faulting, even in a
  // VM_SHARED or VM_LOCKED VMA.
  bool foll_anon_zero_page = false;
  // Pre-19be0eaffa3a "mm: remove gup_flags FOLL_WRITE games from
  // __get_user_pages()" (Dirty COW, CVE-2016-5195): after the write fault
  // broke COW in a !VM_WRITE VMA, faultin_page() cleared FOLL_WRITE and the
  // retried lookup accepted whatever page was mapped by then.
  bool cow_fault_drops_foll_write = false;
  // Pre-57efa1fe5957 "mm/gup: prevent gup_fast from racing with COW during
  // fork" (v5.11): GUP-fast had no write_protect_seq, so a fork racing the
  // lockless walk could share the page GUP-fast pinned.
  bool gup_fast_ignores_write_protect_seq = false;
  // Pre-8fde12ca79af "mm: prevent get_user_pages() from overflowing page
  // refcount" (v5.1, CVE-2019-11487): GUP took references without checking
  // that the count was far from overflowing.
  bool refcount_unchecked = false;
  // Not a historical rule: the refcount ceiling scaled down to four pins
  // (SMALL_REFCOUNT_CEILING) so that a trace can reach it; only the
  // refcount-overflow variant turns it on, mainline keeps the real one.
  bool small_refcount_ceiling = false;
  // Pre-b67c9e211ff0 "mm: re-architect the VM_UNPAGED logic" (v2.6.15,
  // seed b): vm_normal_page() (then: the VM_UNPAGED test) treated every PTE
  // of a remapped (VM_PFNMAP) VMA as not "managed", including the
  // anonymous pages COW placed in a private one.
  bool pfnmap_all_unpaged = false;
  // The use_zero_page() test of 2008 (removed with FOLL_ANON by seed c,
  // 8e4b9a607189): the FOLL_ANON zero page shortcut spared VM_SHARED and
  // VM_LOCKED VMAs. Refines foll_anon_zero_page.
  bool foll_anon_spares_shared_locked = false;
  // 6.1-stable backport 476c1dfefab8 of c8070b787519 (fixed by "mm: Fix
  // is_zero_page() usage in try_grab_page()", Apr 2025): bool
  // try_grab_page() returned 0 (failure) for a pin of the zero page.
  bool zero_page_pin_fails = false;
  // Before get_user_pages_longterm() (Dan Williams, v4.15, 2bb6d2837083
  // "mm: introduce get_user_pages_longterm" [hash unverified]; today
  // FOLL_LONGTERM, -EOPNOTSUPP in check_vma_flags() and folio_is_fsdax() in
  // folio_is_longterm_pinnable()): nothing refused a long-term pin of fsdax
  // memory, so RDMA/vfio could hold file blocks that truncate frees.
  bool fsdax_longterm_pin_allowed = false;
  // Pre-5535be309971 "mm/gup: fix FOLL_FORCE COW security issue and remove
  // FOLL_COW" (v6.0, CVE-2022-2590, SHM Dirty COW): after the COW-breaking
  // write fault faultin_page() set FOLL_COW, and can_follow_write_pte()
  // accepted a R/O PTE for FOLL_FORCE|FOLL_COW when it was dirty. Since
  // 9ae0f87d009c UFFDIO_CONTINUE installs a dirty R/O PTE to the shmem
  // page-cache page in a private mapping, so the forced write reached it.
  bool foll_cow_follows_dirty_pte = false;
  // The PMD half of the same rule (can_follow_write_pmd(), removed by the
  // same 5535be309971): FOLL_FORCE|FOLL_COW accepted a dirty R/O PMD.
  bool foll_cow_follows_dirty_pmd = false;
  // Pre-a8f97366452e "mm, thp: Do not make page table dirty unconditionally
  // in touch_p[mu]d()" (v4.15, CVE-2017-1000405, Huge Dirty COW): FOLL_TOUCH
  // marked the PMD dirty even for a read, so a forced read of the huge zero
  // PMD made it pass the FOLL_COW dirty check (foll_cow_follows_dirty_pmd)
  // of a racing forced write.
  bool touch_pmd_always_dirty = false;
  // Pre-70cbc3cc78a9 "mm: gup: fix the fast GUP race against THP collapse"
  // (v6.0): gup_fast_pte_range() rechecked only the PTE after the grab, not
  // the PMD, so a collapse that had cleared the PMD and isolated the pages
  // (before GUP-fast's reference) but not yet cleared the old PTEs let it
  // keep a page the new THP replaces.
  bool gup_fast_skips_pmd_recheck = false;

  bool operator==(const variant_switches &) const = default;
  // Whether any historical rule is on (mainline: none).
  bool any() const { return !(*this == variant_switches{}); }
};

// One switch by name (as `gupcheck list variants` shows it).
struct switch_info {
  const char *name;
  bool variant_switches::*member;
};
const std::vector<switch_info> &all_switches();

struct variant_info {
  std::string name;
  std::string commit;       // the commit that removed the rule
  std::string description;  // one line
  std::vector<std::string> switches;
  variant_switches sw;
  std::string catches;  // the invariant expected to catch it (the manifest)
};

// Every known variant, mainline first.
const std::vector<variant_info> &all_variants();
// Return: the variant, or nullptr if no variant has that name. A
// combination "a+b+c" (or "a,b,c") of known variants is the union of their
// switches (name = the spec, no expected invariant).
const variant_info *find_variant(const std::string &name);

// When a variant's historical rule was in force in mainline releases (the
// kernel timeline, `gupcheck timeline`). A rule is in force in release R when
// introduced <= R < removed. Releases are "vX.Y"; "v2.6" stands for any
// release before the timeline starts (v4.0).
struct rule_history {
  std::string variant;
  std::string introduced;     // the first release with the rule
  std::string introduced_by;  // the commit or change that brought it in
  std::string removed;        // the first release without it
  bool approximate = false;   // a release above is inferred, not known exactly
  bool mainline = true;       // false: never in a mainline release (a stable backport, a patch under review)
  std::string note;
};
const std::vector<rule_history> &rule_histories();
const rule_history *find_rule_history(const std::string &variant);

// Orders releases "vX.Y" (and "vX.Y.Z"). Throws std::invalid_argument on another form.
int compare_releases(const std::string &a, const std::string &b);
// Every mainline release from `from` to `to` included, in order (v4.0 .. v4.20,
// v5.0 .. v5.19, v6.0 .. v6.18). Throws std::invalid_argument for a release
// not in that list or from after to.
std::vector<std::string> mainline_releases(const std::string &from, const std::string &to);
// The variants whose rule was in force in `release`, as a combination "a+b"
// (find_variant() composes it), or "mainline" when none was. *approximate is
// set when any of them is dated approximately.
std::string rules_in_force(const std::string &release, bool *approximate);

}  // namespace gupcheck::model
