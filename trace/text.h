// SPDX-License-Identifier: GPL-2.0-only
//
// The text form of a trace: a header, then one operation per line.
//
//   # gupcheck trace v1
//   # model: mainline (Linux v6.18)
//   # any other header comment is kept in Trace::notes
//   m0 = mmap p0 anon private rw 4
//   g0 = pin p0:t1 m0+0 2 WRITE|LONGTERM &
//   wait g0
//   unpin g0
//   read p0 m0+0 => 0x41       (an expectation: see expect_from_string())
//
// The first line must be exactly "# gupcheck trace v1". Before the first op,
// the first "# model: NAME ..." line sets Trace::variant (default "mainline")
// and every other comment line is kept in Trace::notes (without "# ").
// '#' starts a comment anywhere; blank lines are ignored. The syntax of each
// operation is in op_docs(). Parsing checks syntax only: whether handles are
// created before use is check_consistency()'s job.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "trace/op.h"

namespace gupcheck::trace {

struct ParseError : std::runtime_error {
  int line;  // 1-based line (text) or op index (JSON); 0 for the file or document as a whole
  // what() is "<unit> N: message", or just message when line is 0.
  ParseError(int line, const std::string &message, const char *unit = "line");
};

// One op in the text form, without a newline ("g0 = pin p0 m0+0 2 WRITE|LONGTERM").
// An expectation follows as " => X" (see expect_to_string()).
std::string print_op(const Op &op);
// The op without its expectation.
std::string print_op_only(const Op &op);
// The whole trace: header, model line, notes, one op per line (newline-terminated).
std::string print_trace(const Trace &t);
// The same with a trailing comment on some ops: when comments[i] is not
// empty, op i's line ends with "   # " and comments[i] (a newline in it
// becomes a space). Ops past comments.size() get none. The parser drops
// trailing comments, so parse_trace() gives back t, notes included.
std::string print_trace(const Trace &t, const std::vector<std::string> &comments);

// Throws ParseError on any syntax error.
Trace parse_trace(std::string_view text);

// The largest trace file read (text or JSON): 64 MiB, about two million
// operations. A larger file, or one that never ends (/dev/zero), is refused
// after reading at most this much plus one byte.
constexpr size_t kMaxTraceFileBytes = size_t(64) << 20;
// The bytes of a trace file (or of a libFuzzer input), at most
// kMaxTraceFileBytes. Throws ParseError (line 0) when the file cannot be
// read, is a directory, or is larger.
std::string read_trace_file(const std::string &path);
// Reads a trace in either form: the JSON form (trace/json.h) when the file
// starts with '{' (after white space), else the text form. Throws ParseError
// as read_trace_file(), parse_trace() and trace_from_json() do.
Trace parse_trace_file(const std::string &path);

// The op word of the text form: "mmap", "pin", "get_fast", "madvise", ...
const char *op_word(const Op &op);
// The inverse: sets kind (and api for the GUP words); false for an unknown word.
bool op_from_word(std::string_view word, OpKind &kind, GupApi &api);
// The same for every word: sets kind, api and (for remote accesses) via.
bool op_from_word(std::string_view word, Op &op);

// A handle as the text form writes it ("m12": prefix, decimal, no leading
// zeros, at most kMaxHandle); nullopt otherwise.
std::optional<uint16_t> parse_handle_name(std::string_view s, char prefix);
// A decimal or 0x-prefixed hex number up to UINT64_MAX; nullopt otherwise.
std::optional<uint64_t> parse_number(std::string_view s);

// FOLL_* flags as the text form writes them: "WRITE|LONGTERM", "0" for none,
// bits without a name as one trailing hex number ("WRITE|0x800000").
std::string flags_to_string(uint32_t flags);
// Parses names (with or without "FOLL_") and decimal/hex numbers joined by '|'.
// Returns nullopt and sets *error (when given) on failure.
std::optional<uint32_t> flags_from_string(std::string_view s, std::string *error = nullptr);

}  // namespace gupcheck::trace
