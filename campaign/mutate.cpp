// SPDX-License-Identifier: GPL-2.0-only
//
// gupcheck mutate: see campaign/mutate.h. The mutants are made on the text,
// line by line, so that they stay readable as a one-line diff; each is built
// with the project's own CMake preset in a scratch copy of the source tree
// (ccache makes the unchanged objects cache hits) and judged by running the
// scratch gupcheck as a separate process, so a mutant that crashes or hangs
// is seen as such and never takes this process with it.
#include "campaign/mutate.h"

#include <sys/wait.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <tuple>

namespace gupcheck::campaign {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------
// Making mutants

const std::vector<std::string> &mutant_kinds() {
  static const std::vector<std::string> k = {"negate-cond", "drop-check", "and-or",      "eq-ne",
                                             "rel",         "drop-flag",  "drop-counter"};
  return k;
}

namespace {

std::vector<std::string> split_lines(const std::string &text) {
  std::vector<std::string> v;
  std::string cur;
  for (char c : text) {
    if (c == '\n') {
      v.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) v.push_back(cur);
  return v;
}

// The code part of a line: string and character literals blanked, the
// trailing // comment cut off. Positions match the original line.
std::string code_of(const std::string &line) {
  std::string s = line;
  char quote = 0;
  for (size_t i = 0; i < s.size(); i++) {
    if (quote) {
      if (s[i] == '\\' && i + 1 < s.size()) {
        s[i] = s[i + 1] = ' ';
        i++;
      } else if (s[i] == quote) {
        quote = 0;
      } else {
        s[i] = ' ';
      }
    } else if (s[i] == '"' || s[i] == '\'') {
      quote = s[i];
    } else if (s[i] == '/' && i + 1 < s.size() && s[i + 1] == '/') {
      return s.substr(0, i);
    }
  }
  return s;
}

std::string trim(const std::string &s) {
  size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

bool is_ident(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool is_flag_name(const std::string &s) {
  if (s.size() < 3 || !std::isupper(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isupper(static_cast<unsigned char>(c)) || std::isdigit(c) || c == '_'; });
}

// The index of the parenthesis closing the one at open, or npos.
size_t closing_paren(const std::string &code, size_t open) {
  int depth = 0;
  for (size_t i = open; i < code.size(); i++) {
    if (code[i] == '(') depth++;
    if (code[i] == ')' && --depth == 0) return i;
  }
  return std::string::npos;
}

// A function definition starting at column 0: its name, or "".
std::string function_defined(const std::string &line) {
  if (line.empty() || !(std::isalpha(static_cast<unsigned char>(line[0])) || line[0] == '_')) return "";
  const std::string code = trim(code_of(line));
  for (const char *kw : {"namespace", "struct", "class", "enum", "using", "template", "typedef", "#"})
    if (code.rfind(kw, 0) == 0) return "";
  if (code.empty() || code.back() == ';') return "";
  const size_t paren = code.find('(');
  if (paren == std::string::npos || code.find('=') < paren) return "";
  size_t e = paren;
  while (e > 0 && code[e - 1] == ' ') e--;
  size_t b = e;
  while (b > 0 && is_ident(code[b - 1])) b--;
  return code.substr(b, e - b);
}

// The "// Models: ..." text in the comment block ending just above line i.
std::string models_above(const std::vector<std::string> &lines, size_t i) {
  std::string found;
  while (i > 0) {
    const std::string t = trim(lines[i - 1]);
    if (t.rfind("//", 0) != 0) break;
    if (size_t m = t.find("Models:"); m != std::string::npos) found = trim(t.substr(m + 7));
    i--;
  }
  if (size_t v = found.find(" (v"); v != std::string::npos) found = found.substr(0, v);
  return found;
}

}  // namespace

std::vector<Mutant> generate_mutants(const std::string &file, const std::string &text) {
  const std::vector<std::string> lines = split_lines(text);
  std::vector<Mutant> out;
  std::map<std::string, int> ordinal;  // function#kind -> count
  std::string function, models;
  std::string prev_code = "{";
  for (size_t i = 0; i < lines.size(); i++) {
    const std::string &line = lines[i];
    if (!line.empty() && line[0] == '}') {
      function.clear();
      continue;
    }
    if (const std::string f = function_defined(line); !f.empty()) {
      function = f;
      models = models_above(lines, i);
      prev_code = "{";
      continue;
    }
    const std::string code = code_of(line);
    const std::string t = trim(code);
    if (function.empty() || line.empty() || (line[0] != ' ' && line[0] != '\t') || t.empty() || t[0] == '#') {
      continue;
    }
    const size_t indent = line.find_first_not_of(" \t");
    auto add = [&](const std::string &kind, const std::string &after) {
      if (after == line) return;
      for (const Mutant &m : out)
        if (m.line == int(i + 1) && m.after == after) return;  // the same change by another rule
      Mutant m;
      const std::string key = function + "#" + kind;
      m.id = file + "@" + key + "." + std::to_string(ordinal[key]++);
      m.file = file;
      m.line = int(i + 1);
      m.kind = kind;
      m.function = function;
      m.models = models;
      m.before = line;
      m.after = after;
      out.push_back(m);
    };
    // negate-cond: if (C) -> if (!(C)), the condition whole on this line.
    for (size_t p = code.find("if ("); p != std::string::npos; p = code.find("if (", p + 1)) {
      if (p > 0 && is_ident(code[p - 1])) continue;
      const size_t close = closing_paren(code, p + 3);
      if (close == std::string::npos) continue;
      add("negate-cond", line.substr(0, p + 4) + "!(" + line.substr(p + 4, close - p - 4) + ")" + line.substr(close));
    }
    // drop-check: a one-line early exit, if (C) return/continue/break;, is gone.
    if (t.rfind("if (", 0) == 0) {
      const size_t open = code.find("if (");
      const size_t close = closing_paren(code, open + 3);
      if (close != std::string::npos) {
        const std::string rest = trim(code.substr(close + 1));
        if (!rest.empty() && rest.back() == ';' &&
            (rest.rfind("return", 0) == 0 || rest == "continue;" || rest == "break;"))
          add("drop-check", line.substr(0, indent) + ";");
      }
    }
    // Binary operators, each occurrence on its own.
    auto swap_ops = [&](const std::string &kind, const std::vector<std::pair<std::string, std::string>> &pairs) {
      for (const auto &[from, to] : pairs)
        for (size_t p = code.find(from); p != std::string::npos; p = code.find(from, p + 1))
          add(kind, line.substr(0, p) + to + line.substr(p + from.size()));
    };
    swap_ops("and-or", {{" && ", " || "}, {" || ", " && "}});
    swap_ops("eq-ne", {{" == ", " != "}, {" != ", " == "}});
    swap_ops("rel", {{" < ", " <= "}, {" <= ", " < "}, {" > ", " >= "}, {" >= ", " > "}});
    // drop-flag: one flag of an A | B mask is gone (its bit flipped off).
    for (size_t p = code.find(" | "); p != std::string::npos; p = code.find(" | ", p + 1)) {
      size_t lb = p;
      while (lb > 0 && is_ident(code[lb - 1])) lb--;
      size_t re = p + 3;
      while (re < code.size() && is_ident(code[re])) re++;
      const std::string left = code.substr(lb, p - lb), right = code.substr(p + 3, re - p - 3);
      if (!is_flag_name(left) || !is_flag_name(right)) continue;
      add("drop-flag", line.substr(0, p) + line.substr(re));  // A | B -> A
      add("drop-flag", line.substr(0, lb) + line.substr(p + 3));  // A | B -> B
    }
    // drop-counter: a statement that only moves a counter is gone.
    const char last = prev_code.empty() ? ';' : prev_code.back();
    const bool starts_statement = last == ';' || last == '{' || last == '}' || last == ')';
    if (starts_statement && t.back() == ';' && t.rfind("return", 0) != 0 && t.rfind("for", 0) != 0) {
      const std::string body = t.substr(0, t.size() - 1);
      const bool incdec = (body.size() > 2 && (body.compare(body.size() - 2, 2, "++") == 0 ||
                                               body.compare(body.size() - 2, 2, "--") == 0)) ||
                          body.rfind("++", 0) == 0 || body.rfind("--", 0) == 0;
      const bool addsub = body.find(" += ") != std::string::npos || body.find(" -= ") != std::string::npos;
      const bool simple = body.find('(') == std::string::npos || body.find(" = ") == std::string::npos;
      // A loop index (i++, --n) is control flow, not a counter: dropping it only hangs.
      const std::string target = incdec ? body.substr(body.rfind("++", 0) == 0 || body.rfind("--", 0) == 0 ? 2 : 0,
                                                      body.size() - 2)
                                        : "";
      const bool loop_index = target.size() == 1;
      if ((incdec || addsub) && simple && !loop_index) add("drop-counter", line.substr(0, indent) + ";");
    }
    prev_code = t;
  }
  return out;
}

std::string apply_mutant(const std::string &text, const Mutant &m) {
  std::vector<std::string> lines = split_lines(text);
  if (m.line < 1 || size_t(m.line) > lines.size() || lines[m.line - 1] != m.before)
    throw std::runtime_error(m.file + ":" + std::to_string(m.line) + " is not what mutant " + m.id + " expects");
  lines[m.line - 1] = m.after;
  std::string s;
  for (const auto &l : lines) s += l + "\n";
  return s;
}

const char *fate_name(Fate f) {
  switch (f) {
    case Fate::Killed: return "killed";
    case Fate::Survived: return "survived";
    case Fate::EquivalentSuspect: return "equivalent-suspect";
    case Fate::Unbuildable: return "unbuildable";
  }
  return "?";
}

// ---------------------------------------------------------------------------
// Building and judging them

namespace {

std::string quote(const std::string &s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs a shell command. Return: its exit status, 128+N when killed by signal N.
int sh(const std::string &cmd) {
  const int r = std::system(cmd.c_str());
  if (r == -1) return -1;
  if (WIFEXITED(r)) return WEXITSTATUS(r);
  if (WIFSIGNALED(r)) return 128 + WTERMSIG(r);
  return -1;
}

std::string slurp(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const fs::path &p, const std::string &text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

// The first line of a log that contains what, or "".
std::string line_with(const std::string &log, const std::string &what) {
  std::istringstream in(log);
  for (std::string l; std::getline(in, l);)
    if (l.find(what) != std::string::npos) return trim(l);
  return "";
}

// One scratch copy of the source tree with its own build directory, laid out
// like the source (build/release under the copy) so that ccache, whose
// base_dir makes paths relative, shares the objects of the real build.
struct Scratch {
  fs::path dir, src, bin;
  int make_jobs = 2;

  // Return: "" or why the unmutated copy did not build.
  std::string prepare(const fs::path &source) {
    fs::remove_all(src);
    fs::create_directories(src);
    const std::string copy = "tar -C " + quote(source.string()) +
                             " --exclude=./build --exclude=./.git --exclude=./gupcheck-out -cf - . | tar -C " +
                             quote(src.string()) + " -xf -";
    if (sh(copy) != 0) return "copying the source tree into " + src.string() + " failed";
    if (sh("cd " + quote(src.string()) + " && cmake --preset release > " + quote((dir / "configure.log").string()) +
           " 2>&1") != 0)
      return "cmake --preset release failed in the scratch copy (see " + (dir / "configure.log").string() + ")";
    bin = src / "build" / "release" / "gupcheck";
    const std::string err = build();
    return err.empty() ? "" : "the unmutated model does not build: " + err;
  }
  // Return: "" or the first compiler error.
  std::string build() {
    const fs::path log = dir / "build.log";
    const int r = sh("cmake --build " + quote((src / "build" / "release").string()) + " --target gupcheck -j " +
                     std::to_string(make_jobs) + " > " + quote(log.string()) + " 2>&1");
    if (r == 0) return "";
    std::string e = line_with(slurp(log), "error");
    return e.empty() ? "build failed (status " + std::to_string(r) + ")" : e;
  }
};

struct CampaignRun {
  int status = 0;
  std::string result;  // the campaign's "result:" line
  double seconds = 0;
};

CampaignRun run_campaign(const fs::path &bin, const fs::path &dir, int seed, const MutateOptions &o) {
  const fs::path out = dir / "campaign";
  fs::remove_all(out);
  const fs::path log = dir / "campaign.log";
  const int limit = int(o.budget * 2) + 60;  // startup and a short shrink on top of the budget
  std::string cmd = "timeout --kill-after=5 " + std::to_string(limit) + " " + quote(bin.string()) +
                    " fuzz --seed " + std::to_string(seed) + " --time " + std::to_string(o.budget) +
                    " --shrink-time 1 --out " + quote(out.string());
  if (!o.invariants.empty()) cmd += " --invariants " + quote(o.invariants);
  const auto t0 = std::chrono::steady_clock::now();
  CampaignRun r;
  r.status = sh(cmd + " > " + quote(log.string()) + " 2>&1");
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string text = slurp(log);
  r.result = line_with(text, "result:");
  if (r.result.empty()) r.result = line_with(text, "gupcheck:");
  return r;
}

// What a binary prints and returns for each corpus trace, and its coverage
// figures on a fixed number of cases: the behaviour compared with the
// unmutated model to tell a survivor from an equivalent mutant.
struct Behaviour {
  std::vector<std::pair<std::string, std::string>> replays;  // trace, status + output
  std::string coverage;
};

std::vector<fs::path> corpus(const fs::path &source) {
  std::vector<fs::path> v;
  for (const char *d : {"tests/scenarios", "tests/regression", "tests/live"}) {
    std::error_code ec;
    for (const auto &e : fs::directory_iterator(source / d, ec))
      if (e.path().extension() == ".trace") v.push_back(e.path());
  }
  std::sort(v.begin(), v.end());
  return v;
}

std::string replay(const fs::path &bin, const fs::path &dir, const fs::path &trace) {
  const fs::path log = dir / "replay.log";
  const int r = sh("timeout 30 " + quote(bin.string()) + " replay " + quote(trace.string()) + " > " +
                   quote(log.string()) + " 2>&1");
  return "exit " + std::to_string(r) + "\n" + slurp(log);
}

std::string coverage(const fs::path &bin, const fs::path &dir, long cases) {
  const fs::path json = dir / "stats.json";
  fs::remove(json);
  sh("timeout 120 " + quote(bin.string()) + " fuzz --seed 1 --cases " + std::to_string(cases) + " --stats-json " +
     quote(json.string()) + " --shrink-time 1 --out " + quote((dir / "coverage").string()) + " > /dev/null 2>&1");
  return slurp(json);
}

// The first line where a and b differ, as "- a / + b".
std::string first_difference(const std::string &a, const std::string &b) {
  std::istringstream ia(a), ib(b);
  std::string la, lb;
  for (int n = 1;; n++) {
    const bool ga = bool(std::getline(ia, la)), gb = bool(std::getline(ib, lb));
    if (!ga && !gb) return "";
    if (!ga) la = "(end)";
    if (!gb) lb = "(end)";
    if (la != lb) return "line " + std::to_string(n) + ":\n      - " + la + "\n      + " + lb;
  }
}

class Runner {
 public:
  Runner(const MutateOptions &o, std::FILE *out) : o_(o), out_(out) {}

  int run(std::vector<Mutant> mutants) {
    const fs::path work = o_.work;
    const int jobs = std::max(1, std::min<int>(o_.jobs, int(mutants.size())));
    std::vector<Scratch> scratch(jobs);
    for (int j = 0; j < jobs; j++) {
      scratch[j].dir = work / ("j" + std::to_string(j));
      scratch[j].src = scratch[j].dir / "src";
      scratch[j].make_jobs = jobs == 1 ? 2 : 1;
      fs::create_directories(scratch[j].dir);
    }
    std::fprintf(out_, "building the unmutated model in %zu scratch cop%s under %s\n", scratch.size(),
                 scratch.size() == 1 ? "y" : "ies", work.string().c_str());
    std::fflush(out_);
    for (auto &s : scratch)
      if (std::string err = s.prepare(o_.source); !err.empty()) {
        std::fprintf(out_, "gupcheck mutate: %s\n", err.c_str());
        return 3;
      }
    baseline_ = work / "baseline-gupcheck";
    fs::copy_file(scratch[0].bin, baseline_, fs::copy_options::overwrite_existing);
    for (int seed = 1; seed <= o_.seeds; seed++) {
      const CampaignRun r = run_campaign(baseline_, scratch[0].dir, seed, o_);
      if (r.status != 0) {
        std::fprintf(out_, "gupcheck mutate: the unmutated model fails its own campaign (seed %d, exit %d): %s\n",
                     seed, r.status, r.result.c_str());
        return 3;
      }
    }
    std::fprintf(out_, "baseline: the unmutated model holds for seeds 1-%d at %g s each\n", o_.seeds, o_.budget);
    std::fflush(out_);

    results_.resize(mutants.size());
    next_ = 0;
    std::vector<std::thread> threads;
    for (int j = 0; j < jobs; j++)
      threads.emplace_back([this, &mutants, &scratch, j] { work_loop(mutants, scratch[j]); });
    for (auto &t : threads) t.join();

    std::map<Fate, int> n;
    for (const auto &r : results_) n[r.fate]++;
    const int counted = n[Fate::Killed] + n[Fate::Survived];
    std::fprintf(out_, "score: %d killed / %d non-equivalent = %.1f%% (%d survived, %d equivalent-suspect, %d unbuildable)\n",
                 n[Fate::Killed], counted, counted ? 100.0 * n[Fate::Killed] / counted : 100.0, n[Fate::Survived],
                 n[Fate::EquivalentSuspect], n[Fate::Unbuildable]);
    return n[Fate::Survived] ? 1 : 0;
  }

  const std::vector<MutantResult> &results() const { return results_; }

 private:
  void work_loop(const std::vector<Mutant> &mutants, Scratch &s) {
    for (;;) {
      size_t i;
      {
        std::lock_guard<std::mutex> l(mu_);
        if (next_ >= mutants.size()) return;
        i = next_++;
      }
      MutantResult r = judge(mutants[i], s);
      std::lock_guard<std::mutex> l(mu_);
      results_[i] = r;
      print(r);
    }
  }

  MutantResult judge(const Mutant &m, Scratch &s) {
    MutantResult r;
    r.mutant = m;
    const fs::path file = s.src / m.file;
    const std::string original = slurp(file);
    spit(file, apply_mutant(original, m));
    if (std::string err = s.build(); !err.empty()) {
      r.fate = Fate::Unbuildable;
      r.detail = err;
    } else {
      r.fate = Fate::Survived;
      for (int seed = 1; seed <= o_.seeds && r.fate == Fate::Survived; seed++) {
        const CampaignRun c = run_campaign(s.bin, s.dir, seed, o_);
        r.seconds += c.seconds;
        if (c.status == 0) continue;
        r.fate = Fate::Killed;
        std::string result = c.result;
        for (const char *prefix : {"result: VIOLATION ", "result: "})
          if (result.rfind(prefix, 0) == 0) {
            result = result.substr(std::string(prefix).size());
            break;
          }
        const std::string why = c.status == 1   ? result
                                : c.status == 3 ? "model bug: " + result
                                : c.status == 124 || c.status == 137 ? std::string("timeout (a hang)")
                                : c.status > 128 ? "crash (signal " + std::to_string(c.status - 128) + ")"
                                                 : "exit " + std::to_string(c.status) + ": " + result;
        r.by = why + " (seed " + std::to_string(seed) + ")";
      }
      if (r.fate == Fate::Survived) r.difference = difference(s);
      if (r.fate == Fate::Survived && r.difference.empty()) r.fate = Fate::EquivalentSuspect;
    }
    spit(file, original);
    return r;
  }

  // Where the mutant in s behaves differently from the unmutated model, or "".
  std::string difference(Scratch &s) {
    const std::vector<fs::path> traces = corpus(o_.source);
    for (const fs::path &t : traces) {
      const std::string mine = replay(s.bin, s.dir, t);
      const std::string base = baseline_replay(t, s);
      if (mine != base)
        return "replays differently: " + bin_relative(t) + " (gupcheck replay " + bin_relative(t) + ")\n      " +
               first_difference(base, mine);
    }
    const std::string mine = coverage(s.bin, s.dir, o_.equivalence_cases);
    std::string base;
    {
      std::lock_guard<std::mutex> l(mu_);
      base = baseline_coverage_;
    }
    if (base.empty()) {
      base = coverage(baseline_, s.dir, o_.equivalence_cases);
      std::lock_guard<std::mutex> l(mu_);
      baseline_coverage_ = base;
    }
    if (mine != base)
      return "coverage differs (gupcheck fuzz --seed 1 --cases " + std::to_string(o_.equivalence_cases) +
             " --stats): " + first_difference(base, mine);
    return "";
  }

  std::string baseline_replay(const fs::path &t, Scratch &s) {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (auto it = baseline_replays_.find(t.string()); it != baseline_replays_.end()) return it->second;
    }
    const std::string base = replay(baseline_, s.dir, t);
    std::lock_guard<std::mutex> l(mu_);
    baseline_replays_[t.string()] = base;
    return base;
  }

  std::string bin_relative(const fs::path &t) const { return fs::relative(t, o_.source).string(); }

  void print(const MutantResult &r) {
    const Mutant &m = r.mutant;
    std::string where = m.models.empty() ? m.function + "()" : m.models;
    std::fprintf(out_, "%-18s %s:%d %s [%s]", fate_name(r.fate), m.file.c_str(), m.line, m.id.c_str(), where.c_str());
    if (r.fate == Fate::Killed) std::fprintf(out_, " by %s", r.by.c_str());
    if (r.fate == Fate::Unbuildable) std::fprintf(out_, ": %s", r.detail.c_str());
    std::fprintf(out_, "\n");
    if (r.fate == Fate::Survived || r.fate == Fate::EquivalentSuspect)
      std::fprintf(out_, "    - %s\n    + %s\n", trim(m.before).c_str(), trim(m.after).c_str());
    if (r.fate == Fate::Survived) std::fprintf(out_, "    differs from the unmutated model: %s\n", r.difference.c_str());
    std::fflush(out_);
  }

  const MutateOptions &o_;
  std::FILE *out_;
  fs::path baseline_;
  std::mutex mu_;
  size_t next_ = 0;
  std::vector<MutantResult> results_;
  std::map<std::string, std::string> baseline_replays_;
  std::string baseline_coverage_;
};

}  // namespace

int run_mutate(const MutateOptions &opt, std::FILE *out) {
  MutateOptions o = opt;
  const fs::path source = fs::absolute(o.source).lexically_normal();
  o.source = source.string();
  if (!fs::exists(source / "CMakeLists.txt") || !fs::exists(source / "model" / "kernel.h")) {
    std::fprintf(stderr, "gupcheck mutate: %s is not a gupcheck source tree (use --source)\n", o.source.c_str());
    return 2;
  }
  if (o.work.empty()) o.work = (source / "build" / "mutate").string();
  o.work = fs::absolute(o.work).lexically_normal().string();
  std::vector<std::string> files = o.files;
  if (files.empty()) {
    for (const auto &e : fs::directory_iterator(source / "model"))
      if (e.path().extension() == ".cpp") files.push_back("model/" + e.path().filename().string());
    std::sort(files.begin(), files.end());
  }
  std::vector<Mutant> all;
  for (const std::string &f : files) {
    if (f.rfind("model/", 0) != 0 || fs::path(f).extension() != ".cpp" || !fs::exists(source / f)) {
      std::fprintf(stderr, "gupcheck mutate: --files: %s is not a model/*.cpp file of %s\n", f.c_str(),
                   o.source.c_str());
      return 2;
    }
    std::vector<Mutant> m = generate_mutants(f, slurp(source / f));
    all.insert(all.end(), m.begin(), m.end());
  }
  std::vector<Mutant> chosen;
  if (!o.only.empty()) {
    for (const std::string &id : o.only) {
      auto it = std::find_if(all.begin(), all.end(), [&](const Mutant &m) { return m.id == id; });
      if (it == all.end()) {
        std::fprintf(stderr, "gupcheck mutate: no mutant %s (see gupcheck mutate --list)\n", id.c_str());
        return 2;
      }
      chosen.push_back(*it);
    }
  } else {
    chosen = all;
    if (o.sample && o.sample < chosen.size()) {
      std::mt19937_64 rng(o.sample_seed);
      std::shuffle(chosen.begin(), chosen.end(), rng);
      chosen.resize(o.sample);
      std::sort(chosen.begin(), chosen.end(),
                [](const Mutant &a, const Mutant &b) { return std::tie(a.file, a.line, a.id) < std::tie(b.file, b.line, b.id); });
    }
  }
  if (chosen.empty()) {
    std::fprintf(stderr, "gupcheck mutate: no mutants in the files given\n");
    return 2;
  }
  if (o.list_only) {
    for (const Mutant &m : chosen)
      std::fprintf(out, "%s %s:%d %s\n    - %s\n    + %s\n", m.id.c_str(), m.file.c_str(), m.line,
                   m.models.empty() ? (m.function + "()").c_str() : m.models.c_str(), trim(m.before).c_str(),
                   trim(m.after).c_str());
    std::fprintf(out, "%zu mutants\n", chosen.size());
    return 0;
  }
  std::fprintf(out, "gupcheck mutate: %zu of %zu mutants in %zu file%s", chosen.size(), all.size(), files.size(),
               files.size() == 1 ? "" : "s");
  if (o.sample && o.only.empty()) std::fprintf(out, " (random sample, --sample-seed %llu)", (unsigned long long)o.sample_seed);
  std::fprintf(out, ", campaign: mainline, seeds 1-%d, %g s each, %s, %d job%s\n", o.seeds, o.budget,
               o.invariants.empty() ? "every invariant" : ("invariants " + o.invariants).c_str(), o.jobs,
               o.jobs == 1 ? "" : "s");
  std::fflush(out);
  Runner r(o, out);
  return r.run(chosen);
}

}  // namespace gupcheck::campaign
