// SPDX-License-Identifier: GPL-2.0-only
//
// ASCII pictures of the model state (see picture.h).
#include "reports/picture.h"

#include <algorithm>
#include <cstdio>

#include "reports/layout.h"
#include "trace/text.h"

namespace gupcheck::reports {

using namespace gupcheck::model;

namespace {

// Pages drawn per row; a longer VMA continues on further rows.
constexpr uint64_t kPagesPerRow = 64;
// Row labels ("page", "pte", "gup", a row's address) take this many columns.
constexpr int kLabelWidth = 16;

std::string rtrim(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

std::string pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

}  // namespace

std::string proc_label(const props::Snapshot &s, int pid) {
  const int proc = s.proc_of(pid);
  return proc >= 0 ? "p" + std::to_string(proc) + " (pid " + std::to_string(pid) + ")"
                   : "pid " + std::to_string(pid) + " (no trace handle)";
}

// Files by their trace handle fN; a file the trace never named (the shmem
// object behind MAP_SHARED|MAP_ANONYMOUS) by the kernel's index.
std::string file_label(const props::Snapshot &s, int kernel_file) {
  int f = s.file_handle(kernel_file);
  return f >= 0 ? "f" + std::to_string(f) : "anon-shmem#" + std::to_string(kernel_file);
}

// /proc/PID/maps style permissions: "rw-p", "r--s", "---p".
std::string perms(vm_flags_t f) {
  std::string s;
  s += (f & VM_READ) ? 'r' : '-';
  s += (f & VM_WRITE) ? 'w' : '-';
  s += (f & VM_EXEC) ? 'x' : '-';
  s += (f & VM_SHARED) ? 's' : 'p';
  return s;
}

std::string backing_text(const props::Snapshot &s, const vm_area_struct &v) {
  switch (v.backing) {
    case vma_backing::anon: return v.anon_vma ? "anon (anon_vma)" : "anon";
    case vma_backing::file:
      return std::string(s.files[v.file].state.dax ? "fsdax " : "file ") + file_label(s, v.file) + " pgoff " +
             hex(v.vm_pgoff);
    case vma_backing::shmem: return "shmem " + file_label(s, v.file) + " pgoff " + hex(v.vm_pgoff);
    case vma_backing::pfnmap: return "pfnmap-driver pgoff " + hex(v.vm_pgoff);
    case vma_backing::mixedmap: return "mixedmap-driver";
    case vma_backing::secretmem: return "secretmem";
  }
  return "?";
}

// The VM_* flags a reader of a GUP report cares about, beyond permissions.
std::vector<std::string> flag_names(vm_flags_t f) {
  static const struct {
    vm_flags_t bit;
    const char *name;
  } names[] = {
      {VM_PFNMAP, "PFNMAP"},     {VM_MIXEDMAP, "MIXEDMAP"},     {VM_IO, "IO"},
      {VM_DONTCOPY, "DONTCOPY"}, {VM_WIPEONFORK, "WIPEONFORK"}, {VM_DONTEXPAND, "DONTEXPAND"},
      {VM_DONTDUMP, "DONTDUMP"}, {VM_LOCKED, "LOCKED"},         {VM_LOCKONFAULT, "LOCKONFAULT"},
      {VM_HUGETLB, "HUGETLB"},   {VM_MERGEABLE, "MERGEABLE"},   {VM_GROWSDOWN, "GROWSDOWN"},
  };
  std::vector<std::string> out;
  for (const auto &n : names)
    if (f & n.bit) out.push_back(n.name);
  // is_cow_mapping() turns on VM_MAYWRITE; its absence changes GUP's answers.
  if (!(f & VM_MAYWRITE)) out.push_back("!MAYWRITE");
  return out;
}

// The trace mappings overlapping a VMA: "m0" (starts with the VMA), "m0+2"
// (the VMA starts at page 2 of m0), "m1@+3" (m1 starts at page 3 of the
// VMA); "(pN)" names the creating process when it is another one.
std::vector<std::string> mapping_names(const props::Snapshot &s, int pid, const vm_area_struct &v) {
  std::vector<std::string> out;
  const auto &maps = s.mappings;
  for (size_t i = 0; i < maps.size(); i++) {
    const props::SnapshotMapping &m = maps[i];
    if (!m.exists || m.npages == 0) continue;
    if (m.start >= v.vm_end || m.start + m.npages <= v.vm_start) continue;
    std::string name = "m" + std::to_string(i);
    if (m.start < v.vm_start)
      name += "+" + std::to_string(v.vm_start - m.start);
    else if (m.start > v.vm_start)
      name += "@+" + std::to_string(m.start - v.vm_start);
    if (m.created_by != pid) {
      const int proc = s.proc_of(m.created_by);
      name += proc >= 0 ? "(p" + std::to_string(proc) + ")" : "(pid " + std::to_string(m.created_by) + ")";
    }
    out.push_back(name);
  }
  return out;
}

namespace {

// The page row character of one PTE slot (see legend_text()).
char page_char(const props::Snapshot &s, const pte_t *pte) {
  if (!pte) return ' ';
  if (!pte->present) return pte->hwpoison ? 'H' : '.';
  const pfn_t pfn = pte->pfn;
  if (is_zero_pfn(pfn)) return 'Z';
  if (pfn >= DEVICE_PFN_BASE) return 'X';
  if (!s.has_folio(pfn)) return '?';
  const folio &f = s.folios[pfn];
  if (f.freed) return '!';
  if (f.anon) return f.anon_exclusive ? 'A' : 'a';
  if (f.pagecache) return 'F';
  if (f.driver) return 'D';
  if (pte->special) return 's';
  return '?';
}

char pte_char(const pte_t *pte) {
  if (!pte || !pte->present) return ' ';
  if (pte->protnone) return 'n';
  if (pte->write) return pte->dirty ? 'd' : 'w';
  return pte->dirty ? 'r' : '-';
}

char gup_char(const props::Census &c, const pte_t *pte) {
  if (!pte || !pte->present) return ' ';
  const pfn_t pfn = pte->pfn;
  if (pfn < c.pins.size() && c.pins[pfn] > 0) return 'P';
  if (pfn < c.gets.size() && c.gets[pfn] > 0) return 'g';
  return ' ';
}

bool range_has_table(const mm_struct &mm, uint64_t start, uint64_t end) {
  for (const pte_table &t : mm.tables)
    if (t.base < end && t.base + PTRS_PER_PTE > start) return true;
  return false;
}

void draw_vma(std::string &out, const props::Snapshot &s, int pid, const vm_area_struct &v) {
  const mm_struct &mm = s.processes[pid].mm;
  const props::Census &census = s.census;

  // "0x10000-0x12000  rw-p  2 pages  anon (anon_vma)  m0", flags and handles each joined by ' '.
  std::vector<std::string> words;
  words.push_back(perms(v.vm_flags));
  const uint64_t n = v.vm_end - v.vm_start;
  words.push_back(std::to_string(n) + (n == 1 ? " page" : " pages"));
  words.push_back(backing_text(s, v));
  std::string flags, handles;
  for (auto &f : flag_names(v.vm_flags)) flags += (flags.empty() ? "" : " ") + f;
  for (auto &m : mapping_names(s, pid, v)) handles += (handles.empty() ? "" : " ") + m;
  if (!flags.empty()) words.push_back(flags);
  if (!handles.empty()) words.push_back(handles);
  out += wrap_words("  " + hex(v.vm_start << 12) + "-" + hex(v.vm_end << 12) + "  ", words, 6, "  ");

  // Rows of kPagesPerRow pages; runs of rows without any PTE table collapse into one line.
  uint64_t empty_from = 0;
  bool in_empty = false;
  auto flush_empty = [&](uint64_t upto) {
    if (!in_empty) return;
    out += "    " + hex(empty_from << 12) + "-" + hex(upto << 12) + ": no page table (" +
           std::to_string(upto - empty_from) + (upto - empty_from == 1 ? " page)\n" : " pages)\n");
    in_empty = false;
  };
  for (uint64_t row = v.vm_start; row < v.vm_end; row += kPagesPerRow) {
    const uint64_t end = std::min(v.vm_end, row + kPagesPerRow);
    if (!range_has_table(mm, row, end)) {
      if (!in_empty) empty_from = row;
      in_empty = true;
      continue;
    }
    flush_empty(row);
    std::string ruler, pages, ptes, gups;
    for (uint64_t a = row; a < end; a++) {
      const pte_t *pte = pte_offset(mm, a);
      ruler += "0123456789abcdef"[a % PTRS_PER_PTE];
      pages += page_char(s, pte);
      ptes += pte_char(pte);
      gups += gup_char(census, pte);
    }
    out += pad("    " + hex(row << 12), kLabelWidth) + ruler + "\n";
    out += pad("    page", kLabelWidth) + rtrim(pages) + "\n";
    if (!rtrim(ptes).empty()) out += pad("    pte", kLabelWidth) + rtrim(ptes) + "\n";
    if (!rtrim(gups).empty()) out += pad("    gup", kLabelWidth) + rtrim(gups) + "\n";
  }
  flush_empty(v.vm_end);
}

// Present PTEs that no VMA covers: the kernel never leaves these behind.
void draw_stray_ptes(std::string &out, const props::Snapshot &s, const mm_struct &mm) {
  for (const pte_table &t : mm.tables)
    for (unsigned i = 0; i < PTRS_PER_PTE; i++) {
      const pte_t &p = t.ptes[i];
      const uint64_t vpn = t.base + i;
      if (!p.present || find_vma(mm, vpn)) continue;
      out += "  stray PTE outside any VMA at " + hex(vpn << 12) + ": pfn " + hex(p.pfn) + " '" +
             std::string(1, page_char(s, &p)) + "'" + (p.write ? " writable" : "") + (p.special ? " special" : "") +
             "\n";
    }
}

}  // namespace

std::string refcount_text(int refcount) {
  std::string s = std::to_string(refcount);
  if (refcount >= GUP_PIN_COUNTING_BIAS)
    s += " (" + std::to_string(refcount / GUP_PIN_COUNTING_BIAS) + "P+" +
         std::to_string(refcount % GUP_PIN_COUNTING_BIAS) + ")";
  return s;
}

std::string folio_kind(const props::Snapshot &s, const folio &f) {
  std::string kind;
  if (f.zero)
    kind = "zero";
  else if (f.anon)
    kind = f.anon_exclusive ? "anon-excl" : "anon";
  else if (f.pagecache)
    kind = "pagecache " + file_label(s, f.file) + ":" + std::to_string(f.index);
  else if (f.driver)
    kind = "driver";
  else
    kind = "other";
  if (f.ksm) kind += " ksm";
  if (f.dirty) kind += " dirty";
  if (f.hwpoison) kind += f.hwpoison_recovered ? " hwpoison" : " hwpoison-mapped";  // refused: may stay mapped
  if (f.freed) kind = "FREED " + kind;
  return kind;
}

const std::string &legend_text() {
  static const std::string legend =
      "legend: page row: Z zero page, A/a anon page exclusive/shared (upper case: PageAnonExclusive),\n"
      "          F page cache, D driver page, X device pfn (no struct page), s other special PTE,\n"
      "          . pte_none, H hwpoison entry, ' ' no PTE table, ! freed folio, ? unknown pfn\n"
      "        pte row: w writable, d writable+dirty, - read-only, r read-only+dirty, n PROT_NONE\n"
      "        gup row: P pinned (FOLL_PIN), g FOLL_GET reference; ruler: vpn % 16 (PTE index)\n";
  return legend;
}

std::string draw_address_space(const props::Snapshot &s) {
  std::string out = legend_text();
  for (size_t pid = 0; pid < s.processes.size(); pid++) {
    const props::SnapshotProcess &t = s.processes[pid];
    const std::string label = proc_label(s, int(pid));
    if (!t.alive) {
      out += label + ": exited\n";
      continue;
    }
    const mm_struct &mm = t.mm;
    std::vector<std::string> words;
    words.push_back("rss anon=" + std::to_string(mm.rss[MM_ANONPAGES]) + " file=" +
                    std::to_string(mm.rss[MM_FILEPAGES]) + " shmem=" + std::to_string(mm.rss[MM_SHMEMPAGES]));
    words.push_back(std::to_string(mm.tables.size()) + (mm.tables.size() == 1 ? " PTE table" : " PTE tables"));
    if (mm.has_pinned) words.push_back("MMF_HAS_PINNED");
    if (mm.forbids_zeropage) words.push_back("forbids_zeropage");
    if (mm.write_protect_seq % 2) words.push_back("write_protect_seq odd");
    out += wrap_words(label + ": ", words, 2, ", ");
    if (mm.vmas.empty()) out += "  (no VMAs)\n";
    for (const vm_area_struct &v : mm.vmas) draw_vma(out, s, int(pid), v);
    draw_stray_ptes(out, s, mm);
  }
  return out;
}

std::string draw_folios(const props::Snapshot &s) {
  const props::Census &c = s.census;
  auto at = [](const std::vector<int> &v, size_t i) { return i < v.size() ? v[i] : 0; };

  std::string out = "folios (census: present PTEs, special PTEs, FOLL_GET refs, FOLL_PIN pins):\n";
  char line[160];
  std::snprintf(line, sizeof line, "  %-8s %-24s %-12s %3s %4s %4s %4s %4s %-3s %s\n", "pfn", "kind", "refcount", "map",
                "ptes", "spec", "gets", "pins", "dma", "data");
  out += line;
  for (size_t pfn = 1; pfn < s.folios.size(); pfn++) {
    const folio &f = s.folios[pfn];
    const int ptes = at(c.ptes, pfn), spec = at(c.special_ptes, pfn), gets = at(c.gets, pfn), pins = at(c.pins, pfn);
    const bool held = ptes || spec || gets || pins || f.mapcount != 0;
    // Anonymous folios are always shown: nothing but a mapping or a GUP
    // reference should keep one alive, so an unexplained one is a leak.
    bool show = f.freed ? held || f.refcount != 0 : f.zero || held || f.anon;
    if (!show) continue;
    std::snprintf(line, sizeof line, "  %-8s %-24s %-12s %3d %4d %4d %4d %4d %-3s %s\n", hex(pfn).c_str(),
                  folio_kind(s, f).c_str(), refcount_text(f.refcount).c_str(), f.mapcount, ptes, spec, gets, pins,
                  folio_maybe_dma_pinned(f) ? "yes" : "no", hex(f.data).c_str());
    out += line;
  }

  bool header = false;
  const auto &gups = s.gups;
  for (size_t i = 0; i < gups.size(); i++) {
    const props::SnapshotGup &g = gups[i];
    if (!g.exists || g.released) continue;
    if (!header) out += "GUP calls holding pages or in flight:\n";
    header = true;
    std::vector<std::string> words;
    if (!g.completed) {
      words.push_back(g.point.empty() ? "(in flight)" : "(in flight: " + g.point + ")");
      for (pfn_t p : g.pages) words.push_back(hex(p));
    } else {
      words.push_back("ret " + std::to_string(g.ret) + (g.pages.empty() ? "" : ":"));
      for (pfn_t p : g.pages) words.push_back(hex(p));
    }
    out += wrap_words("  " + trace::print_op(g.op) + " ->", words, 6);
  }
  out += "NR_FOLL_PIN_ACQUIRED " + std::to_string(s.nr_foll_pin_acquired) + ", NR_FOLL_PIN_RELEASED " +
         std::to_string(s.nr_foll_pin_released) + "\n";
  for (const std::string &wn : s.warnings) out += "kernel warning: " + wn + "\n";
  return out;
}

std::string draw_state(const props::Snapshot &s) { return draw_address_space(s) + draw_folios(s); }

}  // namespace gupcheck::reports
