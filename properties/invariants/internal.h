// SPDX-License-Identifier: GPL-2.0-only
//
// Inside the invariants: what the files of properties/invariants/ share. Not
// for use outside them (properties/invariants.h is the interface).
//
// Every predicate judges the model against a specification computed here,
// independently of the model code that is being checked: counts against a
// census of holders, GUP results against the VMA flags seen before the call,
// memory contents against the shadow copy. Each check has the signature of
// Invariant::check: true when it holds after the world's last step,
// otherwise false with `why` set to what was seen.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "properties/invariants.h"
#include "properties/world.h"

namespace gupcheck::props::inv {

using model::folio;
using model::kernel_state;
using model::vm_area_struct;
using model::vm_flags_t;

// What the invariant being checked names (see name_pfn()).
struct Named {
  std::vector<pfn_t> pfns;
  std::vector<std::pair<int, uint64_t>> ptes;
  std::vector<int> gups;
  void clear() {
    pfns.clear();
    ptes.clear();
    gups.clear();
  }
};
extern thread_local Named t_named;

// The footprint InvariantSet::check() is judging the last step by, or null
// for a full check (every instance).
extern thread_local const Footprint *t_footprint;

// The pages an invariant that judges each page (or folio) on its own looks
// at: every pfn in [lo, folios.size()), or, checking incrementally, only
// those of the last step's footprint. In increasing order either way, so the
// first violation found is the same: every other page held after the step
// before and has not changed since.
class PfnScan {
 public:
  PfnScan(const World &w, pfn_t lo);
  struct It {
    bool incr;
    const pfn_t *list;
    pfn_t p;
    pfn_t operator*() const { return incr ? *list : p; }
    It &operator++() {
      if (incr) ++list;
      else ++p;
      return *this;
    }
    bool operator!=(const It &o) const { return incr ? list != o.list : p != o.p; }
  };
  It begin() const { return {incr_, list_, lo_}; }
  It end() const { return {incr_, list_end_, hi_}; }

 private:
  bool incr_ = false;
  const pfn_t *list_ = nullptr, *list_end_ = nullptr;
  pfn_t lo_ = 0, hi_ = 0;
};

// The GUP calls an invariant that judges each call on its own looks at:
// every call, or only those of the last step's footprint; in index order.
class GupScan {
 public:
  explicit GupScan(const World &w);
  struct It {
    const World *w;
    bool incr;
    const int *list;
    size_t i;
    const GupCall &operator*() const { return w->gup_calls()[incr ? size_t(*list) : i]; }
    It &operator++() {
      if (incr) ++list;
      else ++i;
      return *this;
    }
    bool operator!=(const It &o) const { return incr ? list != o.list : i != o.i; }
  };
  It begin() const { return {w_, incr_, list_, 0}; }
  It end() const { return {w_, incr_, list_end_, w_->gup_calls().size()}; }

 private:
  const World *w_;
  bool incr_ = false;
  const int *list_ = nullptr, *list_end_ = nullptr;
};

// Shared specifications and helpers (common.cpp).
std::string pfn_s(pfn_t p);
std::string addr_s(uint64_t vpn);
int gup_index(const World &w, const GupCall &g);
bool is_gup_step(const World &w);
bool is_gup_end(const World &w);
bool gup_args_invalid(trace::GupApi api, unsigned flags);
int base_refs(const folio &f, int ptes);
long gup_share_delta(const World &w, pfn_t p);
std::vector<std::pair<pfn_t, long>> gup_holdings(const kernel_state &k, const GupCall &g, long *pins);
bool gup_delta_matches(const World &w, const GupCall &g, long sign, const char *what, std::string &why);
bool remote_needs_permission(const World &w, std::string &why);
bool gup_range_of_step(const World &w, unsigned &flags, long &ret);
bool mixed_zeropage_allowed_spec(const World &w, int pid, vm_flags_t f);
bool first_vma_is(const World &w, bool (*pred)(const World &, const vm_area_struct &));
bool spec_longterm_pinnable(const folio &f);
bool longterm_range_pinnable(const World &w, bool fast_part, std::string &why);
bool valid_gup_step(const World &w);
bool is_fast_api(trace::GupApi a);
bool vma_refuses(vm_flags_t f, unsigned flags);

// The checks, by file: core.cpp (TypeOK, NoKernelWarning, Expectation), then
// one file per catalogue letter, and beyond.cpp.
bool type_ok(const World &w, std::string &why);
bool no_kernel_warning(const World &w, std::string &why);
bool expectation_met(const World &w, std::string &why);
bool gup_grab_arithmetic(const World &w, std::string &why);
bool release_is_inverse(const World &w, std::string &why);
bool maybe_pinned_no_false_negative(const World &w, std::string &why);
bool flag_algebra(const World &w, std::string &why);
bool pte_references_accounted(const World &w, std::string &why);
bool refcount_matches_holders(const World &w, std::string &why);
bool has_pinned_sticky(const World &w, std::string &why);
bool rss_excludes_special(const World &w, std::string &why);
bool refcount_overflow_guard(const World &w, std::string &why);
bool large_folio_counts_per_page(const World &w, std::string &why);
bool read_fault_maps_zero_page(const World &w, std::string &why);
bool zero_page_never_writable(const World &w, std::string &why);
bool zero_page_always_special(const World &w, std::string &why);
bool gup_fast_never_returns_zero(const World &w, std::string &why);
bool zero_page_never_refcounted(const World &w, std::string &why);
bool dump_never_returns_zero(const World &w, std::string &why);
bool longterm_pin_unshares(const World &w, std::string &why);
bool driver_zero_insert_rule(const World &w, std::string &why);
bool forbidden_zero_page_never_mapped(const World &w, std::string &why);
bool zero_page_pinnable_never_migrated(const World &w, std::string &why);
bool zero_page_content_zero(const World &w, std::string &why);
bool ksm_zero_pages_special(const World &w, std::string &why);
bool pfnmap_never_normal(const World &w, std::string &why);
bool gup_rejects_pfnmap(const World &w, std::string &why);
bool pfn_only_stops_gup(const World &w, std::string &why);
bool zap_special_only_clears(const World &w, std::string &why);
bool special_ptes_well_placed(const World &w, std::string &why);
bool remap_covers_cow_vma(const World &w, std::string &why);
bool gup_fast_rejects_special(const World &w, std::string &why);
bool mixedmap_pages_refcounted(const World &w, std::string &why);
bool fork_copies_special_ptes(const World &w, std::string &why);
bool cow_of_pfn_copies(const World &w, std::string &why);
bool gup_return_value(const World &w, std::string &why);
bool pages_hold_valid_pages(const World &w, std::string &why);
bool gup_returns_mapped_page(const World &w, std::string &why);
bool gup_fast_revalidated(const World &w, std::string &why);
bool gup_error_codes(const World &w, std::string &why);
bool fast_slow_composition(const World &w, std::string &why);
bool pinned_anon_is_exclusive(const World &w, std::string &why);
bool writable_anon_is_exclusive(const World &w, std::string &why);
bool pinned_page_not_shared(const World &w, std::string &why);
bool write_fault_reuse_rule(const World &w, std::string &why);
bool no_leak_across_cow(const World &w, std::string &why);
bool gup_fast_fork_seq(const World &w, std::string &why);
bool pin_coherent_by_value(const World &w, std::string &why);
bool ksm_never_pinned(const World &w, std::string &why);
bool ro_pin_unshares(const World &w, std::string &why);
bool unshare_excludes_write(const World &w, std::string &why);
bool dump_page_ref_contract(const World &w, std::string &why);
bool dump_holes_no_alloc(const World &w, std::string &why);
bool dump_special_is_hole(const World &w, std::string &why);
bool dump_refuses_io_pfnmap(const World &w, std::string &why);
bool dump_includes_mapped_pages(const World &w, std::string &why);
bool longterm_implies_pin(const World &w, std::string &why);
bool fsdax_longterm_refused(const World &w, std::string &why);
bool longterm_write_needs_no_dirty_tracking(const World &w, std::string &why);
bool longterm_pin_is_pinnable(const World &w, std::string &why);
bool gup_fast_longterm_pinnable(const World &w, std::string &why);
bool gup_needs_permission(const World &w, std::string &why);
bool gup_read_needs_permission(const World &w, std::string &why);
bool forced_write_only_exclusive_anon(const World &w, std::string &why);
bool secretmem_never_gup(const World &w, std::string &why);
bool populate_never_forces(const World &w, std::string &why);
bool protnone_follow_rule(const World &w, std::string &why);
bool hwpoison_never_mapped(const World &w, std::string &why);
bool hwpoison_entry_never_readable(const World &w, std::string &why);
bool memory_failure_outcome(const World &w, std::string &why);
bool pages_stat_contract(const World &w, std::string &why);

}  // namespace gupcheck::props::inv
