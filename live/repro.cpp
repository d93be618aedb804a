// SPDX-License-Identifier: GPL-2.0-only
//
// `gupcheck repro`: a standalone C program (syzkaller-reproducer style) that
// replays a live-expressible trace on a real kernel and prints what happened.
// The program embeds live/live.h and live/live.c verbatim, so it makes the
// very system calls the differential oracle makes.
#include <cinttypes>
#include <cstdarg>
#include <cstdio>

#include "live/live.h"
#include "live/live_embedded.h"
#include "live/oracle.h"
#include "trace/text.h"

namespace gupcheck::live {

namespace {

std::string c_string(const std::string &s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (c == '\n') {
      o += "\\n";
      continue;
    }
    o += c;
  }
  return o + "\"";
}

std::string fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char *f, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, f);
  std::vsnprintf(buf, sizeof buf, f, ap);
  va_end(ap);
  return buf;
}

}  // namespace

std::string c_reproducer(const trace::Trace &t) {
  Placement pl;
  props::Visibility vis;
  props::Creators creators;
  std::string ops, texts, obs, steps;
  size_t nobs = 0;
  for (size_t i = 0; i < t.ops.size(); i++) {
    const trace::Op &op = t.ops[i];
    const trace::Op *creator = creators.of(op);
    ::live_op o;
    if (!LiveKernel::translate(op, i, creator, pl, o))
      throw props::bad_trace("step " + std::to_string(i + 1) + " is not live-expressible: " +
                             props::live_unexpressible_reason(op, creator));
    creators.apply(op);
    vis.apply(op);
    ops += fmt("  {%d, %d, %d, %d, %d, %d, %d, %d, %d, 0x%" PRIx64 "ull, %" PRIu64 "ull, 0x%" PRIx64 "ull, %d},\n",
               o.kind, o.proc, o.child, o.gup, o.backing, o.shared, o.prot, o.file, o.advice, o.addr, o.npages,
               o.value, o.populate);
    texts += "  " + c_string(trace::print_op(op)) + ",\n";
    const auto sites = vis.sites();
    const size_t first = nobs;
    for (size_t a = 0; a < sites.size();) {
      size_t b = a;
      while (b < sites.size() && sites[b].proc == sites[a].proc && sites[b].map == sites[a].map) b++;
      obs += fmt("  {%d, 0x%" PRIx64 "ull, %zu, %u, %u},\n", pl.proc_slot.at(sites[a].proc),
                 pl.address(sites[a].map, 0), b - a, sites[a].proc, sites[a].map);
      nobs++;
      a = b;
    }
    steps += fmt("  {%zu, %zu},\n", first, nobs - first);
  }
  std::string c;
  c += "// SPDX-License-Identifier: GPL-2.0-only\n";
  c += "/*\n * gupcheck reproducer: replays this trace on the running Linux kernel (run as root)\n"
       " * and prints each step's result and the pages of every mapping afterwards.\n"
       " * Build: cc -O2 -o repro repro.c && ./repro\n *\n";
  {
    std::string text = trace::print_trace(t);
    size_t p = 0;
    while (p < text.size()) {
      size_t e = text.find('\n', p);
      if (e == std::string::npos) e = text.size();
      std::string line = text.substr(p, e - p);
      for (size_t k; (k = line.find("*/")) != std::string::npos;) line.replace(k, 2, "* /");
      c += " *   " + line + "\n";
      p = e + 1;
    }
  }
  c += " *\n * Results are raw: byte counts for O_DIRECT, vmsplice, process_vm_*v and /proc/PID/mem.\n"
       " * frame#N numbers the frames of one step in order of first appearance.\n */\n";
  c += "#define _GNU_SOURCE\n#define LIVE_EMBEDDED\n";
  c += kLiveHSource;
  c += "\n";
  c += kLiveCSource;
  c += "\n/* ---- the trace ---- */\n";
  c += "static const struct live_op ops[] = {\n" + (ops.empty() ? std::string("  {0},\n") : ops) + "};\n";
  c += "static const char *const texts[] = {\n" + (texts.empty() ? std::string("  \"\",\n") : texts) + "};\n";
  c += "struct obs_group { int slot; uint64_t addr; size_t npages; unsigned proc, map; };\n";
  c += "static const struct obs_group groups[] = {\n" + (obs.empty() ? std::string("  {0},\n") : obs) + "};\n";
  c += "struct step_obs { size_t first, count; };\n";
  c += "static const struct step_obs step_obs[] = {\n" + (steps.empty() ? std::string("  {0, 0},\n") : steps) + "};\n";
  c += "#define NSTEPS " + std::to_string(t.ops.size()) + "\n";
  c += R"C(
int main(void) {
  const char *why = live_unavailable();
  if (*why) {
    fprintf(stderr, "repro: %s\n", why);
    return 2;
  }
  char err[256];
  struct live *L = live_open("", 5000, err, sizeof err);
  if (!L) {
    fprintf(stderr, "repro: %s\n", err);
    return 2;
  }
  static struct live_page pages[LIVE_MAX_PAGES];
  static uint64_t seen[LIVE_MAX_PROCS * LIVE_MAX_PAGES];
  for (size_t i = 0; i < NSTEPS; i++) {
    struct live_result r;
    if (live_step(L, &ops[i], &r) < 0) {
      fprintf(stderr, "repro: step %zu: %s\n", i + 1, live_error(L));
      live_close(L);
      return 3;
    }
    printf("step %zu: %s\n  result: ", i + 1, texts[i]);
    if (r.signal)
      printf("signal %d", r.signal);
    else
      printf("%ld", r.ret);
    if (r.has_value) printf(" value=0x%llx", (unsigned long long)r.value);
    printf("\n");
    size_t nseen = 0;
    for (size_t g = step_obs[i].first; g < step_obs[i].first + step_obs[i].count; g++) {
      const struct obs_group *o = &groups[g];
      if (live_observe(L, o->slot, o->addr, o->npages, pages) < 0) {
        fprintf(stderr, "repro: observe: %s\n", live_error(L));
        live_close(L);
        return 3;
      }
      for (size_t p = 0; p < o->npages; p++) {
        const struct live_page *pg = &pages[p];
        printf("  p%u m%u+%zu  ", o->proc, o->map, p);
        if (!pg->present) {
          printf("-\n");
          continue;
        }
        size_t f = 0;
        while (f < nseen && seen[f] != pg->pfn) f++;
        if (f == nseen) seen[nseen++] = pg->pfn;
        printf("present%s%s%s%s mc=%ld frame#%zu\n", pg->zero ? " zero" : "", pg->anon ? " anon" : "",
               pg->file ? " file" : "", pg->exclusive ? " excl" : "", pg->mapcount, f);
      }
    }
  }
  live_close(L);
  return 0;
}
)C";
  return c;
}

}  // namespace gupcheck::live
