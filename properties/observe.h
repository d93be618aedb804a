// SPDX-License-Identifier: GPL-2.0-only
//
// Observations: what the differential oracle compares between the model and
// the live kernel after every step. The live side (live/oracle.h) reads them
// from /proc/PID/pagemap, /proc/kpageflags and /proc/kpagecount; the model
// side (ModelOracle below) computes them from the model's kernel_state, with
// the same normalisations:
//
//  - Frames are never compared raw: each observed page gets the identity
//    class of its frame, numbered in order of first appearance over the
//    trace (within a step: processes, then mappings, then pages, ascending),
//    and a frame keeps its class for the whole trace as long as some site
//    shows it (FrameClasses), so "p1 m0+0 shares p0 m0+0's frame" and "p0
//    m0+0 still has the frame it had" read the same on both sides: a copy is
//    told from a reuse. A frame no site shows any more loses its class (the
//    kernel may free and reuse it), and comes back as a new one.
//  - VMAs: every VMA of every live process in the trace's address range, as
//    /proc/PID/maps shows it: boundaries (vpns) and r/w/x and s/p.
//  - mapcount is kpagecount, which is folio_precise_page_mapcount(); the
//    kernel reports 0 for the shared zero page (it is never mapcounted), and
//    so does the model's observation.
//  - exclusive is pagemap's PM_MMAP_EXCLUSIVE, which in v6.18 with
//    CONFIG_PAGE_MAPCOUNT means "precise page mapcount == 1" of a normal page
//    (fs/proc/task_mmu.c pte_to_pagemap_entry()), NOT PG_anon_exclusive; the
//    model side computes the same rule (never for the zero page, whose
//    vm_normal_page() is NULL).
//  - file is pagemap's PM_FILE: a normal page that is not anonymous (page
//    cache, shmem, shared anonymous); 0 for the zero page.
//  - anon is kpageflags' KPF_ANON; zero is KPF_ZERO_PAGE.
//  - results are normalised to what the live mechanism returns (see
//    ModelOracle::run): byte counts become page counts.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "model/variant.h"
#include "properties/live_ops.h"
#include "properties/world.h"
#include "trace/op.h"

namespace gupcheck::props {

// One observed page: page `page` of mapping `map` in process `proc`.
struct Site {
  uint16_t proc = 0, map = 0, page = 0;
  bool operator==(const Site &) const = default;
};

struct PageObs {
  bool present = false;
  bool zero = false;
  bool anon = false;
  bool file = false;
  bool exclusive = false;
  long mapcount = 0;
  int frame = -1;  // identity class; -1 when not present
  bool operator==(const PageObs &) const = default;
  std::string describe() const;
};

// The result of one step as the live system call reports it.
struct StepResult {
  long ret = 0;  // return value (page counts for byte-counting mechanisms) or -errno
  int signal = 0;
  bool has_value = false;
  uint64_t value = 0;
  bool operator==(const StepResult &) const = default;
  std::string describe() const;
};

// One VMA as /proc/PID/maps shows it, in model vpns.
struct VmaObs {
  uint16_t proc = 0;
  uint64_t start = 0, end = 0;
  bool read = false, write = false, exec = false, shared = false;  // "rwxs" / "rwxp"
  bool operator==(const VmaObs &) const = default;
  std::string describe() const;
};

struct StepObs {
  StepResult result;
  std::vector<Site> sites;
  std::vector<PageObs> pages;  // one per site
  std::vector<VmaObs> vmas;    // every live process's VMAs, by process and address
};

// Frame identity classes for one trace: frames[i] is the raw frame of
// pages[i] (ignored when not present). A frame keeps its class from its first
// appearance for as long as every observation shows it somewhere; one that an
// observation does not show is forgotten.
class FrameClasses {
 public:
  void assign(std::vector<PageObs> &pages, const std::vector<uint64_t> &frames);

 private:
  std::map<uint64_t, int> cls_;
  int next_ = 0;
};

// Which mappings each live process can see: those it created and those it
// inherited at fork (before it forked). Both sides observe these sites.
class Visibility {
 public:
  void apply(const trace::Op &op);
  std::vector<Site> sites() const;
  std::vector<uint16_t> procs() const;  // alive processes, ascending

 private:
  std::map<uint16_t, std::set<uint16_t>> procs_{{0, {}}};  // alive process -> mappings
  std::map<uint16_t, uint16_t> npages_;                   // mapping -> pages
};

// The creator (Gup op) of every GUP handle up to a step, for put/unpin.
class Creators {
 public:
  void apply(const trace::Op &op) {
    if (op.kind == trace::OpKind::Gup) ops_[op.result] = op;
  }
  const trace::Op *of(const trace::Op &op) const {
    if (op.kind != trace::OpKind::Put && op.kind != trace::OpKind::Unpin) return nullptr;
    auto it = ops_.find(op.gup);
    return it == ops_.end() ? nullptr : &it->second;
  }

 private:
  std::map<uint16_t, trace::Op> ops_;
};

// Runs a live-expressible trace on the model with the live mechanisms'
// semantics: short-term mechanisms release their pages before the system
// call returns (the trace's later put/unpin is then a no-op), an io_uring
// registration that does not pin every page releases what it pinned and
// fails, O_DIRECT reads store zeroes and process_vm_writev / /proc/PID/mem
// writes store mech_value(step) into every page they reach.
class ModelOracle {
 public:
  explicit ModelOracle(const model::variant_switches &sw = {}) : w_(sw) {}
  // REQUIRES: op is live-expressible (creator: the call a put/unpin releases).
  StepResult run(const trace::Op &op, size_t step, const trace::Op *creator);
  void observe(const std::vector<Site> &sites, StepObs &out);
  void observe_vmas(const std::vector<uint16_t> &procs, StepObs &out) const;
  const World &world() const { return w_; }

 private:
  void release(uint16_t gup, bool pin);
  World w_;
  FrameClasses frames_;
  std::set<uint16_t> released_;  // GUP handles the mechanism already released
};

// Converts a live byte count to pages for the byte-counting mechanisms.
long live_ret_in_pages(LiveMech m, long ret);

// Whether a step's live result meets the trace's "=> X" on that step: "" or
// why not. The result is read back into the op's own terms first (an
// io_uring registration's 0 is the pinned page count, npages).
std::string live_expectation_unmet(const trace::Op &op, const trace::Op *creator, const StepResult &r);

// The differences between two observations of the same step, one line each
// ("result", or the site's name); empty when they agree.
std::vector<std::string> compare(const StepObs &model, const StepObs &live);
std::string site_name(const Site &s);
// The side-by-side table of a mismatch: every site, differing rows marked "<<".
std::string side_by_side(const StepObs &model, const StepObs &live);

}  // namespace gupcheck::props
