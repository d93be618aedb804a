// SPDX-License-Identifier: GPL-2.0-only
//
// Decoding raw choices into valid traces. Every sequence of 64-bit words
// decodes to a consistent trace (handles created before use, releases
// matching their calls), so the same decoder serves RapidCheck (whose
// shrinking of the raw words toward zero yields simpler operations), the
// benchmark, and byte-driven fuzzers. Weights steer toward the states where
// GUP bugs live: GUP after fork, pins over the zero page, PFNMAP and
// MIXEDMAP VMAs, COW of pinned pages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "trace/op.h"

namespace gupcheck::props {

struct DecodeLimits {
  int max_procs = 5;
  int max_maps = 8;
  int max_gups = 24;
  int max_map_pages = 6;
};

// Appends the decoded operations of raw[0..n) to a fresh trace.
trace::Trace decode_trace(const uint64_t *raw, size_t n, const DecodeLimits &lim = {});
inline trace::Trace decode_trace(const std::vector<uint64_t> &raw, const DecodeLimits &lim = {}) {
  return decode_trace(raw.data(), raw.size(), lim);
}

}  // namespace gupcheck::props
