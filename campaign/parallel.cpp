// SPDX-License-Identifier: GPL-2.0-only
#include "campaign/parallel.h"

#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "properties/annotate.h"

namespace gupcheck::parallel {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

long first_case(int shard, int shard_count, int jobs, int worker) {
  (void)jobs;
  return long(shard - 1) + long(shard_count) * worker;
}

long case_stride(int shard_count, int jobs) { return long(shard_count) * jobs; }

namespace {

constexpr int kMaxJobs = 256;

// In memory shared by the parent and its workers (MAP_SHARED, before fork).
struct Shared {
  std::atomic<long> bound{LONG_MAX};
  struct PerWorker {
    std::atomic<long> cases{0}, ops{0}, last_case{-1};
  } w[kMaxJobs];
};
static_assert(std::atomic<long>::is_always_lock_free, "atomics in shared memory must be lock-free");

// The shrunk trace as the dedup key and report sees it: without the notes
// (which name the case), with the resume points as the trace file has them.
std::string plain_trace(trace::Trace t, const model::variant_switches &sw) {
  t.notes.clear();
  return props::print_annotated_trace(t, sw);
}

bool write_all(int fd, const std::string &s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += size_t(n);
  }
  return true;
}

// The worker process: runs its part, sends one JSON object, exits.
[[noreturn]] void worker_main(const Config &cfg, int w, Shared *sh, int fd) {
  campaign::Config c = cfg.base;
  c.first_case = first_case(cfg.shard, cfg.shard_count, cfg.jobs, w);
  c.case_stride = case_stride(cfg.shard_count, cfg.jobs);
  c.case_bound = &sh->bound;
  c.name_by_case = true;
  c.shard = cfg.shard;
  c.shard_count = cfg.shard_count;
  c.jobs = cfg.jobs;
  c.stop_ends_shrinking = false;  // SIGTERM: end after the current case, which may be a shrinking
  c.progress_interval = 0;  // every case: the parent reads the counters
  // A test hook: GUPCHECK_TEST_CRASH_WORKER=W makes worker W crash after its
  // second case, so the tests can check that nothing else is lost.
  const char *crash = std::getenv("GUPCHECK_TEST_CRASH_WORKER");
  const bool must_crash = crash && std::atoi(crash) == w;
  auto &me = sh->w[w];
  c.on_progress = [&me, must_crash, &c](const campaign::Progress &p) {
    me.cases.store(p.cases, std::memory_order_relaxed);
    me.ops.store(p.ops, std::memory_order_relaxed);
    me.last_case.store(c.first_case + (p.cases - 1) * c.case_stride, std::memory_order_relaxed);
    if (must_crash && p.cases >= 2) std::abort();
  };
  json j;
  try {
    campaign::Result r = campaign::run(c);
    j["cases"] = r.cases;
    j["ops"] = r.ops;
    j["interrupted"] = r.interrupted;
    j["found"] = r.found;
    j["branches"] = r.branches.raw();
    if (c.stats) j["stats"] = c.stats->raw();  // this process's copy, counted by campaign::run()
    if (r.found) {
      const campaign::Finding &f = r.finding;
      j["invariant"] = f.violation.invariant;
      j["why"] = f.violation.why;
      j["internal"] = f.violation.internal;
      j["case"] = f.case_index;
      j["case_seed"] = f.case_seed;
      j["original_ops"] = f.original.ops.size();
      j["shrunk_ops"] = f.shrunk.ops.size();
      j["trace"] = plain_trace(f.shrunk, c.sw);
      j["trace_file"] = f.trace_file;
      j["files"] = f.files;
      j["write_errors"] = f.write_errors;
    }
  } catch (const std::exception &e) {
    j["error"] = e.what();
  }
  const bool ok = write_all(fd, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  ::close(fd);
  std::fflush(nullptr);
  _exit(ok ? 0 : 3);
}

std::string describe_status(int status) {
  if (WIFSIGNALED(status))
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  return "ended with wait status " + std::to_string(status);
}

}  // namespace

campaign::CampaignSummary run(const Config &cfg) {
  if (cfg.jobs < 1 || cfg.jobs > kMaxJobs) throw std::invalid_argument("jobs must be between 1 and 256");
  if (cfg.shard < 1 || cfg.shard > cfg.shard_count) throw std::invalid_argument("shard out of range");

  campaign::CampaignSummary s;
  s.variant = cfg.base.variant;
  s.seed = cfg.base.seed;
  s.shard_count = cfg.shard_count;
  s.shards = {cfg.shard};
  s.jobs = cfg.jobs;
  s.case_budget = cfg.base.max_cases;
  s.time_budget = cfg.base.max_cases >= 0 ? 0 : cfg.base.time_limit;
  s.max_size = cfg.base.max_size;
  s.guide = cfg.base.guide;

  void *mem = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) throw std::runtime_error(std::string("mmap of shared counters: ") + std::strerror(errno));
  Shared *sh = new (mem) Shared;

  struct Child {
    pid_t pid = -1;
    int fd = -1;
    std::string data;
    bool eof = false;
  };
  std::vector<Child> kids(size_t(cfg.jobs));
  auto children_cpu = [] {
    rusage ru{};
    getrusage(RUSAGE_CHILDREN, &ru);
    return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           1e-6 * double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
  };
  const double cpu_start = children_cpu();
  const auto start = Clock::now();
  std::fflush(nullptr);  // nothing buffered is written twice
  for (int w = 0; w < cfg.jobs; w++) {
    int p[2];
    if (pipe(p) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
      ::close(p[0]);
      for (int v = 0; v < w; v++) ::close(kids[size_t(v)].fd);
      worker_main(cfg, w, sh, p[1]);
    }
    ::close(p[1]);
    kids[size_t(w)].pid = pid;
    kids[size_t(w)].fd = p[0];
  }

  // Collect results; print the merged progress; pass a stop request on.
  bool forwarded = false;
  auto last_progress = start;
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<size_t> who;
    for (size_t i = 0; i < kids.size(); i++)
      if (!kids[i].eof) fds.push_back({kids[i].fd, POLLIN, 0}), who.push_back(i);
    if (fds.empty()) break;
    if (cfg.base.stop && cfg.base.stop->load() && !forwarded) {
      for (auto &k : kids) ::kill(k.pid, SIGTERM);
      forwarded = true;
    }
    const int n = poll(fds.data(), fds.size(), 100);
    if (n < 0 && errno != EINTR) throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
    for (size_t i = 0; n > 0 && i < fds.size(); i++) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      Child &k = kids[who[i]];
      char buf[65536];
      ssize_t r = ::read(k.fd, buf, sizeof buf);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        k.eof = true;
        ::close(k.fd);
      } else {
        k.data.append(buf, size_t(r));
      }
    }
    const double el = std::chrono::duration<double>(Clock::now() - start).count();
    if (cfg.on_progress && std::chrono::duration<double>(Clock::now() - last_progress).count() >=
                               cfg.base.progress_interval) {
      last_progress = Clock::now();
      long c = 0, o = 0;
      for (int w = 0; w < cfg.jobs; w++) c += sh->w[w].cases.load(), o += sh->w[w].ops.load();
      cfg.on_progress(c, o, el);
    }
  }

  for (int w = 0; w < cfg.jobs; w++) {
    Child &k = kids[size_t(w)];
    int status = 0;
    while (waitpid(k.pid, &status, 0) < 0 && errno == EINTR) {
    }
    campaign::WorkerSummary ws;
    ws.shard = cfg.shard;
    ws.id = w;
    ws.cases = sh->w[w].cases.load();
    ws.ops = sh->w[w].ops.load();
    ws.last_case = sh->w[w].last_case.load();
    json j;
    bool parsed = false;
    if (!k.data.empty()) {
      try {
        j = json::parse(k.data);
        parsed = true;
      } catch (const json::exception &) {
      }
    }
    if (!parsed || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      ws.status = "crashed";
      // The case it was running: a counterexample it had found there is on
      // disk as INVARIANT-seedS-caseC.unshrunk.trace even if shrinking crashed.
      const long running = ws.last_case < 0 ? first_case(cfg.shard, cfg.shard_count, cfg.jobs, w)
                                            : ws.last_case + case_stride(cfg.shard_count, cfg.jobs);
      ws.detail = describe_status(status) + " while running case " + std::to_string(running);
      if (!cfg.base.out_dir.empty())
        ws.detail += "; any trace it found there: " + cfg.base.out_dir + "/*-seed" + std::to_string(cfg.base.seed) +
                     "-case" + std::to_string(running) + ".unshrunk.trace";
    } else if (j.contains("error")) {
      ws.status = "error";
      ws.detail = j["error"].get<std::string>();
    } else {
      ws.cases = j["cases"].get<long>();
      ws.ops = j["ops"].get<long>();
      ws.status = j["found"].get<bool>() ? "found" : j["interrupted"].get<bool>() ? "interrupted" : "ok";
      if (j["interrupted"].get<bool>()) s.interrupted = true;
      if (cfg.base.stats && j.contains("stats")) *cfg.base.stats += props::Stats::from_raw(j["stats"]);
      if (j.contains("branches")) s.branches += props::BranchCoverage::from_raw(j["branches"]);
      if (j["found"].get<bool>()) {
        campaign::FindingSummary f;
        f.invariant = j["invariant"].get<std::string>();
        f.why = j["why"].get<std::string>();
        f.internal = j["internal"].get<bool>();
        f.case_index = j["case"].get<long>();
        f.case_seed = j["case_seed"].get<uint64_t>();
        f.worker = w;
        f.shard = cfg.shard;
        f.original_ops = j["original_ops"].get<size_t>();
        f.shrunk_ops = j["shrunk_ops"].get<size_t>();
        f.trace = j["trace"].get<std::string>();
        f.trace_file = j["trace_file"].get<std::string>();
        f.files = j["files"].get<std::vector<std::string>>();
        for (const auto &e : j["write_errors"]) ws.detail += (ws.detail.empty() ? "" : "; ") + e.get<std::string>();
        campaign::add_finding(s, f);
      }
    }
    s.cases += ws.cases;
    s.ops += ws.ops;
    s.workers.push_back(ws);
  }
  for (auto &f : s.findings) f.first_of_shard = f.case_index == s.findings.front().case_index;
  if (cfg.base.stop && cfg.base.stop->load()) s.interrupted = true;
  s.elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  s.cpu_seconds = children_cpu() - cpu_start;
  sh->~Shared();
  munmap(mem, sizeof(Shared));
  return s;
}

}  // namespace gupcheck::parallel
