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

const std::vector<rule_history> &rule_histories() {
  // Releases are those of the commits named by each variant (model/variant.cpp
  // all_variants()); "approximate" where the release is inferred from a date,
  // or where the model's rule needs a feature that came later than the rule.
  static const std::vector<rule_history> h = {
      {"dirty-cow", "v2.6", "4ceb5db9757a \"Fix get_user_pages() race for write access\" (v2.6.13)", "v4.9", false, true,
       ""},
      {"refcount-overflow", "v2.6", "GUP has always taken plain references", "v5.1", false, true, ""},
      {"fork-shares-pinned-pages", "v2.6", "fork has always shared anonymous pages write-protected", "v5.9", false, true,
       ""},
      {"cow-reuse-by-mapcount", "v2.6", "reuse_swap_page() (reuse by mapcount)", "v5.9", false, true, ""},
      {"gup-fast-races-fork", "v2.6", "GUP-fast without write_protect_seq", "v5.11", false, true, ""},
      {"ro-pin-no-unshare", "v2.6", "R/O GUP never unshared anonymous pages", "v5.19", false, true, ""},
      {"gup-fast-races-collapse", "v2.6", "GUP-fast rechecked only the PTE against THP collapse", "v6.0", false, true,
       ""},
      {"fsdax-longterm-pin", "v4.0", "DAX mappings GUP-able (fsdax pages)", "v4.15", true, true,
       "introduction approximate: when GUP of fsdax pages became possible"},
      {"huge-dirty-cow", "v4.10", "8310d48b125d \"mm/huge_memory.c: respect FOLL_FORCE/FOLL_COW for thp\"", "v4.15",
       true, true, "introduction approximate: the PMD half of FOLL_COW"},
      {"longterm-pin-keeps-zero-page", "v4.15", "2bb6d2837083 get_user_pages_longterm() (the first long-term pins)",
       "v6.2", true, true, "introduction approximate: long-term pins before FOLL_LONGTERM (v5.2)"},
      {"zero-page-pin-counted", "v5.6", "eddb1c228f79 \"mm/gup: introduce pin_user_pages*() and FOLL_PIN\"", "v6.5",
       false, true, ""},
      {"follow-pfn-pte-skips-pin", "v5.6", "eddb1c228f79 FOLL_PIN", "v5.17", true, true,
       "removal approximate: the fix's release inferred from its date (January 2022)"},
      {"shm-dirty-cow", "v5.14", "153132571f02 \"userfaultfd/shmem: support UFFDIO_CONTINUE for shmem\"", "v6.0", true,
       true,
       "introduction approximate: FOLL_COW's dirty-PTE rule dates from v4.9, the model's way to reach it (UFFDIO_CONTINUE "
       "on shmem) from v5.14"},
      {"foll-anon-zero-page", "v2.6", "FOLL_ANON (2005)", "v2.6", false, true, "removed in v2.6.31, before v4.0"},
      {"foll-anon-use-zero-page", "v2.6", "use_zero_page() (2008)", "v2.6", false, true,
       "removed in v2.6.31, before v4.0"},
      {"vm-unpaged", "v2.6", "VM_UNPAGED", "v2.6", false, true, "removed in v2.6.15, before v4.0"},
      {"zero-page-pin-fails", "v6.1", "476c1dfefab8 (6.1-stable backport of c8070b787519)", "v6.1", false, false,
       "6.1-stable only, never in a mainline release"},
      {"zero-page-mixedmap-refcount", "v6.11", "a version of the v6.11 zeropage series under review (seed e)", "v6.11",
       false, false, "never in a release"},
  };
  return h;
}

const rule_history *find_rule_history(const std::string &variant) {
  for (const auto &r : rule_histories())
    if (r.variant == variant) return &r;
  return nullptr;
}

namespace {

std::vector<int> release_parts(const std::string &r) {
  if (r.size() < 2 || r[0] != 'v') throw std::invalid_argument("not a release: '" + r + "' (e.g. v5.9)");
  std::vector<int> parts;
  size_t i = 1;
  while (i < r.size()) {
    size_t j = i;
    while (j < r.size() && r[j] >= '0' && r[j] <= '9') j++;
    if (j == i || j - i > 4) throw std::invalid_argument("not a release: '" + r + "' (e.g. v5.9)");
    parts.push_back(std::stoi(r.substr(i, j - i)));
    if (j < r.size() && (r[j] != '.' || j + 1 == r.size()))
      throw std::invalid_argument("not a release: '" + r + "' (e.g. v5.9)");
    i = j + 1;
  }
  return parts;
}

}  // namespace

int compare_releases(const std::string &a, const std::string &b) {
  const std::vector<int> x = release_parts(a), y = release_parts(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

std::vector<std::string> mainline_releases(const std::string &from, const std::string &to) {
  // The last minor release of each major the timeline covers.
  const std::pair<int, int> majors[] = {{4, 20}, {5, 19}, {6, 18}};
  std::vector<std::string> all;
  for (const auto &[major, last] : majors)
    for (int minor = 0; minor <= last; minor++) all.push_back("v" + std::to_string(major) + "." + std::to_string(minor));
  auto at = [&](const std::string &r) {
    for (size_t i = 0; i < all.size(); i++)
      if (all[i] == r) return i;
    throw std::invalid_argument("not a mainline release from v4.0 to v6.18: '" + r + "'");
  };
  const size_t a = at(from), b = at(to);
  if (a > b) throw std::invalid_argument(from + " is after " + to);
  return {all.begin() + long(a), all.begin() + long(b) + 1};
}

std::string rules_in_force(const std::string &release, bool *approximate) {
  std::string spec;
  bool approx = false;
  for (const auto &r : rule_histories()) {
    if (!r.mainline || compare_releases(r.introduced, release) > 0 || compare_releases(release, r.removed) >= 0) continue;
    spec += (spec.empty() ? "" : "+") + r.variant;
    approx |= r.approximate;
  }
  if (approximate) *approximate = approx;
  return spec.empty() ? "mainline" : spec;
}

}  // namespace gupcheck::model
