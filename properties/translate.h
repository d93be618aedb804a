// SPDX-License-Identifier: GPL-2.0-only
//
// Where the trace language's vocabulary meets the model's encoding: the one
// place that maps a trace's GUP flags (trace/flags.h) to the model's FOLL_*
// bits (model/flags.h). The trace language defines its flag bits as the
// kernel's, so the map is the identity, and the compile-time check below
// proves that every name the trace knows means the model's bit of that name.
#pragma once

#include <cstdint>
#include <string_view>

#include "model/flags.h"
#include "model/kernel.h"
#include "trace/flags.h"
#include "trace/op.h"

namespace gupcheck::props {

namespace detail {
constexpr bool trace_flags_match_model() {
  for (const auto &t : trace::kGupFlagNames) {
    bool found = false;
    for (const auto &m : model::FOLL_FLAG_NAMES)
      if (std::string_view(t.name) == m.name) found = m.value == t.bit;
    if (!found) return false;
  }
  return std::size(trace::kGupFlagNames) == std::size(model::FOLL_FLAG_NAMES);
}
static_assert(trace_flags_match_model(), "trace/flags.h and model/flags.h disagree on a FOLL_* flag");
}  // namespace detail

// The model's protection bits (VM_READ|VM_WRITE) for a trace's PROT.
model::vm_flags_t prot_bits(trace::Prot p);
// mmap's arguments for a trace's `mmap` op, all but the file (the executor
// resolves the trace's file handle fN to a kernel file).
model::mmap_args mmap_args_of(const trace::Op &op);
// The model's madvise advice for a trace's (all but MADV_MERGEABLE, which
// the model runs as ksm_madvise()).
model::madv madv_of(trace::Advice a);

// The model's FOLL_* flags for a trace op's GUP flags.
constexpr uint32_t model_gup_flags(uint32_t trace_flags) { return trace_flags; }
inline uint32_t model_gup_flags(const trace::Op &op) { return model_gup_flags(op.gup_flags); }

}  // namespace gupcheck::props
