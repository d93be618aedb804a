// SPDX-License-Identifier: GPL-2.0-only
#include "model/variant.h"

namespace gupcheck::model {

namespace {

variant_info make(std::string name, std::string commit, std::string description, std::string catches,
                  std::vector<std::string> switches, bool variant_switches::*const *members, size_t n) {
  variant_info v;
  v.name = std::move(name);
  v.commit = std::move(commit);
  v.description = std::move(description);
  v.catches = std::move(catches);
  v.switches = std::move(switches);
  for (size_t i = 0; i < n; i++) v.sw.*members[i] = true;
  return v;
}

template <size_t N>
variant_info make(std::string name, std::string commit, std::string description, std::string catches,
                  std::vector<std::string> switches, bool variant_switches::*const (&members)[N]) {
  return make(std::move(name), std::move(commit), std::move(description), std::move(catches), std::move(switches),
              members, N);
}

}  // namespace

const std::vector<variant_info> &all_variants() {
  using S = variant_switches;
  static const std::vector<variant_info> v = [] {
    std::vector<variant_info> out;
    out.push_back({"mainline", "v6.18", "Linux v6.18 semantics, every historical rule off", {}, {}, ""});
    static bool S::*const seed_e[] = {&S::insert_page_refcounts_zero_page, &S::vm_normal_page_hides_zero_pfn};
    out.push_back(make("zero-page-mixedmap-refcount",
                       "\"mm/memory: cleanly support zeropage in vm_insert_page*(), vm_map_pages*() and "
                       "vmf_insert_mixed()\" (v6.11, lkml 20240522125713.775114-3-david@redhat.com; seed e)",
                       "the zero page is refcounted when inserted into a MIXEDMAP VMA but not when unmapped",
                       "ZeroPageAlwaysSpecial",
                       {"insert_page_refcounts_zero_page", "vm_normal_page_hides_zero_pfn"}, seed_e));
    static bool S::*const zp[] = {&S::zero_page_pins_counted};
    out.push_back(make("zero-page-pin-counted", "c8070b787519 \"mm: Don't pin ZERO_PAGE in pin_user_pages()\" (v6.5)",
                       "FOLL_PIN on the zero page adds GUP_PIN_COUNTING_BIAS, so pins can overflow its refcount",
                       "GupGrabArithmetic", {"zero_page_pins_counted"}, zp));
    static bool S::*const fk[] = {&S::fork_shares_pinned_pages};
    out.push_back(make("fork-shares-pinned-pages",
                       "70e806e4e645 \"mm: Do early cow for pinned pages during fork() for ptes\" (v5.9)",
                       "fork() write-protects and shares a pinned anonymous page with the child",
                       "PinnedAnonIsExclusive", {"fork_shares_pinned_pages"}, fk));
    static bool S::*const wp[] = {&S::wp_reuse_by_mapcount};
    out.push_back(make("cow-reuse-by-mapcount",
                       "09854ba94c6a \"mm: do_wp_page() simplification\" (v5.9; CVE-2020-29374)",
                       "a write fault reuses an anonymous page mapped once, although a GUP reference holds it",
                       "NoLeakAcrossCow", {"wp_reuse_by_mapcount"}, wp));
    static bool S::*const ro[] = {&S::ro_pin_never_unshares_anon};
    out.push_back(make("ro-pin-no-unshare",
                       "a7f226604170 \"mm/gup: trigger FAULT_FLAG_UNSHARE when R/O-pinning a possibly shared "
                       "anonymous page\" (v5.19)",
                       "a R/O pin of a COW-shared anonymous page pins the shared page without unsharing it",
                       "NoKernelWarning", {"ro_pin_never_unshares_anon"}, ro));
    static bool S::*const lt[] = {&S::longterm_pin_keeps_non_anon};
    out.push_back(make("longterm-pin-keeps-zero-page",
                       "84209e87c696 \"mm/gup: reliable R/O long-term pinning in COW mappings\" (v6.2)",
                       "a R/O long-term pin in a COW mapping keeps the zero page or page cache instead of unsharing",
                       "LongtermPinUnshares", {"longterm_pin_keeps_non_anon"}, lt));
    static bool S::*const pf[] = {&S::follow_pfn_pte_skips_under_pin};
    out.push_back(make("follow-pfn-pte-skips-pin",
                       "\"mm: fix invalid page pointer returned with FOLL_PIN gups\" (Peter Xu, 2022; seed d "
                       "1f7c75e4f50e925e)",
                       "under FOLL_PIN a PFN-only PTE is skipped and counted, leaving an invalid pointer in pages[]",
                       "PfnOnlyStopsGup", {"follow_pfn_pte_skips_under_pin"}, pf));
    static bool S::*const fa[] = {&S::foll_anon_zero_page};
    out.push_back(make("foll-anon-zero-page",
                       "8e4b9a607189 \"mm: FOLL_DUMP replace FOLL_ANON\" (2009; seeds a and c)",
                       "a read GUP of an untouched VMA without ->fault returns the zero page instead of faulting",
                       "GupReturnsMappedPage", {"foll_anon_zero_page"}, fa));
    return out;
  }();
  return v;
}

const variant_info *find_variant(const std::string &name) {
  for (const auto &v : all_variants())
    if (v.name == name) return &v;
  return nullptr;
}

}  // namespace gupcheck::model
