// SPDX-License-Identifier: GPL-2.0-only
//
// The JSON form of a trace (see json.h).
#include "trace/json.h"

#include <set>
#include <string>
#include <string_view>

#include "trace/formats.h"

namespace gupcheck::trace {

namespace {

using nlohmann::json;

// A JSON value for an error message, cut when long.
std::string show(const json &v) {
  std::string s = v.dump(-1, ' ', true, json::error_handler_t::replace);
  if (s.size() > 64) s = s.substr(0, 64) + "...";
  return s;
}

// Reads the fields of one op object, remembering which were consulted so
// that unknown fields can be reported.
class Fields {
 public:
  Fields(const json &j, int index) : j_(j), index_(index) {
    if (!j_.is_object()) fail("expected an object, got " + show(j_));
  }

  [[noreturn]] void fail(const std::string &msg) const { throw ParseError(index_, op_ + msg, "op"); }

  void set_op(const std::string &op) { op_ = op + ": "; }

  const json *opt(const char *key) {
    used_.insert(key);
    auto it = j_.find(key);
    return it == j_.end() ? nullptr : &*it;
  }

  const json &need(const char *key) {
    const json *v = opt(key);
    if (!v) fail(std::string("missing field '") + key + "'");
    return *v;
  }

  std::string str(const char *key) { return str(key, need(key)); }
  std::string str(const char *key, const json &v) const {
    if (!v.is_string()) fail(std::string("field '") + key + "' must be a string, got " + show(v));
    return v.get<std::string>();
  }

  uint64_t uint(const char *key, uint64_t max) { return uint(key, need(key), max); }
  uint64_t uint(const char *key, const json &v, uint64_t max) const {
    uint64_t n = 0;
    if (v.is_number_unsigned()) {
      n = v.get<uint64_t>();
    } else if (v.is_number_integer() && v.get<int64_t>() >= 0) {
      n = static_cast<uint64_t>(v.get<int64_t>());
    } else {
      fail(std::string("field '") + key + "' must be a non-negative integer, got " + show(v));
    }
    if (n > max) fail(std::string("field '") + key + "' out of range " + show(v) + " (at most " + std::to_string(max) + ")");
    return n;
  }

  bool boolean(const char *key) { return boolean(key, need(key)); }
  bool boolean(const char *key, const json &v) const {
    if (!v.is_boolean()) fail(std::string("field '") + key + "' must be true or false, got " + show(v));
    return v.get<bool>();
  }

  uint16_t handle(const char *key, char prefix) {
    const std::string s = str(key);
    const std::optional<uint16_t> h = parse_handle_name(s, prefix);
    if (!h)
      fail(std::string("field '") + key + "' must be a handle like " + prefix + "0 (number at most " +
           std::to_string(kMaxHandle) + "), got " + show(json(s)));
    return *h;
  }

  void finish() const {
    for (auto it = j_.begin(); it != j_.end(); ++it)
      if (!used_.count(it.key())) fail("unknown field '" + it.key() + "'");
  }

 private:
  const json &j_;
  int index_;
  std::string op_;
  std::set<std::string> used_;
};

Prot prot_from(Fields &f) {
  const std::string s = f.str("prot");
  for (Prot p : {Prot::None, Prot::R, Prot::RW})
    if (s == prot_name(p)) return p;
  f.fail("unknown prot " + show(json(s)) + " (none, r, rw)");
}

}  // namespace

json op_to_json(const Op &op) {
  json o = json::object();
  o["op"] = op_word(op);
  o["text"] = print_op(op);
  const Op::ResultKind rk = op.result_kind();
  if (rk != Op::ResultKind::None) o["result"] = handle_name(result_prefix(rk), op.result);
  if (op.has_process()) {
    o["proc"] = handle_name('p', op.proc);
    o["thread"] = op.thread;
  } else {
    o["gup"] = handle_name('g', op.gup);
  }
  if (op.has_address()) {
    o["map"] = handle_name('m', op.map);
    o["page"] = op.page;
  }
  if (op.has_range() || op.kind == OpKind::Mmap) o["npages"] = op.npages;
  if (op.has_target()) o["target"] = handle_name('p', op.target);
  if (op.has_value()) o["value"] = op.value;
  switch (op.kind) {
    case OpKind::Mmap:
      o["kind"] = map_kind_name(op.map_kind);
      o["shared"] = op.shared;
      o["prot"] = prot_name(op.prot);
      if (op.map_kind == MapKind::File || op.map_kind == MapKind::Shmem || op.map_kind == MapKind::Fsdax)
        o["file"] = op.map_kind == MapKind::Shmem && op.file == kSharedAnonFile ? std::string("anon")
                                                                                 : handle_name('f', op.file);
      if (op.populate) o["populate"] = true;
      if (op.zone != MemZone::Normal) o["zone"] = mem_zone_name(op.zone);
      if (op.thp) o["thp"] = true;
      if (op.rdonly) o["rdonly"] = true;
      break;
    case OpKind::Mprotect: o["prot"] = prot_name(op.prot); break;
    case OpKind::Madvise: o["advice"] = advice_name(op.advice); break;
    case OpKind::Gup:
      o["flags"] = flags_to_string(op.gup_flags);
      o["in_flight"] = op.in_flight;
      break;
    case OpKind::Populate: o["flags"] = flags_to_string(op.gup_flags); break;
    case OpKind::Collapse: o["in_flight"] = op.in_flight; break;
    case OpKind::InsertPage:
    case OpKind::InsertMixed: o["what"] = insert_what_name(op.what); break;
    default: break;
  }
  if (op.expect != ExpectKind::None) o["expect"] = expect_to_string(op);
  return o;
}

Op op_from_json(const json &j, int index) {
  Fields f(j, index);
  Op op;
  const std::string word = f.str("op");
  if (!op_from_word(word, op)) f.fail("unknown operation " + show(json(word)));
  f.set_op(word);
  if (const json *text = f.opt("text")) f.str("text", *text);

  const Op::ResultKind rk = op.result_kind();
  if (rk != Op::ResultKind::None) op.result = f.handle("result", result_prefix(rk));
  if (op.has_process()) {
    op.proc = f.handle("proc", 'p');
    if (const json *t = f.opt("thread")) op.thread = static_cast<uint8_t>(f.uint("thread", *t, 255));
  } else {
    op.gup = f.handle("gup", 'g');
  }
  if (op.has_address()) {
    op.map = f.handle("map", 'm');
    op.page = static_cast<uint16_t>(f.uint("page", UINT16_MAX));
  }
  if (op.has_range() || op.kind == OpKind::Mmap) op.npages = static_cast<uint16_t>(f.uint("npages", UINT16_MAX));
  if (op.has_target()) op.target = f.handle("target", 'p');
  if (op.has_value()) {
    const json &v = f.need("value");
    if (v.is_string()) {
      // Also accept the text form's syntax ("0x41"): JSON readers lose
      // integers beyond 2^53.
      const std::optional<uint64_t> n = parse_number(v.get<std::string>());
      if (!n) f.fail("field 'value' must be a non-negative integer or a decimal/hex string, got " + show(v));
      op.value = *n;
    } else {
      op.value = f.uint("value", v, UINT64_MAX);
    }
  }

  switch (op.kind) {
    case OpKind::Mmap: {
      const std::string kind = f.str("kind");
      bool found = false;
      for (MapKind k : {MapKind::Anon, MapKind::File, MapKind::Shmem, MapKind::Pfnmap, MapKind::Mixedmap,
                        MapKind::Fsdax, MapKind::Secretmem}) {
        if (kind == map_kind_name(k)) {
          op.map_kind = k;
          found = true;
        }
      }
      if (!found)
        f.fail("unknown mapping kind " + show(json(kind)) +
               " (anon, file, shmem, fsdax, secretmem, pfnmap, mixedmap)");
      op.shared = f.boolean("shared");
      op.prot = prot_from(f);
      op.file = 0;
      if (op.map_kind == MapKind::Shmem && f.need("file") == "anon") op.file = kSharedAnonFile;
      else if (op.map_kind == MapKind::File || op.map_kind == MapKind::Shmem || op.map_kind == MapKind::Fsdax)
        op.file = f.handle("file", 'f');
      if (const json *v = f.opt("populate")) op.populate = f.boolean("populate", *v);
      if (f.opt("zone")) {
        const std::string z = f.str("zone");
        bool zfound = false;
        for (MemZone x : {MemZone::Normal, MemZone::Movable, MemZone::Cma})
          if (z == mem_zone_name(x)) {
            op.zone = x;
            zfound = true;
          }
        if (!zfound) f.fail("unknown zone " + show(json(z)) + " (normal, movable, cma)");
      }
      if (const json *t = f.opt("thp")) op.thp = f.boolean("thp", *t);
      if (const json *r = f.opt("rdonly")) op.rdonly = f.boolean("rdonly", *r);
      break;
    }
    case OpKind::Mprotect: op.prot = prot_from(f); break;
    case OpKind::Madvise: {
      // Traces written before madvise grew more advice have no field: dontneed.
      if (const json *a = f.opt("advice")) {
        const std::string w = f.str("advice", *a);
        bool found = false;
        for (int i = 0; i < kNumAdvice && !found; i++)
          if (w == advice_name(static_cast<Advice>(i))) {
            op.advice = static_cast<Advice>(i);
            found = true;
          }
        if (!found) f.fail("unknown madvise advice " + show(json(w)));
      }
      break;
    }
    case OpKind::Gup:
    case OpKind::Populate: {
      std::string err;
      const std::optional<uint32_t> flags = flags_from_string(f.str("flags"), &err);
      if (!flags) f.fail("field 'flags': " + err);
      op.gup_flags = *flags;
      if (op.kind == OpKind::Gup)
        if (const json *v = f.opt("in_flight")) op.in_flight = f.boolean("in_flight", *v);
      break;
    }
    case OpKind::Collapse:
      if (const json *v = f.opt("in_flight")) op.in_flight = f.boolean("in_flight", *v);
      break;
    case OpKind::InsertPage:
    case OpKind::InsertMixed: {
      const std::string w = f.str("what");
      bool found = false;
      for (InsertWhat x : {InsertWhat::Page, InsertWhat::Zero, InsertWhat::Device}) {
        if (w == insert_what_name(x)) {
          op.what = x;
          found = true;
        }
      }
      if (!found) f.fail("unknown insert kind " + show(json(w)) + " (page, zero, dev)");
      break;
    }
    default: break;
  }
  if (const json *e = f.opt("expect")) {
    const std::string err = expect_from_string(op, f.str("expect", *e));
    if (!err.empty()) f.fail("field 'expect': " + err);
    if (op.in_flight) f.fail("an in-flight call has no result yet: put the expectation on its 'wait'");
  }
  f.finish();
  return op;
}

json trace_to_json(const Trace &t) {
  json ops = json::array();
  for (const Op &op : t.ops) ops.push_back(op_to_json(op));
  json notes = json::array();
  for (const std::string &n : t.notes) notes.push_back(n);
  json j = formats::document(formats::kTrace);
  j["model"] = t.variant;
  j["notes"] = std::move(notes);
  j["ops"] = std::move(ops);
  return j;
}

Trace trace_from_json(const json &j) {
  auto fail = [](const std::string &msg) { throw ParseError(0, msg); };
  if (!j.is_object()) fail("a gupcheck trace must be a JSON object, got " + show(j));
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string &k = it.key();
    if (k != "format" && k != "version" && k != "model" && k != "notes" && k != "ops")
      fail("unknown field '" + k + "' in a gupcheck trace");
  }
  if (const std::string why = formats::mismatch(j, formats::kTrace); !why.empty()) fail(why);

  Trace t;
  auto model = j.find("model");
  if (model == j.end() || !model->is_string() || model->get<std::string>().empty())
    fail("missing or empty \"model\" (a string such as \"mainline\")");
  t.variant = model->get<std::string>();
  // One word, as the text form's "# model: NAME" line reads it back.
  if (t.variant.find_first_of(" \t\r\v\f\n") != std::string::npos)
    fail("\"model\" must be one word (a variant name), got " + show(*model));

  if (auto notes = j.find("notes"); notes != j.end()) {
    if (!notes->is_array()) fail("\"notes\" must be an array of strings");
    for (const json &n : *notes) {
      if (!n.is_string()) fail("\"notes\" must be an array of strings, got " + show(n));
      // Each note is one "# ..." line of the text form (which drops a line's final '\r').
      const std::string note = n.get<std::string>();
      if (note.find('\n') != std::string::npos || (!note.empty() && note.back() == '\r'))
        fail("a note must be one line (no newline, no final carriage return), got " + show(n));
      t.notes.push_back(n.get<std::string>());
    }
  }

  auto ops = j.find("ops");
  if (ops == j.end() || !ops->is_array()) fail("missing \"ops\" (an array of operations)");
  t.ops.reserve(ops->size());
  int index = 0;
  for (const json &o : *ops) t.ops.push_back(op_from_json(o, ++index));
  return t;
}

}  // namespace gupcheck::trace
