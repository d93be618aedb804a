// SPDX-License-Identifier: GPL-2.0-only
//
// The text form of a trace: printer and strict parser (see text.h).
#include "trace/text.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "trace/flags.h"

namespace gupcheck::trace {

namespace {

constexpr std::string_view kHeader = "# gupcheck trace v1";
constexpr uint8_t kMaxThread = 255;

// A token for an error message: quoted, non-printable bytes escaped, long ones cut.
std::string quote(std::string_view s) {
  static const char hex[] = "0123456789abcdef";
  std::string out = "'";
  size_t n = 0;
  for (char ch : s) {
    if (++n > 64) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += ch;
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  out += "'";
  return out;
}

std::string to_hex(uint64_t v) {
  static const char hex[] = "0123456789abcdef";
  char buf[17];
  int i = 16;
  buf[i] = '\0';
  do {
    buf[--i] = hex[v & 15];
    v >>= 4;
  } while (v != 0);
  return std::string("0x") + &buf[i];
}


enum class Num { Ok, Syntax, Range };

int digit_value(char c, unsigned base) {
  int d = -1;
  if (c >= '0' && c <= '9') d = c - '0';
  else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
  else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
  return d >= 0 && static_cast<unsigned>(d) < base ? d : -1;
}

// Digits in the given base, at most max. A syntax error anywhere wins over overflow.
Num parse_digits(std::string_view s, unsigned base, uint64_t max, uint64_t &out) {
  if (s.empty()) return Num::Syntax;
  uint64_t v = 0;
  bool range = false;
  for (char c : s) {
    const int d = digit_value(c, base);
    if (d < 0) return Num::Syntax;
    if (range) continue;
    if (v > (max - static_cast<uint64_t>(d)) / base) range = true;
    else v = v * base + static_cast<uint64_t>(d);
  }
  if (range) return Num::Range;
  out = v;
  return Num::Ok;
}

// Decimal or 0x-prefixed hex.
Num parse_number(std::string_view s, uint64_t max, uint64_t &out) {
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) return parse_digits(s.substr(2), 16, max, out);
  return parse_digits(s, 10, max, out);
}

// "m12" with the given prefix: no sign, no leading zeros, at most kMaxHandle.
Num parse_handle(std::string_view s, char prefix, uint16_t &out) {
  if (s.size() < 2 || s[0] != prefix) return Num::Syntax;
  s.remove_prefix(1);
  if (s.size() > 1 && s[0] == '0') return Num::Syntax;
  uint64_t v = 0;
  const Num r = parse_digits(s, 10, kMaxHandle, v);
  if (r == Num::Ok) out = static_cast<uint16_t>(v);
  return r;
}

}  // namespace

std::optional<uint16_t> parse_handle_name(std::string_view s, char prefix) {
  uint16_t v = 0;
  if (parse_handle(s, prefix, v) != Num::Ok) return std::nullopt;
  return v;
}

std::optional<uint64_t> parse_number(std::string_view s) {
  uint64_t v = 0;
  if (parse_number(s, UINT64_MAX, v) != Num::Ok) return std::nullopt;
  return v;
}

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::vector<std::string_view> tokenize(std::string_view s) {
  std::vector<std::string_view> toks;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i])) ++i;
    const size_t start = i;
    while (i < s.size() && !is_space(s[i])) ++i;
    if (i > start) toks.push_back(s.substr(start, i - start));
  }
  return toks;
}

const char *syntax_of(OpKind k) {
  for (const OpDoc &d : op_docs())
    if (d.kind == k) return d.syntax;
  return "?";
}

const char *result_noun(Op::ResultKind k) {
  switch (k) {
    case Op::ResultKind::Mapping: return "a mapping";
    case Op::ResultKind::Process: return "a process";
    case Op::ResultKind::Gup: return "a GUP call";
    case Op::ResultKind::None: break;
  }
  return "nothing";
}

std::string map_kind_text(const Op &op) {
  switch (op.map_kind) {
    case MapKind::File: return "file:" + handle_name('f', op.file);
    case MapKind::Shmem: return op.file == kSharedAnonFile ? std::string("shmem:anon") : "shmem:" + handle_name('f', op.file);
    case MapKind::Fsdax: return "fsdax:" + handle_name('f', op.file);
    default: return map_kind_name(op.map_kind);
  }
}

// Parses the tokens of one op line.
class LineParser {
 public:
  LineParser(int line, std::vector<std::string_view> toks) : line_(line), toks_(std::move(toks)) {}

  Op parse() {
    // "OP ... => EXPECT": the expectation is the last token.
    std::optional<std::string_view> expect;
    for (size_t i = 0; i < toks_.size(); i++) {
      if (toks_[i] != "=>") continue;
      if (i + 1 >= toks_.size()) fail("missing expectation after '=>' (a number, -ERRNO, SIGSEGV or SIGBUS)");
      if (i + 2 < toks_.size()) fail("trailing token " + quote(toks_[i + 2]) + " after the expectation");
      if (i == 0) fail("expected an operation before '=>'");
      expect = toks_[i + 1];
      toks_.resize(i);
      break;
    }
    Op op = parse_op();
    if (expect) {
      if (op.in_flight) fail("an in-flight call has no result yet: put the expectation on its 'wait'");
      const std::string err = expect_from_string(op, *expect);
      if (!err.empty()) fail(err);
    }
    return op;
  }

 private:
  Op parse_op() {
    Op op;
    std::optional<std::string_view> result;
    size_t start = 0;
    if (toks_.size() >= 2 && toks_[1] == "=") {
      result = toks_[0];
      start = 2;
    } else if (toks_[0] == "=") {
      fail("missing result handle before '='");
    }
    if (start >= toks_.size()) fail("expected an operation after '='");
    const std::string_view word = toks_[start];
    pos_ = start + 1;
    if (!op_from_word(word, op)) fail("unknown operation " + quote(word));
    syntax_ = syntax_of(op.kind);

    const Op::ResultKind rk = op.result_kind();
    if (rk == Op::ResultKind::None) {
      if (result) fail(std::string(word) + " creates no handle, unexpected result " + quote(*result));
    } else {
      const char prefix = result_prefix(rk);
      if (!result)
        fail(std::string(word) + " creates " + result_noun(rk) + ": write it as '" + prefix + "N = " +
             std::string(word) + " ...'");
      switch (parse_handle(*result, prefix, op.result)) {
        case Num::Ok: break;
        case Num::Syntax:
          fail("handle " + std::string(1, prefix) + "N expected before '=' (" + std::string(word) + " creates " +
               result_noun(rk) + "), got " + quote(*result));
        case Num::Range: handle_range(*result);
      }
    }

    switch (op.kind) {
      case OpKind::Mmap:
        proc(op);
        map_kind(op);
        shared(op);
        op.prot = prot();
        op.npages = count();
        if (pos_ < toks_.size() && toks_[pos_] == "populate") {
          op.populate = true;
          ++pos_;
        }
        mmap_options(op);
        break;
      case OpKind::Munmap:
      case OpKind::Madvise:
      case OpKind::Mlock:
      case OpKind::Populate:
      case OpKind::Gup:
      case OpKind::Mprotect:
        proc(op);
        address(op);
        op.npages = count();
        if (op.kind == OpKind::Mprotect) op.prot = prot();
        if (op.kind == OpKind::Madvise) {
          const std::string_view advice = next("ADVICE");
          bool found = false;
          for (int a = 0; a < kNumAdvice && !found; a++)
            if (advice == advice_name(static_cast<Advice>(a))) {
              op.advice = static_cast<Advice>(a);
              found = true;
            }
          if (!found)
            fail("unknown madvise advice " + quote(advice) +
                 " (dontneed, populate_read, populate_write, dontfork, dofork, wipeonfork, keeponfork, hwpoison, mergeable)");
        }
        if (op.kind == OpKind::Gup || op.kind == OpKind::Populate) op.gup_flags = flags();
        if (op.kind == OpKind::Gup && pos_ < toks_.size() && toks_[pos_] == "&") {
          op.in_flight = true;
          ++pos_;
        }
        break;
      case OpKind::Read:
      case OpKind::UffdZeropage:
      case OpKind::UffdContinue:
      case OpKind::Stat:
        proc(op);
        address(op);
        break;
      case OpKind::Collapse:
        proc(op);
        address(op);
        if (pos_ < toks_.size() && toks_[pos_] == "&") {
          op.in_flight = true;
          ++pos_;
        }
        break;
      case OpKind::RemoteRead:
      case OpKind::RemoteWrite:
        proc(op);
        target(op);
        address(op);
        if (op.kind == OpKind::RemoteWrite) op.value = value();
        break;
      case OpKind::ForbidZeropage: proc(op); break;
      case OpKind::DmaWrite:
        op.gup = gup_handle();
        op.value = value();
        break;
      case OpKind::DmaRead: op.gup = gup_handle(); break;
      case OpKind::Write:
        proc(op);
        address(op);
        op.value = value();
        break;
      case OpKind::Fork:
      case OpKind::Exit:
      case OpKind::KsmMerge:
      case OpKind::Dump: proc(op); break;
      case OpKind::Put:
      case OpKind::Unpin:
      case OpKind::Resume:
      case OpKind::Wait: op.gup = gup_handle(); break;
      case OpKind::InsertPage:
      case OpKind::InsertMixed:
        proc(op);
        address(op);
        op.what = what(op.kind);
        break;
    }
    if (pos_ < toks_.size()) fail("trailing token " + quote(toks_[pos_]));
    return op;
  }

  [[noreturn]] void fail(const std::string &msg) const { throw ParseError(line_, msg); }

  [[noreturn]] void handle_range(std::string_view tok) const {
    fail("handle number out of range " + quote(tok) + " (at most " + std::to_string(kMaxHandle) + ")");
  }

  std::string_view next(const char *what) {
    if (pos_ >= toks_.size()) fail(std::string("missing ") + what + " (syntax: " + syntax_ + ")");
    return toks_[pos_++];
  }

  void proc(Op &op) {
    const std::string_view tok = next("process pP");
    const size_t colon = tok.find(':');
    const std::string bad = "expected a process like p0 or p0:t1, got " + quote(tok);
    switch (parse_handle(tok.substr(0, colon), 'p', op.proc)) {
      case Num::Ok: break;
      case Num::Syntax: fail(bad);
      case Num::Range: handle_range(tok);
    }
    op.thread = 0;
    if (colon == std::string_view::npos) return;
    uint16_t t = 0;
    switch (parse_handle(tok.substr(colon + 1), 't', t)) {
      case Num::Ok: break;
      case Num::Syntax: fail(bad);
      case Num::Range: t = kMaxHandle; break;
    }
    if (t > kMaxThread)
      fail("thread number out of range " + quote(tok) + " (at most " + std::to_string(kMaxThread) + ")");
    op.thread = static_cast<uint8_t>(t);
  }

  void target(Op &op) {
    const std::string_view tok = next("target process pT");
    switch (parse_handle(tok, 'p', op.target)) {
      case Num::Ok: break;
      case Num::Syntax: fail("expected a target process like p1, got " + quote(tok));
      case Num::Range: handle_range(tok);
    }
  }

  void address(Op &op) {
    const std::string_view tok = next("address mN+I");
    const size_t plus = tok.find('+');
    const std::string bad = "expected a mapping address like m0+2, got " + quote(tok);
    if (plus == std::string_view::npos) fail(bad);
    switch (parse_handle(tok.substr(0, plus), 'm', op.map)) {
      case Num::Ok: break;
      case Num::Syntax: fail(bad);
      case Num::Range: handle_range(tok);
    }
    uint64_t v = 0;
    switch (parse_digits(tok.substr(plus + 1), 10, UINT16_MAX, v)) {
      case Num::Ok: break;
      case Num::Syntax: fail(bad);
      case Num::Range: fail("page index out of range " + quote(tok) + " (at most 65535)");
    }
    op.page = static_cast<uint16_t>(v);
  }

  uint16_t count() {
    const std::string_view tok = next("page count NPAGES");
    uint64_t v = 0;
    switch (parse_digits(tok, 10, UINT16_MAX, v)) {
      case Num::Ok: break;
      case Num::Syntax: fail("expected a page count, got " + quote(tok));
      case Num::Range: fail("number out of range " + quote(tok));
    }
    return static_cast<uint16_t>(v);
  }

  uint64_t value() {
    const std::string_view tok = next("VALUE");
    uint64_t v = 0;
    switch (parse_number(tok, UINT64_MAX, v)) {
      case Num::Ok: break;
      case Num::Syntax: fail("expected a value like 0x41, got " + quote(tok));
      case Num::Range: fail("number out of range " + quote(tok));
    }
    return v;
  }

  uint32_t flags() {
    const std::string_view tok = next("FLAGS (use 0 for none)");
    std::string err;
    const std::optional<uint32_t> f = flags_from_string(tok, &err);
    if (!f) fail(err);
    return *f;
  }

  uint16_t gup_handle() {
    const std::string_view tok = next("GUP call gN");
    uint16_t g = 0;
    switch (parse_handle(tok, 'g', g)) {
      case Num::Ok: break;
      case Num::Syntax: fail("expected a GUP call handle like g0, got " + quote(tok));
      case Num::Range: handle_range(tok);
    }
    return g;
  }

  void map_kind(Op &op) {
    const std::string_view tok = next("mapping kind");
    op.file = 0;
    std::string_view file;
    if (tok == "anon") {
      op.map_kind = MapKind::Anon;
    } else if (tok == "pfnmap") {
      op.map_kind = MapKind::Pfnmap;
    } else if (tok == "mixedmap") {
      op.map_kind = MapKind::Mixedmap;
    } else if (tok == "shmem:anon") {
      op.map_kind = MapKind::Shmem;
      op.file = kSharedAnonFile;
    } else if (tok.substr(0, 5) == "file:") {
      op.map_kind = MapKind::File;
      file = tok.substr(5);
    } else if (tok.substr(0, 6) == "shmem:") {
      op.map_kind = MapKind::Shmem;
      file = tok.substr(6);
    } else if (tok.substr(0, 6) == "fsdax:") {
      op.map_kind = MapKind::Fsdax;
      file = tok.substr(6);
    } else if (tok == "secretmem") {
      op.map_kind = MapKind::Secretmem;
    } else {
      fail("unknown mapping kind " + quote(tok) +
           " (anon, file:fN, shmem:fN, shmem:anon, fsdax:fN, secretmem, pfnmap, mixedmap)");
    }
    if (op.map_kind == MapKind::File || op.map_kind == MapKind::Fsdax ||
        (op.map_kind == MapKind::Shmem && op.file != kSharedAnonFile)) {
      switch (parse_handle(file, 'f', op.file)) {
        case Num::Ok: break;
        case Num::Syntax: fail("expected a file like f0 in " + quote(tok));
        case Num::Range: handle_range(tok);
      }
    }
  }

  // Optional words after an mmap's NPAGES: at most one of movable|cma, and thp.
  void mmap_options(Op &op) {
    op.zone = MemZone::Normal;
    op.thp = false;
    bool zone_seen = false;
    while (pos_ < toks_.size()) {
      const std::string_view tok = toks_[pos_];
      if (tok == "thp" && !op.thp) {
        op.thp = true;
      } else if ((tok == "movable" || tok == "cma") && !zone_seen) {
        op.zone = tok == "movable" ? MemZone::Movable : MemZone::Cma;
        zone_seen = true;
      } else {
        fail("unexpected mmap option " + quote(tok) + " (movable or cma, and thp, each at most once)");
      }
      ++pos_;
    }
  }

  void shared(Op &op) {
    const std::string_view tok = next("private|shared");
    if (tok == "private") op.shared = false;
    else if (tok == "shared") op.shared = true;
    else fail("expected private or shared, got " + quote(tok));
  }

  Prot prot() {
    const std::string_view tok = next("protection none|r|rw");
    if (tok == "none") return Prot::None;
    if (tok == "r") return Prot::R;
    if (tok == "rw") return Prot::RW;
    fail("unknown protection " + quote(tok) + " (none, r, rw)");
  }

  InsertWhat what(OpKind k) {
    const std::string_view tok = next(k == OpKind::InsertPage ? "page|zero" : "page|zero|dev");
    if (tok == "page") return InsertWhat::Page;
    if (tok == "zero") return InsertWhat::Zero;
    if (tok == "dev") return InsertWhat::Device;
    fail("unknown insert kind " + quote(tok) + " (page, zero, dev)");
  }

  int line_;
  std::vector<std::string_view> toks_;
  size_t pos_ = 0;
  const char *syntax_ = "";
};

std::string_view ltrim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  return s;
}

}  // namespace

ParseError::ParseError(int line_no, const std::string &message, const char *unit)
    : std::runtime_error(line_no == 0 ? message : std::string(unit) + " " + std::to_string(line_no) + ": " + message),
      line(line_no) {}

const char *op_word(const Op &op) {
  if (op.kind == OpKind::Gup) return gup_api_name(op.api);
  if (op.has_target()) return remote_word(op.kind, op.via);
  return op_kind_name(op.kind);
}

bool op_from_word(std::string_view word, Op &op) {
  static const struct {
    std::string_view word;
    OpKind kind;
    RemoteVia via;
  } remote[] = {
      {"mem_read", OpKind::RemoteRead, RemoteVia::Mem},
      {"mem_write", OpKind::RemoteWrite, RemoteVia::Mem},
      {"vm_readv", OpKind::RemoteRead, RemoteVia::ProcessVm},
      {"vm_writev", OpKind::RemoteWrite, RemoteVia::ProcessVm},
  };
  for (const auto &r : remote)
    if (r.word == word) {
      op.kind = r.kind;
      op.via = r.via;
      return true;
    }
  return op_from_word(word, op.kind, op.api);
}

bool op_from_word(std::string_view word, OpKind &kind, GupApi &api) {
  static const struct {
    std::string_view word;
    OpKind kind;
    GupApi api;
  } words[] = {
      {"mmap", OpKind::Mmap, GupApi::Get},
      {"munmap", OpKind::Munmap, GupApi::Get},
      {"mprotect", OpKind::Mprotect, GupApi::Get},
      {"read", OpKind::Read, GupApi::Get},
      {"write", OpKind::Write, GupApi::Get},
      {"fork", OpKind::Fork, GupApi::Get},
      {"exit", OpKind::Exit, GupApi::Get},
      {"madvise", OpKind::Madvise, GupApi::Get},
      {"mlock", OpKind::Mlock, GupApi::Get},
      {"forbid_zeropage", OpKind::ForbidZeropage, GupApi::Get},
      {"stat", OpKind::Stat, GupApi::Get},
      {"dma_write", OpKind::DmaWrite, GupApi::Get},
      {"dma_read", OpKind::DmaRead, GupApi::Get},
      {"get", OpKind::Gup, GupApi::Get},
      {"pin", OpKind::Gup, GupApi::Pin},
      {"get_fast", OpKind::Gup, GupApi::GetFast},
      {"pin_fast", OpKind::Gup, GupApi::PinFast},
      {"populate", OpKind::Populate, GupApi::Get},
      {"put", OpKind::Put, GupApi::Get},
      {"unpin", OpKind::Unpin, GupApi::Get},
      {"resume", OpKind::Resume, GupApi::Get},
      {"wait", OpKind::Wait, GupApi::Get},
      {"dump", OpKind::Dump, GupApi::Get},
      {"uffd_zeropage", OpKind::UffdZeropage, GupApi::Get},
      {"uffd_continue", OpKind::UffdContinue, GupApi::Get},
      {"insert_page", OpKind::InsertPage, GupApi::Get},
      {"insert_mixed", OpKind::InsertMixed, GupApi::Get},
      {"ksm_merge", OpKind::KsmMerge, GupApi::Get},
      {"collapse", OpKind::Collapse, GupApi::Get},
  };
  for (const auto &w : words) {
    if (w.word == word) {
      kind = w.kind;
      api = w.api;
      return true;
    }
  }
  return false;
}

std::string flags_to_string(uint32_t flags) {
  if (flags == 0) return "0";
  std::string s;
  uint32_t rest = flags;
  for (const auto &f : kGupFlagNames) {
    if ((flags & f.bit) == f.bit) {
      if (!s.empty()) s += '|';
      s += f.name;
      rest &= ~f.bit;
    }
  }
  if (rest != 0) {
    if (!s.empty()) s += '|';
    s += to_hex(rest);
  }
  return s;
}

std::optional<uint32_t> flags_from_string(std::string_view s, std::string *error) {
  auto bad = [&](const std::string &msg) -> std::optional<uint32_t> {
    if (error) *error = msg;
    return std::nullopt;
  };
  if (s.empty()) return bad("expected FOLL flags like WRITE|LONGTERM or 0, got ''");
  uint32_t acc = 0;
  size_t start = 0;
  while (true) {
    const size_t bar = s.find('|', start);
    const std::string_view part = s.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start);
    if (part.empty()) return bad("empty flag in " + quote(s));
    if (part[0] >= '0' && part[0] <= '9') {
      uint64_t v = 0;
      switch (parse_number(part, UINT32_MAX, v)) {
        case Num::Ok: acc |= static_cast<uint32_t>(v); break;
        case Num::Syntax: return bad("bad flag number " + quote(part));
        case Num::Range: return bad("flag value out of range " + quote(part));
      }
    } else {
      std::string_view name = part;
      if (name.substr(0, 5) == "FOLL_") name.remove_prefix(5);
      bool found = false;
      for (const auto &f : kGupFlagNames) {
        if (name == f.name) {
          acc |= f.bit;
          found = true;
          break;
        }
      }
      if (!found) return bad("unknown FOLL flag " + quote(part));
    }
    if (bar == std::string_view::npos) break;
    start = bar + 1;
  }
  return acc;
}

std::string print_op(const Op &op) {
  std::string s = print_op_only(op);
  if (op.expect != ExpectKind::None) s += " => " + expect_to_string(op);
  return s;
}

std::string print_op_only(const Op &op) {
  std::string s;
  const Op::ResultKind rk = op.result_kind();
  if (rk != Op::ResultKind::None) s += handle_name(result_prefix(rk), op.result) + " = ";
  s += op_word(op);
  switch (op.kind) {
    case OpKind::Put:
    case OpKind::Unpin:
    case OpKind::Resume:
    case OpKind::Wait:
    case OpKind::DmaRead: return s + " " + handle_name('g', op.gup);
    case OpKind::DmaWrite: return s + " " + handle_name('g', op.gup) + " " + to_hex(op.value);
    default: break;
  }
  s += " " + proc_name(op.proc, op.thread);
  if (op.has_target()) s += " " + handle_name('p', op.target);
  if (op.kind == OpKind::Mmap) {
    s += " " + map_kind_text(op) + (op.shared ? " shared " : " private ") + prot_name(op.prot) + " " +
         std::to_string(op.npages) + (op.populate ? " populate" : "");
    if (op.zone != MemZone::Normal) s += std::string(" ") + mem_zone_name(op.zone);
    if (op.thp) s += " thp";
    return s;
  }
  if (op.has_address()) s += " " + handle_name('m', op.map) + "+" + std::to_string(op.page);
  if (op.has_range()) s += " " + std::to_string(op.npages);
  switch (op.kind) {
    case OpKind::Mprotect: s += std::string(" ") + prot_name(op.prot); break;
    case OpKind::Write:
    case OpKind::RemoteWrite: s += " " + to_hex(op.value); break;
    case OpKind::Madvise: s += std::string(" ") + advice_name(op.advice); break;
    case OpKind::Gup:
      s += " " + flags_to_string(op.gup_flags);
      if (op.in_flight) s += " &";
      break;
    case OpKind::Populate: s += " " + flags_to_string(op.gup_flags); break;
    case OpKind::Collapse:
      if (op.in_flight) s += " &";
      break;
    case OpKind::InsertPage:
    case OpKind::InsertMixed: s += std::string(" ") + insert_what_name(op.what); break;
    default: break;
  }
  return s;
}

std::string print_trace(const Trace &t) { return print_trace(t, {}); }

std::string print_trace(const Trace &t, const std::vector<std::string> &comments) {
  std::string s(kHeader);
  s += "\n# model: " + t.variant;
  if (t.variant == "mainline") s += " (Linux v6.18)";
  s += '\n';
  for (const std::string &note : t.notes) {
    size_t start = 0;
    while (true) {
      const size_t nl = note.find('\n', start);
      const std::string_view line =
          std::string_view(note).substr(start, nl == std::string::npos ? std::string::npos : nl - start);
      s += line.empty() ? "#" : "# ";
      s += line;
      s += '\n';
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
  }
  for (size_t i = 0; i < t.ops.size(); i++) {
    s += print_op(t.ops[i]);
    if (i < comments.size() && !comments[i].empty()) {
      s += "   # ";
      for (char c : comments[i]) s += c == '\n' || c == '\r' ? ' ' : c;
    }
    s += '\n';
  }
  return s;
}

Trace parse_trace(std::string_view text) {
  Trace t;
  bool seen_op = false, seen_model = false;
  int lineno = 0;
  size_t pos = 0;
  while (true) {
    const size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (lineno == 1) {
      if (line != kHeader) throw ParseError(1, "not a gupcheck trace (expected '# gupcheck trace v1')");
    } else {
      const size_t hash = line.find('#');
      std::vector<std::string_view> toks = tokenize(line.substr(0, hash));
      if (!toks.empty()) {
        seen_op = true;
        t.ops.push_back(LineParser(lineno, std::move(toks)).parse());
      } else if (hash != std::string_view::npos && !seen_op) {
        // A header comment: the first "# model: NAME" names the variant, the rest are notes.
        std::string_view comment = line.substr(hash + 1);
        if (!comment.empty() && comment.front() == ' ') comment.remove_prefix(1);
        const std::string_view trimmed = ltrim(comment);
        if (!seen_model && trimmed.substr(0, 6) == "model:") {
          const std::vector<std::string_view> words = tokenize(trimmed.substr(6));
          if (words.empty()) throw ParseError(lineno, "missing model name after '# model:'");
          t.variant = std::string(words[0]);
          seen_model = true;
        } else {
          t.notes.emplace_back(comment);
        }
      }
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return t;
}

Trace parse_trace_file(const std::string &path) {
  std::FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) throw ParseError(0, "cannot read trace file '" + path + "': " + std::strerror(errno));
  std::string text;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  const bool failed = std::ferror(f) != 0;
  const int err = errno;
  std::fclose(f);
  if (failed) throw ParseError(0, "cannot read trace file '" + path + "': " + std::strerror(err));
  return parse_trace(text);
}

}  // namespace gupcheck::trace
