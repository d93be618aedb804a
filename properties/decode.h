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
#include <optional>
#include <string>
#include <vector>

#include "trace/op.h"

namespace gupcheck::props {

struct DecodeLimits {
  int max_procs = 5;
  int max_maps = 8;
  int max_gups = 24;
  int max_map_pages = 6;
  // Swarm testing (Groce et al., ISSTA 2012): operation choices switched off
  // for this trace, one bit per choice in decode.cpp's table (0: all on).
  // A trace without most kinds of noise reaches deep interleavings that a
  // trace mixing every kind rarely does.
  uint32_t disabled = 0;
};

// A swarm configuration for one campaign case, from its case seed: half of
// the cases use every choice; the others switch each optional one off with
// probability 1/2 (reads, writes, mmaps, GUP calls and resume/wait stay on).
uint32_t swarm_disabled(uint64_t case_seed);

// Appends the decoded operations of raw[0..n) to a fresh trace.
trace::Trace decode_trace(const uint64_t *raw, size_t n, const DecodeLimits &lim = {});
inline trace::Trace decode_trace(const std::vector<uint64_t> &raw, const DecodeLimits &lim = {}) {
  return decode_trace(raw.data(), raw.size(), lim);
}

// Bytes as raw choices, for byte-driven fuzzers (libFuzzer): little-endian
// 64-bit words, a short tail zero-padded. Every byte string is a valid input.
std::vector<uint64_t> words_from_bytes(const uint8_t *data, size_t size);
std::string bytes_from_words(const std::vector<uint64_t> &words);

// The inverse of decode_trace(), up to handle names and written values:
// raw words that decode to t with its handles renamed in creation order and
// every `write` storing the decoder's own value (0x100 + its index). Found by
// a search over each word's bytes against the decoder itself, so it stays
// right when the decoder changes.
// Return: the words, or an empty optional with *why set (an op the decoder
// cannot produce, e.g. beyond DecodeLimits).
std::optional<std::vector<uint64_t>> encode_trace(const trace::Trace &t, std::string *why = nullptr,
                                                  const DecodeLimits &lim = {});

}  // namespace gupcheck::props
