// SPDX-License-Identifier: GPL-2.0-only
//
// Incremental checking: each step's footprint (what it may have changed) and
// the census kept up to date from it instead of walked again (world.h).
//
// A step is local when its kind and operands bound what it can change:
//   read, write (a fault: handle_mm_fault() changes the PTE table covering
//     the address, a THP fault included; fault-around maps up to 16 pages
//     from a window that starts at or before the address and that the
//     model's 16-entry tables do not contain, so the footprint takes the
//     tables of [address, address + 16)), remote read/write (the same in
//     the target's mm),
//   a whole GUP call without FOLL_LONGTERM (faults and unshares inside its
//     range; FOLL_LONGTERM may migrate a folio, which rewrites other
//     processes' PTEs through the rmap, so it is global),
//   put, unpin, dma_read, dma_write (the call's pages only).
// Everything else (mmap, munmap, mprotect, madvise, mlock, fork, exit, KSM,
// collapse, in-flight calls and their resume/wait, populate, inserts,
// userfaultfd, move_pages, forbidding the zero page), and any step taken
// while a collapse holds an mmap_lock (which it then completes), is global.
// A local step's footprint is the pages its PTE tables mapped before and
// after it, its call's pages before and after, and the folios it allocated,
// each widened to its whole large folio; its GUP calls are its own and every
// call holding one of those pages. Should a local step change how the census
// classifies a page (anonymous, exclusive, hwpoisoned, page cache, its
// folio), the census is walked again in full.
#include <algorithm>

#include "properties/world.h"

namespace gupcheck::props {

using namespace gupcheck::model;
using trace::Op;
using trace::OpKind;

namespace {

bool local_kind(const Op &op) {
  switch (op.kind) {
    case OpKind::Read:
    case OpKind::Write:
    case OpKind::RemoteRead:
    case OpKind::RemoteWrite:
    case OpKind::Put:
    case OpKind::Unpin:
    case OpKind::DmaRead:
    case OpKind::DmaWrite: return true;
    case OpKind::Gup: return !op.in_flight && !(op.gup_flags & FOLL_LONGTERM);
    default: return false;
  }
}

// What the census reads of a page besides its counts: a change of any of
// these under a PTE outside the step's tables needs a full walk.
uint64_t census_class(const kernel_state &k, pfn_t p) {
  if (p >= k.folios.size()) return 0;
  const folio &f = k.folios[p];
  uint64_t c = uint64_t(f.anon) | uint64_t(f.anon_exclusive) << 1 | uint64_t(f.hwpoison_recovered) << 2 |
               uint64_t(f.pagecache) << 3 | uint64_t(f.large) << 4 | uint64_t(f.head) << 8;
  if (f.pagecache && f.file >= 0 && size_t(f.file) < k.files.size()) c |= uint64_t(k.files[f.file].shmem) << 5;
  return c;
}

// The PTE tables of mm that cover part of [lo, hi).
template <class F>
void tables_in(const mm_struct &mm, uint64_t lo, uint64_t hi, F f) {
  const uint64_t base = lo - lo % PTRS_PER_PTE;
  auto it = std::lower_bound(mm.tables.begin(), mm.tables.end(), base,
                             [](const pte_table &t, uint64_t b) { return t.base < b; });
  for (; it != mm.tables.end() && it->base < hi; ++it) f(*it);
}

// Every page a table maps (a PMD leaf: every page of its folio).
void mapped_pages(const pte_table &t, std::vector<pfn_t> &out) {
  if (t.pmd_leaf) {
    for (unsigned i = 0; i < HPAGE_PMD_NR; i++) out.push_back(t.pmd_pfn + i);
    return;
  }
  for (const pte_t &p : t.ptes)
    if (p.present) out.push_back(p.pfn);
}

}  // namespace

void World::census_table(Census &c, int pid, const pte_table &tab, int sign, bool where) const {
  const size_t n = c.ptes.size();
  Census::Rss &rss = c.rss[pid];
  if (tab.pmd_leaf && tab.pmd_pfn < n) {
    // A PMD leaf: the huge zero folio holds nothing; an anonymous THP
    // one mapping (and HPAGE_PMD_NR pages of rss).
    if (is_huge_zero_pfn(k_, tab.pmd_pfn)) {
      if (tab.pmd_write) {
        c.n_zero_writable += sign;
        if (where && c.zero_writable.pid < 0) c.zero_writable = {pid, tab.base, tab.pmd_pfn};
      }
      return;
    }
    const folio &f = k_.folios[tab.pmd_pfn];
    c.ptes[tab.pmd_pfn] += sign;
    for (unsigned i = 0; i < HPAGE_PMD_NR && tab.pmd_pfn + i < n; i++) {
      c.page_maps[tab.pmd_pfn + i] += sign;
      if (hwpoison_unmapped_by_memory_failure(k_.folios[tab.pmd_pfn + i])) {
        c.n_hwpoison_mapped += sign;
        if (where && c.hwpoison_mapped.pid < 0) c.hwpoison_mapped = {pid, tab.base + i, tab.pmd_pfn + i};
      }
    }
    if (f.anon) rss.anon += sign * long(HPAGE_PMD_NR);
    if (f.anon && tab.pmd_write && !f.anon_exclusive) {
      c.n_writable_shared_anon += sign;
      if (where && c.writable_shared_anon.pid < 0) c.writable_shared_anon = {pid, tab.base, tab.pmd_pfn};
    }
    return;
  }
  for (unsigned i = 0; i < PTRS_PER_PTE; i++) {
    const pte_t &p = tab.ptes[i];
    if (!p.present || p.pfn >= n) continue;
    if (is_zero_pfn(p.pfn)) {
      c.zero_ptes[pid] += sign;
      if (p.write) {
        c.n_zero_writable += sign;
        if (where && c.zero_writable.pid < 0) c.zero_writable = {pid, tab.base + i, p.pfn};
      }
      if (!p.special) {
        c.n_zero_not_special += sign;
        if (where && c.zero_not_special.pid < 0) c.zero_not_special = {pid, tab.base + i, p.pfn};
      }
      if (is_ksm_zero_pte(p)) {
        c.ksm_zero[pid] += sign;
        if (!p.special || p.write) {
          c.n_ksm_zero_not_special += sign;
          if (where && c.ksm_zero_not_special.pid < 0) c.ksm_zero_not_special = {pid, tab.base + i, p.pfn};
        }
      }
    }
    if (p.special) {
      c.special_ptes[p.pfn] += sign;
      continue;
    }
    c.ptes[folio_pfn(k_, p.pfn)] += sign;
    c.page_maps[p.pfn] += sign;
    const folio &f = k_.folios[p.pfn];
    if (hwpoison_unmapped_by_memory_failure(f)) {
      c.n_hwpoison_mapped += sign;
      if (where && c.hwpoison_mapped.pid < 0) c.hwpoison_mapped = {pid, tab.base + i, p.pfn};
    }
    if (f.anon) {
      rss.anon += sign;
      if (p.write && !f.anon_exclusive) {
        c.n_writable_shared_anon += sign;
        if (where && c.writable_shared_anon.pid < 0) c.writable_shared_anon = {pid, tab.base + i, p.pfn};
      }
    } else if (f.pagecache && k_.files[f.file].shmem) {
      rss.shmem += sign;
    } else {
      rss.file += sign;
    }
  }
}

void World::census_gup(Census &c, const GupCall &g, int sign) const {
  if (!g.holds()) return;
  const size_t n = c.ptes.size();
  for (pfn_t p : g.pages) {
    if (p >= n) continue;
    (g.pin ? c.pins : c.gets)[folio_pfn(k_, p)] += sign;
    if (g.pin) c.page_pins[p] += sign;
  }
}

void World::census_walk(Census &c) const {
  const size_t n = k_.folios.size();
  c.ptes.assign(n, 0);
  c.gets.assign(n, 0);
  c.pins.assign(n, 0);
  c.special_ptes.assign(n, 0);
  c.page_maps.assign(n, 0);
  c.page_pins.assign(n, 0);
  c.rss.assign(k_.tasks.size(), {});
  c.ksm_zero.assign(k_.tasks.size(), 0);
  c.zero_writable = c.zero_not_special = c.writable_shared_anon = c.hwpoison_mapped = c.ksm_zero_not_special = {};
  c.n_zero_writable = c.n_zero_not_special = c.n_writable_shared_anon = c.n_ksm_zero_not_special =
      c.n_hwpoison_mapped = 0;
  c.zero_ptes.assign(k_.tasks.size(), 0);
  for (size_t pid = 0; pid < k_.tasks.size(); pid++) {
    if (!k_.tasks[pid].alive) continue;
    for (const pte_table &tab : k_.tasks[pid].mm.tables) census_table(c, int(pid), tab, +1, true);
  }
  for (const GupCall &g : gups_) census_gup(c, g, +1);
  c.valid = true;
}

const Census &World::census() const {
  if (!census_.valid) census_walk(census_);
  return census_;
}

Census World::census_full() const {
  Census c;
  census_walk(c);
  return c;
}

void World::set_incremental(bool on) {
  incremental_ = on;
  census_.valid = false;
  fp_ = Footprint{};
  holders_.clear();
  if (!on) return;
  for (size_t i = 0; i < gups_.size(); i++)
    if (gups_[i].holds())
      for (pfn_t p : gups_[i].pages)
        if (p < k_.folios.size()) {
          if (holders_.size() <= p) holders_.resize(p + 1);
          holders_[p].push_back(int(i));
        }
}

void World::footprint_begin(const Op &op, bool global) {
  Touch &t = touch_;
  fp_.global = true;
  fp_.pfns.clear();
  fp_.gups.clear();
  t.pid = -1;
  t.gup = -1;
  t.before.clear();
  t.before_class.clear();
  t.nfolios = k_.folios.size();
  t.census = false;
  if (!incremental_ || global || !local_kind(op)) {
    census_.valid = false;
    return;
  }
  fp_.global = false;
  // A fault at vpn may map up to fault_around_pages (16) from a window that
  // starts at or before vpn (do_fault_around()): the tables of [vpn, vpn + 16).
  constexpr uint64_t kFaultAround = 16;
  switch (op.kind) {
    case OpKind::Read:
    case OpKind::Write:
      t.pid = pid_of(op.proc);
      t.lo = address(op.map, op.page);
      t.hi = t.lo + kFaultAround;
      break;
    case OpKind::RemoteRead:
    case OpKind::RemoteWrite:
      t.pid = pid_of(op.target);
      t.lo = address(op.map, op.page);
      t.hi = t.lo + kFaultAround;
      break;
    case OpKind::Gup:
      t.pid = pid_of(op.proc);
      t.lo = address(op.map, op.page);
      t.hi = t.lo + op.npages + kFaultAround;
      t.gup = op.result;
      break;
    default:  // put, unpin, dma_read, dma_write
      t.gup = op.gup;
      break;
  }
  t.census = census_.valid;
  if (t.pid >= 0)
    tables_in(k_.tasks[t.pid].mm, t.lo, t.hi, [&](const pte_table &tab) {
      mapped_pages(tab, t.before);
      if (t.census) census_table(census_, t.pid, tab, -1, false);
    });
  if (t.gup >= 0 && size_t(t.gup) < gups_.size()) {
    const GupCall &g = gups_[t.gup];
    t.before.insert(t.before.end(), g.pages.begin(), g.pages.end());
    if (t.census) census_gup(census_, g, -1);
    if (g.holds())
      for (pfn_t p : g.pages)
        if (p < holders_.size()) {
          auto &h = holders_[p];
          if (auto it = std::find(h.begin(), h.end(), t.gup); it != h.end()) h.erase(it);
        }
  }
  for (pfn_t p : t.before) t.before_class.push_back(census_class(k_, p));
}

void World::footprint_end() {
  if (!incremental_) return;
  Touch &t = touch_;
  const size_t n = k_.folios.size();
  if (fp_.global) {
    // Rebuild the holders of every page.
    for (auto &h : holders_) h.clear();
    for (size_t i = 0; i < gups_.size(); i++)
      if (gups_[i].holds())
        for (pfn_t p : gups_[i].pages)
          if (p < n) {
            if (holders_.size() <= p) holders_.resize(p + 1);
            holders_[p].push_back(int(i));
          }
    return;
  }
  // The pages, each once (stamped with this step's epoch), then sorted.
  std::vector<pfn_t> &d = fp_.pfns;
  if (stamp_.size() < n) stamp_.resize(n, 0);
  if (++epoch_ == 0) std::fill(stamp_.begin(), stamp_.end(), 0), epoch_ = 1;
  auto add = [&](pfn_t p) {
    if (p >= n || stamp_[p] == epoch_) return;
    stamp_[p] = epoch_;
    d.push_back(p);
    if (!k_.folios[p].large) return;
    // Widen to the whole large folio.
    const pfn_t h = folio_pfn(k_, p);
    for (pfn_t q = h; q < h + HPAGE_PMD_NR && q < n; q++)
      if (stamp_[q] != epoch_) stamp_[q] = epoch_, d.push_back(q);
  };
  for (pfn_t p : t.before) add(p);
  if (t.pid >= 0)
    tables_in(k_.tasks[t.pid].mm, t.lo, t.hi, [&](const pte_table &tab) {
      if (tab.pmd_leaf) {
        for (unsigned i = 0; i < HPAGE_PMD_NR; i++) add(tab.pmd_pfn + i);
        return;
      }
      for (const pte_t &p : tab.ptes)
        if (p.present) add(p.pfn);
    });
  const GupCall *g = t.gup >= 0 && size_t(t.gup) < gups_.size() ? &gups_[t.gup] : nullptr;
  if (g)
    for (pfn_t p : g->pages) add(p);
  for (pfn_t p = t.nfolios; p < n; p++) add(p);
  std::sort(d.begin(), d.end());

  // The census: put back what the tables and the call contribute now.
  if (t.census) {
    Census &c = census_;
    for (auto *v : {&c.ptes, &c.gets, &c.pins, &c.special_ptes, &c.page_maps, &c.page_pins}) v->resize(n, 0);
    if (t.pid >= 0)
      tables_in(k_.tasks[t.pid].mm, t.lo, t.hi,
                [&](const pte_table &tab) { census_table(c, t.pid, tab, +1, false); });
    if (g) census_gup(c, *g, +1);
    bool ok = c.n_zero_writable == 0 && c.n_zero_not_special == 0 && c.n_writable_shared_anon == 0 &&
              c.n_ksm_zero_not_special == 0 && c.n_hwpoison_mapped == 0;
    for (size_t i = 0; ok && i < t.before.size(); i++) ok = census_class(k_, t.before[i]) == t.before_class[i];
    c.zero_writable = c.zero_not_special = c.writable_shared_anon = c.hwpoison_mapped = c.ksm_zero_not_special = {};
    c.valid = ok;
  } else {
    census_.valid = false;
  }

  // The GUP calls: this step's, and every call holding a page of the footprint.
  if (g && g->holds())
    for (pfn_t p : g->pages)
      if (p < n) {
        if (holders_.size() <= p) holders_.resize(p + 1);
        holders_[p].push_back(t.gup);
      }
  std::vector<int> &gs = fp_.gups;
  if (g) gs.push_back(t.gup);
  for (pfn_t p : d)
    if (p < holders_.size()) gs.insert(gs.end(), holders_[p].begin(), holders_[p].end());
  std::sort(gs.begin(), gs.end());
  gs.erase(std::unique(gs.begin(), gs.end()), gs.end());
}

}  // namespace gupcheck::props
