// SPDX-License-Identifier: GPL-2.0-only
//
// The invariant registry: every invariant with its name, catalogue id,
// statement and source (docs/invariants.md), in the order they are checked;
// the selection a run makes from it; and the trace runner that checks them
// after every step.
#include "properties/invariants.h"

#include <algorithm>

#include "properties/invariants/internal.h"
#include "properties/witness.h"

namespace gupcheck::props {

using namespace gupcheck::model;
using namespace gupcheck::props::inv;

namespace {

const std::vector<Invariant> kInvariants = {
    {"TypeOK", "TypeOK",
     "The state is well formed: VMAs sorted and disjoint, PTEs only inside VMAs and naming known frames.",
     "model well-formedness (checked first; a failure is a model bug)", type_ok},
    {"Expectation", "EXPECT",
     "Every step's outcome matches the expectation its trace line states ('=> 1', '=> -EFAULT', '=> 0x41', "
     "'=> SIGSEGV').",
     "the kernel's own selftests (tools/testing/selftests/mm), as scenario traces; checked after TypeOK on every run",
     expectation_met},
    {"NoKernelWarning", "WARN",
     "No WARN_ON/VM_BUG_ON condition the kernel asserts on its own state is reached.",
     "the kernel's own assertions in mm/gup.c and mm/memory.c", no_kernel_warning},
    {"GupGrabArithmetic", "A1",
     "A GUP call adds exactly one reference per FOLL_GET page and GUP_PIN_COUNTING_BIAS per FOLL_PIN page "
     "(one reference plus one _pincount on a large folio), and nothing for a pin of the zero page.",
     "try_grab_folio(); 3faa52c03f44 \"mm/gup: track FOLL_PIN pages\", c8070b787519", gup_grab_arithmetic},
    {"ReleaseIsExactInverse", "A2", "put_page()/unpin_user_pages() remove exactly what the GUP call added.",
     "gup_put_folio(), unpin_user_pages()", release_is_inverse},
    {"MaybePinnedNoFalseNegatives", "A3",
     "folio_maybe_dma_pinned() is true for every pinned folio (a large folio by its _pincount).",
     "folio_maybe_dma_pinned()", maybe_pinned_no_false_negative},
    {"GupFlagAlgebra", "A4",
     "Invalid FOLL_* combinations are refused: get_user_pages*() and pin_user_pages_fast() with -EINVAL, "
     "pin_user_pages() with 0.",
     "is_valid_gup_args()", flag_algebra},
    {"PteReferencesAccounted", "A5",
     "Every present non-special PTE holds exactly one mapcount on its folio; no PTE maps a freed folio.",
     "seed b 6aab341e0a28; seed e; copy_present_ptes(), zap_present_ptes()", pte_references_accounted},
    {"RefcountMatchesHolders", "A6",
     "A folio's refcount equals its PTE mappings plus page cache, driver, FOLL_GET and FOLL_PIN holders.",
     "the GUP contract above __get_user_pages()", refcount_matches_holders},
    {"LargeFolioCountsPerPage", "A9",
     "GUP takes one reference (or pin) per page it returns from a large folio, and a large folio's _pincount "
     "equals the pins held on its pages exactly.",
     "__get_user_pages() next_page block (page_increm), follow_huge_pmd(), gup_fast_pmd_leaf(), "
     "folio_maybe_dma_pinned()",
     large_folio_counts_per_page},
    {"RefcountOverflowGuard", "A8",
     "GUP never takes a folio's refcount past the point where it would overflow (refcount_ceiling(): 2^31, scaled down to four pins in the refcount-overflow variant).",
     "8fde12ca79af mm: prevent get_user_pages() from overflowing page refcount (CVE-2019-11487); try_grab_folio()",
     refcount_overflow_guard},
    {"HasPinnedSticky", "A7", "MMF_HAS_PINNED is set by the first FOLL_PIN call and never cleared.",
     "mm_set_has_pinned_flag()", has_pinned_sticky},
    {"RssExcludesSpecial", "A10", "rss counters count exactly the normal PTEs: never the zero page or special PTEs.",
     "do_anonymous_page(), wp_page_copy(); seed e", rss_excludes_special},
    {"ReadFaultMapsZeroPage", "B1",
     "A read fault on pte_none in a private anonymous VMA maps the zero page special and read-only.",
     "do_anonymous_page()", read_fault_maps_zero_page},
    {"ZeroPageNeverWritable", "B2", "No PTE maps the zero page writable.",
     "wp_page_copy(), can_change_pte_writable(); seed e", zero_page_never_writable},
    {"ZeroPageAlwaysSpecial", "B3",
     "The zero page is mapped only by special PTEs and has no mapcount, so vm_normal_page() never returns it.",
     "vm_normal_page(); seed e", zero_page_always_special},
    {"GupFastNeverReturnsZero", "B4", "GUP-fast never returns the zero page; it falls back to the slow path.",
     "gup_fast_pte_range(); seed e", gup_fast_never_returns_zero},
    {"ZeroPageNeverRefcounted", "B5",
     "The zero page's refcount moves only with FOLL_GET references: mapping, pinning and inserting it never count.",
     "c8070b787519 \"mm: Don't pin ZERO_PAGE in pin_user_pages()\"; seed e", zero_page_never_refcounted},
    {"DumpNeverReturnsZero", "B6", "get_dump_page() never returns the zero page.",
     "seed c 8e4b9a607189 \"mm: FOLL_DUMP replace FOLL_ANON\"", dump_never_returns_zero},
    {"ZeroPageLongtermPinnable", "B10",
     "The zero page is long-term pinnable and never migrated, even though it sits in ZONE_MOVABLE here.",
     "folio_is_longterm_pinnable(); 9afaf30f7a1a \"mm/gup: do not migrate zero page\"",
     zero_page_pinnable_never_migrated},
    {"ZeroPageContentZero", "B11", "The zero page always reads as zeroes.",
     "corollary of B2, B6, H3; Huge Dirty COW (CVE-2017-1000405)", zero_page_content_zero},
    {"KsmZeroPagesSpecial", "B12",
     "Zero pages KSM places are read-only special PTEs, each counted in mm->ksm_zero_pages until COW or unmap.",
     "replace_page(), ksm_might_unmap_zero_page() in zap_present_ptes()/wp_page_copy(); e2942062e01d, 6080d19f0704",
     ksm_zero_pages_special},
    {"LongtermPinUnshares", "B7",
     "A long-term pin in a COW mapping holds an exclusive anonymous page, never the zero page or page cache.",
     "84209e87c696 \"mm/gup: reliable R/O long-term pinning in COW mappings\"", longterm_pin_unshares},
    {"PfnmapNeverNormal", "C1",
     "A raw VM_PFNMAP PTE is special and never refcounted, rmapped or returned by GUP; other PFNMAP PTEs are COWed "
     "anonymous pages.",
     "seed b 6aab341e0a28 \"mm: re-architect the VM_UNPAGED logic\"", pfnmap_never_normal},
    {"GupRejectsPfnmap", "C3",
     "The slow GUP path never processes a page of a VM_IO|VM_PFNMAP VMA and fails there with -EFAULT.",
     "check_vma_flags()", gup_rejects_pfnmap},
    {"RemapCoversCowVma", "C2",
     "Every VM_PFNMAP VMA carries VM_IO|VM_PFNMAP|VM_DONTEXPAND|VM_DONTDUMP; in a COW PFNMAP every special PTE maps "
     "vm_pgoff + its offset, and remap_pfn_range() maps the whole VMA.",
     "mm/memory.c remap_pfn_range_internal(); seed b 6aab341e0a28", remap_covers_cow_vma},
    {"PfnOnlyStopsGup", "C4",
     "GUP with pages[] never returns a pfn without struct page: it stops there, with -EEXIST at the first page.",
     "seed d (follow_pfn_pte() clean-up); __get_user_pages()", pfn_only_stops_gup},
    {"GupFastRejectsSpecial", "C5",
     "GUP-fast never takes a page from a special PTE (zero page, PFNMAP or MIXEDMAP pfn): it leaves it to the slow path.",
     "mm/gup.c gup_fast_pte_range() pte_special() check", gup_fast_rejects_special},
    {"MixedmapPagesRefcounted", "C6",
     "No VMA is both VM_PFNMAP and VM_MIXEDMAP; in a VM_MIXEDMAP VMA a pfn without struct page is mapped special "
     "and a non-special PTE maps a refcounted, mapped page.",
     "mm/memory.c vm_normal_page(), vmf_insert_pfn_prot() BUG_ONs, vm_insert_page()", mixedmap_pages_refcounted},
    {"ForkCopiesSpecialPtes", "C7",
     "fork copies every present PTE of a VM_PFNMAP|VM_MIXEDMAP VMA into the child, special PTEs as special PTEs of "
     "the same pfn.",
     "mm/memory.c vma_needs_copy(), copy_present_ptes()", fork_copies_special_ptes},
    {"CowOfPfnCopies", "C8",
     "A write fault on a struct-page-less (special) source in a COW mapping maps a new normal exclusive anonymous "
     "page holding the source's content (or the value written).",
     "mm/memory.c __wp_page_copy_user() (seed b's cow_user_page())", cow_of_pfn_copies},
    {"ZapSpecialOnlyClears", "C9",
     "Unmapping a special PTE only clears it: the zero page and driver pages keep their own references.",
     "zap_present_ptes()", zap_special_only_clears},
    {"SpecialPtesWellPlaced", "C10",
     "With pte_special, a special PTE maps the zero page or lies in a VM_PFNMAP|VM_MIXEDMAP VMA, and a PTE that is "
     "not special maps a pfn with a struct page (the states print_bad_page_map() reports, stated on the tables).",
     "mm/memory.c vm_normal_page() print_bad_page_map() cases", special_ptes_well_placed},
    {"GupReturnValue", "D1",
     "GUP returns a count no larger than asked, and 0 only for refused arguments or FOLL_NOWAIT.",
     "__get_user_pages_locked()", gup_return_value},
    {"PagesAreHeld", "D2", "Every page a GUP call returned is a valid struct page that stays allocated while held.",
     "__get_user_pages(); seed d", pages_hold_valid_pages},
    {"GupErrorCodes", "D3",
     "A failing GUP returns an errno its flags allow (-EHWPOISON only with FOLL_HWPOISON, -EEXIST only for a "
     "PFN-only first page, -EOPNOTSUPP only long-term), and -EFAULT where the first VMA is missing or refused.",
     "mm/gup.c __get_user_pages(), check_vma_flags(), vm_fault_to_errno()", gup_error_codes},
    {"GupReturnsMappedPage", "D4", "GUP returns the page mapped at each address at the time of the call.",
     "the GUP contract above __get_user_pages()", gup_returns_mapped_page},
    {"FastSlowComposition", "D5",
     "gup_fast_fallback() never returns less than the pages GUP-fast already took (never -errno with pins "
     "outstanding).",
     "mm/gup.c gup_fast_fallback()", fast_slow_composition},
    {"GupFastRevalidated", "D6",
     "Every page GUP-fast keeps is still mapped by the PTE it read when its lockless section ends.",
     "gup_fast_pte_range() PTE/PMD recheck; 70cbc3cc78a9 mm: gup: fix the fast GUP race against THP collapse",
     gup_fast_revalidated},
    {"GupFastForkSeq", "E6",
     "A pin_user_pages_fast() whose lockless section overlapped a fork that write-protected COW mappings "
     "(mm->write_protect_seq moved) keeps none of the pages it took there.",
     "57efa1fe5957 mm/gup: prevent gup_fast from racing with COW during fork (mm->write_protect_seq)",
     gup_fast_fork_seq},
    {"PinnedAnonIsExclusive", "E1", "Every pinned anonymous page is PageAnonExclusive.",
     "sanity_check_pinned_pages(); 6c287605fd56, a7f226604170", pinned_anon_is_exclusive},
    {"WritableAnonIsExclusive", "E2", "Every writable PTE of an anonymous page maps an exclusive page.",
     "wp_page_reuse(), can_change_pte_writable()", writable_anon_is_exclusive},
    {"PinnedPageNotSharedAtFork", "E3",
     "A pinned anonymous page is mapped by at most one PTE: fork copies it for the child instead of sharing it.",
     "70e806e4e645 \"mm: Do early cow for pinned pages during fork() for ptes\"", pinned_page_not_shared},
    {"RoPinUnshares", "E4",
     "A R/O pin of a R/O-mapped shared anonymous page unshares it first without making the PTE writable; FOLL_GET "
     "never unshares.",
     "mm/internal.h gup_must_unshare(), mm/memory.c wp_page_copy(); a7f226604170", ro_pin_unshares},
    {"WriteFaultReuseRule", "E5",
     "A write fault reuses an anonymous page only if it is exclusive or its refcount is 1.",
     "09854ba94c6a \"mm: do_wp_page() simplification\"; CVE-2020-29374", write_fault_reuse_rule},
    {"KsmNeverPinned", "E8",
     "A KSM folio is never PageAnonExclusive and never pinned; a merge never drops a page GUP holds.",
     "gup_must_unshare() (KSM pages cannot be exclusive); write_protect_page() in mm/ksm.c", ksm_never_pinned},
    {"UnshareExcludesWrite", "E7",
     "No fault carries both FAULT_FLAG_UNSHARE and FAULT_FLAG_WRITE; a user access or a GUP call other than a R/O "
     "pin never raises FAULT_FLAG_UNSHARE.",
     "mm/gup.c faultin_page() VM_WARN, mm/memory.c sanitize_fault_flags()", unshare_excludes_write},
    {"NoLeakAcrossCow", "E9",
     "A process reads back what it wrote to private memory (anonymous, or a private file mapping it wrote), and its writes never reach an anonymous "
     "page that another process holds through GUP from a private mapping.",
     "cow.c \"No leak\" tests; CVE-2020-29374", no_leak_across_cow},
    {"DumpPageRefContract", "F1", "A core dump leaves every folio's GUP references as it found them.",
     "get_dump_page(); d3378e86d182 was reverted for breaking this", dump_page_ref_contract},
    {"DumpHolesNoAlloc", "F2", "A core dump allocates no page or page table for untouched anonymous memory.",
     "seed c 8e4b9a607189; no_page_table()", dump_holes_no_alloc},
    {"DumpSpecialIsHole", "F3", "A core dump returns only normal mapped pages: zero and special PTEs are holes.",
     "seed c; follow_page_pte() FOLL_DUMP", dump_special_is_hole},
    {"LongtermPinIsPinnable", "G3",
     "Every page the slow path of a successful FOLL_LONGTERM pin returns is long-term pinnable: not CMA, not "
     "ZONE_MOVABLE (the zero page excepted); movable ones are migrated first.",
     "__gup_longterm_locked(), check_and_migrate_movable_pages(), migrate_longterm_unpinnable_folios()",
     longterm_pin_is_pinnable},
    {"GupFastLongtermPinnable", "G5",
     "GUP-fast with FOLL_LONGTERM never pins a folio that is not long-term pinnable; it falls back instead.",
     "try_grab_folio_fast()", gup_fast_longterm_pinnable},
    {"GupNeedsPermission", "H1",
     "GUP writes need VM_WRITE, or FOLL_FORCE in a COW mapping (never in a shared !VM_WRITE mapping).",
     "check_vma_flags()", gup_needs_permission},
    {"GupReadNeedsPermission", "H2", "GUP reads need VM_READ, or FOLL_FORCE and VM_MAYREAD.", "check_vma_flags()",
     gup_read_needs_permission},
    {"ForcedWriteOnlyExclusiveAnon", "H3",
     "A forced write into a read-only mapping only ever reaches an exclusive anonymous page.",
     "can_follow_write_common(); 5535be309971; CVE-2016-5195", forced_write_only_exclusive_anon},
    {"ProtnoneFollowRule", "H5",
     "GUP-fast never follows a protnone PTE; slow GUP follows one only without FOLL_HONOR_NUMA_FAULT or in an "
     "inaccessible VMA.",
     "mm/internal.h gup_can_follow_protnone(), mm/gup.c gup_fast_pte_range()", protnone_follow_rule},
    {"DriverZeroInsertRule", "B8",
     "A driver maps the zero page only where vm_mixed_zeropage_allowed() (not forbidden, COW or never writable), "
     "always special and read-only, and is refused elsewhere.",
     "vm_mixed_zeropage_allowed(), validate_page_before_insert(), vm_mixed_ok(); seed e", driver_zero_insert_rule},
    {"ForbiddenZeroPageNeverMapped", "B9",
     "In an mm where mm_forbids_zeropage() holds no step maps the zero pfn anew, and forbidding it unshares every "
     "zero page in COW mappings.",
     "do_anonymous_page(), mfill_atomic_pte_zeropage(), vm_mixed_zeropage_allowed(); s390 "
     "gmap_helper_disable_cow_sharing()",
     forbidden_zero_page_never_mapped},
    {"DumpRefusesIoPfnmap", "F4", "get_dump_page() returns no page inside a VM_IO|VM_PFNMAP VMA.",
     "check_vma_flags() via get_dump_page()", dump_refuses_io_pfnmap},
    {"DumpIncludesMappedPages", "F5",
     "A core dump writes every normal page the process maps in a dumped VMA it may read with FOLL_FORCE "
     "(anonymous or page cache, PROT_NONE included): only holes, special PTEs and hwpoisoned pages are skipped.",
     "fs/coredump.c dump_user_range() -> mm/gup.c get_dump_page() (FOLL_FORCE|FOLL_DUMP), check_vma_flags()",
     dump_includes_mapped_pages},
    {"LongtermImpliesPin", "G1",
     "Only FOLL_PIN calls take pages with FOLL_LONGTERM, and they set MMF_HAS_PINNED.",
     "is_valid_gup_args(), __gup_longterm_locked()", longterm_implies_pin},
    {"FsdaxLongtermRefused", "G2",
     "A long-term pin never holds an fsdax page; starting in an fsdax VMA it fails with -EOPNOTSUPP.",
     "check_vma_flags() vma_is_fsdax(), folio_is_longterm_pinnable(), try_grab_folio_fast()",
     fsdax_longterm_refused},
    {"LongtermWriteNoDirtyTracking", "G4",
     "A long-term write pin never holds the page cache of a shared file mapping that needs dirty tracking; "
     "starting there it fails with -EFAULT.",
     "writable_file_mapping_allowed(), gup_fast_folio_allowed()", longterm_write_needs_no_dirty_tracking},
    {"SecretmemNeverGup", "H4",
     "secretmem pages are never returned by GUP (slow or fast), remote access or MADV_POPULATE; GUP starting in "
     "a secretmem VMA fails with -EFAULT.",
     "check_vma_flags() vma_is_secretmem(), gup_fast_folio_allowed() folio_is_secretmem()", secretmem_never_gup},
    {"PopulateNeverForces", "H6",
     "MADV_POPULATE_* never forces: a hole gives -ENOMEM, a refused VMA -EINVAL; mlock write-faults private "
     "writable VMAs and read-faults the rest.",
     "faultin_page_range(), madvise_populate(), populate_vma_page_range()", populate_never_forces},
    {"PinCoherentByValue", "E10",
     "(Beyond the catalogue.) What a device reads through a pin of anonymous memory equals what the holder's "
     "memory holds, while the holder's mapping stands.",
     "cow.c / gup_longterm.c pin coherence; 70e806e4e645, 84209e87c696", pin_coherent_by_value},
    {"HwpoisonRecoveredNeverMapped", "HW1",
     "(Beyond the catalogue.) A page memory_failure() unmapped (an order-0 anonymous or page-cache page) is never "
     "mapped or returned by GUP again; only a page it refused (a driver's page, the zero page: -EBUSY) or a large "
     "folio it could not split (-EHWPOISON) stays mapped while poisoned. Touching a hwpoison entry raises SIGBUS "
     "and GUP fails with -EHWPOISON only under FOLL_HWPOISON, else -EFAULT.",
     "memory_failure() (hwpoison_user_mappings(), identify_page_state(), try_to_split_thp_page()), do_swap_page(), "
     "faultin_page() vm_fault_to_errno()",
     hwpoison_never_mapped},
    {"HwpoisonEntryNeverReadable", "HW2",
     "(Beyond the catalogue.) An access to a hwpoison entry never returns data: only unmapping clears the entry, "
     "nothing maps a page over it, and user, remote, GUP and core-dump accesses through it get no page.",
     "make_hwpoison_entry() in memory_failure(); do_fault_around()/filemap_map_pages() and every insert fill "
     "only pte_none()",
     hwpoison_entry_never_readable},
    {"MemoryFailureOutcome", "HW3",
     "(Beyond the catalogue.) MADV_HWPOISON of a mapped page GUP can reach: -EHWPOISON and SIGBUS for a page "
     "already poisoned or a large folio that cannot be split, -EBUSY for a page off the LRU (left mapped, "
     "PG_hwpoison set), else 0 with the page unmapped.",
     "mm/madvise.c madvise_inject_error() (MF_ACTION_REQUIRED | MF_COUNT_INCREASED); mm/memory-failure.c "
     "memory_failure(): TestSetPageHWPoison(), try_to_split_thp_page() + kill_procs_now(), identify_page_state()",
     memory_failure_outcome},
    {"PagesStatContract", "MP1",
     "(Beyond the catalogue.) move_pages() status: -EFAULT without a VMA or for the zero page, -ENOENT without a "
     "normal page, the node otherwise; it never faults or keeps a reference.",
     "do_pages_stat_array() with folio_walk_start(FW_ZEROPAGE)", pages_stat_contract},
};

}  // namespace

const std::vector<Invariant> &all_invariants() { return kInvariants; }

const Invariant *find_invariant(const std::string &name) {
  for (const auto &i : kInvariants)
    if (name == i.name || name == i.id) return &i;
  for (const auto &i : all_witnesses())
    if (name == i.name || name == i.id) return &i;
  return nullptr;
}

namespace {
// Checked on every run, whatever the selection.
bool always_checked(const Invariant *i) {
  return std::string(i->name) == "TypeOK" || std::string(i->name) == "Expectation";
}
const Invariant &expectation_invariant() {
  static const Invariant *e = find_invariant("Expectation");
  return *e;
}
}  // namespace

namespace {
// Every registered invariant but `first` (and TypeOK, which held) violated
// in w; what they name is dropped, the report highlights `first`'s.
std::vector<std::string> also_violated(const World &w, const Invariant *first) {
  t_footprint = nullptr;  // every other invariant, in full
  std::vector<std::string> names;
  std::string why;
  // The other invariants read the frames GUP calls hold: they need each to be
  // a frame the model has (part of what D2 states). Where one is not, they
  // may not run, and D2 is the only other invariant reported.
  bool indexable = true;
  for (const GupCall &g : w.gup_calls())
    for (pfn_t p : g.pages) indexable = indexable && p < w.kernel().folios.size();
  if (!indexable) {
    if (std::string(first->name) != "PagesAreHeld") names.push_back("PagesAreHeld");
    t_named.clear();
    return names;
  }
  for (const auto &i : kInvariants) {
    if (&i == first || std::string(i.name) == "TypeOK") continue;
    if (!i.check(w, why)) names.push_back(i.name);
  }
  t_named.clear();
  return names;
}
}  // namespace

InvariantSet::InvariantSet() {
  for (const auto &i : kInvariants)
    if (!always_checked(&i)) sel_.push_back(&i);
}

std::string InvariantSet::select(const std::vector<std::string> &names) {
  std::vector<const Invariant *> s;
  for (const auto &n : names) {
    if (n == "all") {
      sel_ = InvariantSet().sel_;
      return "";
    }
    const Invariant *i = find_invariant(n);
    if (!i) return n;
    if (!always_checked(i)) s.push_back(i);
  }
  std::sort(s.begin(), s.end());
  s.erase(std::unique(s.begin(), s.end()), s.end());
  sel_ = s;
  return "";
}

std::string InvariantSet::names() const {
  std::vector<const Invariant *> all = InvariantSet().sel_, mine = sel_;
  std::sort(all.begin(), all.end());
  std::sort(mine.begin(), mine.end());
  if (mine == all) return "all";
  std::string s;
  auto add = [&](const Invariant &i) {
    if (std::find(sel_.begin(), sel_.end(), &i) != sel_.end()) s += (s.empty() ? "" : ",") + std::string(i.name);
  };
  for (const auto &i : kInvariants) add(i);
  for (const auto &i : all_witnesses()) add(i);
  return s.empty() ? "Expectation" : s;  // TypeOK and Expectation alone
}

bool InvariantSet::is_witness() const {
  if (sel_.size() != 1) return false;
  for (const auto &i : all_witnesses())
    if (sel_[0] == &i) return true;
  return false;
}

namespace {
// Sets t_footprint for one check and clears it again, whatever returns.
struct FootprintScope {
  explicit FootprintScope(const Footprint *f) { t_footprint = f; }
  ~FootprintScope() { t_footprint = nullptr; }
};
}  // namespace

Violation InvariantSet::check(const World &w, size_t step) const {
  // Incrementally: only what the step's footprint names, unless it is
  // global; a violation found then is reported with every other invariant
  // violated (also_violated() checks each in full).
  const bool incr = mode_ == CheckMode::Incremental && w.incremental() && !w.footprint().global;
  return check(w, step, incr);
}

Violation InvariantSet::check_full(const World &w, size_t step) const { return check(w, step, false); }

Violation InvariantSet::check(const World &w, size_t step, bool incremental) const {
  FootprintScope scope(incremental ? &w.footprint() : nullptr);
  Violation v;
  std::string why;
  t_named.clear();
  auto take_named = [&v] {
    v.pfns = std::move(t_named.pfns);
    v.ptes = std::move(t_named.ptes);
    v.gups = std::move(t_named.gups);
    t_named.clear();
  };
  if (!type_ok(w, why)) {
    v.found = true;
    v.internal = true;
    v.invariant = "TypeOK";
    v.why = why;
    v.step = step;
    take_named();
    return v;
  }
  if (!expectation_met(w, why)) {
    v.found = true;
    v.invariant = expectation_invariant().name;
    v.why = why;
    v.step = step;
    v.also = also_violated(w, &expectation_invariant());
    return v;
  }
  for (const Invariant *i : sel_) {
    if (!i->check(w, why)) {
      v.found = true;
      v.invariant = i->name;
      v.why = why;
      v.step = step;
      take_named();
      v.also = also_violated(w, i);
      return v;
    }
  }
  return v;
}

RunResult run_trace(const trace::Trace &t, const variant_switches &sw, const InvariantSet &inv) {
  return run_trace(t, sw, inv, StepObserver());
}

RunResult run_trace(const trace::Trace &t, const variant_switches &sw, const InvariantSet &inv,
                    const StepObserver &after_step) {
  RunResult r;
  World w(sw);
  w.set_incremental(inv.mode() == CheckMode::Incremental);
  for (size_t i = 0; i < t.ops.size(); i++) {
    try {
      w.step(t.ops[i]);
    } catch (const model_bug &e) {
      r.violation = {true, true, "ModelBug", e.what(), i, {}, {}, {}, {}};
      r.steps_run = i + 1;
      return r;
    }
    r.steps_run = i + 1;
    if (after_step) after_step(w);
    r.violation = inv.check(w, i);
    if (r.violation.found) return r;
  }
  // Checking incrementally, the case ends with a full check: a violation the
  // footprints missed would show here (it never has: the equivalence test,
  // tests/property/incremental_test.cpp, compares both modes).
  if (w.incremental() && !t.ops.empty() && !w.footprint().global) r.violation = inv.check_full(w, t.ops.size() - 1);
  return r;
}

void name_pfn(pfn_t pfn) { t_named.pfns.push_back(pfn); }
void name_pte(int pid, uint64_t vpn) { t_named.ptes.emplace_back(pid, vpn); }
void name_gup(int gup) { t_named.gups.push_back(gup); }

const char *check_mode_name(CheckMode m) { return m == CheckMode::Full ? "full" : "incremental"; }

bool parse_check_mode(const std::string &s, CheckMode &m) {
  if (s == "full") m = CheckMode::Full;
  else if (s == "incremental") m = CheckMode::Incremental;
  else return false;
  return true;
}

InvariantSet only(const std::string &invariant, const InvariantSet &fallback) {
  InvariantSet s;
  s.set_mode(fallback.mode());
  if (!find_invariant(invariant) || !s.select({invariant}).empty()) return fallback;
  return s;
}

bool violates(const trace::Trace &t, const variant_switches &sw, const InvariantSet &inv,
              const std::string &invariant) {
  return violates(t, sw, inv, invariant, nullptr);
}

bool violates(const trace::Trace &t, const variant_switches &sw, const InvariantSet &inv,
              const std::string &invariant, const std::function<bool()> &give_up) {
  struct GaveUp {};
  StepObserver check;
  if (give_up)
    check = [&give_up](const World &) {
      if (give_up()) throw GaveUp{};
    };
  try {
    const RunResult r = run_trace(t, sw, only(invariant, inv), check);
    return r.violation.found && r.violation.invariant == invariant;
  } catch (const bad_trace &) {
    return false;
  } catch (const GaveUp &) {
    return false;
  }
}

}  // namespace gupcheck::props
