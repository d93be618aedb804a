// SPDX-License-Identifier: GPL-2.0-only
//
// Snapshots as JSON data (see snapshot_json.h).
#include "reports/snapshot_json.h"

#include "reports/picture.h"
#include "trace/text.h"

namespace gupcheck::reports {

using nlohmann::json;
using namespace gupcheck::model;

namespace {

json vm_flag_names(vm_flags_t f) {
  static const struct {
    vm_flags_t bit;
    const char *name;
  } names[] = {
      {VM_READ, "VM_READ"},           {VM_WRITE, "VM_WRITE"},         {VM_EXEC, "VM_EXEC"},
      {VM_SHARED, "VM_SHARED"},       {VM_MAYREAD, "VM_MAYREAD"},     {VM_MAYWRITE, "VM_MAYWRITE"},
      {VM_MAYEXEC, "VM_MAYEXEC"},     {VM_MAYSHARE, "VM_MAYSHARE"},   {VM_GROWSDOWN, "VM_GROWSDOWN"},
      {VM_PFNMAP, "VM_PFNMAP"},       {VM_LOCKED, "VM_LOCKED"},       {VM_IO, "VM_IO"},
      {VM_DONTCOPY, "VM_DONTCOPY"},   {VM_DONTEXPAND, "VM_DONTEXPAND"}, {VM_LOCKONFAULT, "VM_LOCKONFAULT"},
      {VM_ACCOUNT, "VM_ACCOUNT"},     {VM_NORESERVE, "VM_NORESERVE"}, {VM_HUGETLB, "VM_HUGETLB"},
      {VM_WIPEONFORK, "VM_WIPEONFORK"}, {VM_DONTDUMP, "VM_DONTDUMP"}, {VM_SOFTDIRTY, "VM_SOFTDIRTY"},
      {VM_MIXEDMAP, "VM_MIXEDMAP"},   {VM_HUGEPAGE, "VM_HUGEPAGE"},   {VM_NOHUGEPAGE, "VM_NOHUGEPAGE"},
      {VM_MERGEABLE, "VM_MERGEABLE"},
  };
  json out = json::array();
  for (const auto &n : names)
    if (f & n.bit) out.push_back(n.name);
  return out;
}

const char *zone_name(mem_zone z) {
  switch (z) {
    case mem_zone::normal: return "normal";
    case mem_zone::movable: return "movable";
    case mem_zone::cma: return "cma";
  }
  return "?";
}

const char *backing_name(const props::Snapshot &s, const vm_area_struct &v) {
  switch (v.backing) {
    case vma_backing::anon: return "anon";
    case vma_backing::file:
      return v.file >= 0 && size_t(v.file) < s.files.size() && s.files[v.file].state.dax ? "fsdax" : "file";
    case vma_backing::shmem: return "shmem";
    case vma_backing::pfnmap: return "pfnmap";
    case vma_backing::mixedmap: return "mixedmap";
    case vma_backing::secretmem: return "secretmem";
  }
  return "?";
}

json file_or_null(const props::Snapshot &s, int kernel_file) {
  return kernel_file >= 0 ? json(file_label(s, kernel_file)) : json(nullptr);
}

json process_or_null(const props::Snapshot &s, int pid) {
  const int p = s.proc_of(pid);
  return p >= 0 ? json("p" + std::to_string(p)) : json(nullptr);
}

json vma_json(const props::Snapshot &s, int pid, const vm_area_struct &v) {
  json mappings = json::array();
  for (const std::string &m : mapping_names(s, pid, v)) mappings.push_back(m);
  return {{"start", v.vm_start},
          {"end", v.vm_end},
          {"flags", v.vm_flags},
          {"flag_names", vm_flag_names(v.vm_flags)},
          {"perms", perms(v.vm_flags)},
          {"backing", backing_name(s, v)},
          {"file", file_or_null(s, v.file)},
          {"pgoff", v.vm_pgoff},
          {"anon_vma", v.anon_vma},
          {"zone", zone_name(v.zone)},
          {"mappings", std::move(mappings)}};
}

json process_json(const props::Snapshot &s, const props::SnapshotProcess &p) {
  const mm_struct &mm = p.mm;
  json j = {{"pid", p.pid},
            {"process", process_or_null(s, p.pid)},
            {"alive", p.alive},
            {"rss", {{"anon", mm.rss[MM_ANONPAGES]}, {"file", mm.rss[MM_FILEPAGES]}, {"shmem", mm.rss[MM_SHMEMPAGES]}}},
            {"has_pinned", mm.has_pinned},
            {"forbids_zeropage", mm.forbids_zeropage},
            {"write_protect_seq", mm.write_protect_seq}};
  json vmas = json::array(), tables = json::array(), ptes = json::array();
  for (const vm_area_struct &v : mm.vmas) vmas.push_back(vma_json(s, p.pid, v));
  for (const pte_table &t : mm.tables) {
    json pmd = t.pmd_leaf ? json{{"pfn", t.pmd_pfn},
                                 {"write", t.pmd_write},
                                 {"dirty", t.pmd_dirty},
                                 {"young", t.pmd_young},
                                 {"protnone", t.pmd_protnone}}
                          : json(nullptr);
    tables.push_back({{"base", t.base}, {"pmd_leaf", t.pmd_leaf}, {"pmd", std::move(pmd)}, {"detached", t.detached}});
    for (unsigned i = 0; i < PTRS_PER_PTE; i++) {
      const pte_t &e = t.ptes[i];
      if (pte_none(e)) continue;
      ptes.push_back({{"vpn", t.base + i},
                      {"pfn", e.pfn},
                      {"present", e.present},
                      {"write", e.write},
                      {"dirty", e.dirty},
                      {"young", e.young},
                      {"special", e.special},
                      {"protnone", e.protnone},
                      {"hwpoison", e.hwpoison}});
    }
  }
  j["vmas"] = std::move(vmas);
  j["page_tables"] = std::move(tables);
  j["ptes"] = std::move(ptes);
  return j;
}

const char *folio_kind_name(const folio &f) {
  if (f.zero) return "zero";
  if (f.anon) return "anon";
  if (f.pagecache) return "pagecache";
  if (f.driver) return "driver";
  return "other";
}

int census_at(const std::vector<int> &v, size_t i) { return i < v.size() ? v[i] : 0; }

json folio_json(const props::Snapshot &s, pfn_t pfn) {
  const folio &f = s.folios[pfn];
  const props::Census &c = s.census;
  return {{"pfn", pfn},
          {"kind", folio_kind_name(f)},
          {"refcount", f.refcount},
          {"mapcount", f.mapcount},
          {"pincount", f.pincount},
          {"maybe_dma_pinned", folio_maybe_dma_pinned(f)},
          {"large", f.large},
          {"head", f.head ? json(f.head) : json(nullptr)},
          {"anon", f.anon},
          {"anon_exclusive", f.anon_exclusive},
          {"zero", f.zero},
          {"huge_zero", f.huge_zero},
          {"ksm", f.ksm},
          {"pagecache", f.pagecache},
          {"driver", f.driver},
          {"freed", f.freed},
          {"dirty", f.dirty},
          {"hwpoison", f.hwpoison},
          {"hwpoison_recovered", f.hwpoison_recovered},
          {"fsdax", f.fsdax},
          {"secretmem", f.secretmem},
          {"file", f.pagecache ? file_or_null(s, f.file) : json(nullptr)},
          {"index", f.index},
          {"data", f.data},
          {"zone", zone_name(f.zone)},
          {"census",
           {{"ptes", census_at(c.ptes, pfn)},
            {"special_ptes", census_at(c.special_ptes, pfn)},
            {"gets", census_at(c.gets, pfn)},
            {"pins", census_at(c.pins, pfn)}}}};
}

json gup_json(const props::Snapshot &s, size_t handle, const props::SnapshotGup &g) {
  const char *state = !g.completed ? "in-flight" : g.released ? "released" : "holding";
  json pages = json::array();
  for (pfn_t p : g.pages) pages.push_back(p);
  return {{"handle", "g" + std::to_string(handle)},
          {"op", trace::print_op(g.op)},
          {"pid", g.pid},
          {"process", process_or_null(s, g.pid)},
          {"pin", g.pin},
          {"state", state},
          {"interleaved", g.interleaved},
          {"point", g.point.empty() ? json(nullptr) : json(g.point)},
          {"ret", g.ret},
          {"pages", std::move(pages)}};
}

}  // namespace

json snapshot_json(const props::Snapshot &s) {
  json j = json::object();
  json procs = json::array();
  for (const props::SnapshotProcess &p : s.processes) procs.push_back(process_json(s, p));
  j["processes"] = std::move(procs);
  j["zero_page"] = {{"pfn", ZERO_PFN},
                    {"refcount", s.has_folio(ZERO_PFN) ? s.folios[ZERO_PFN].refcount : 0},
                    {"huge_zero_pfn", s.huge_zero_pfn ? json(s.huge_zero_pfn) : json(nullptr)}};
  json folios = json::array();
  for (pfn_t pfn = 1; pfn < s.folios.size(); pfn++) folios.push_back(folio_json(s, pfn));
  j["folios"] = std::move(folios);
  json gups = json::array();
  for (size_t i = 0; i < s.gups.size(); i++)
    if (s.gups[i].exists) gups.push_back(gup_json(s, i, s.gups[i]));
  j["gup_calls"] = std::move(gups);
  json maps = json::array();
  for (size_t i = 0; i < s.mappings.size(); i++) {
    const props::SnapshotMapping &m = s.mappings[i];
    if (!m.exists) continue;
    maps.push_back({{"handle", "m" + std::to_string(i)}, {"start", m.start}, {"npages", m.npages}, {"created_by", m.created_by}});
  }
  j["mappings"] = std::move(maps);
  j["pin_counters"] = {{"acquired", s.nr_foll_pin_acquired}, {"released", s.nr_foll_pin_released}};
  j["warnings"] = s.warnings;
  return j;
}

}  // namespace gupcheck::reports
