// SPDX-License-Identifier: GPL-2.0-only
//
// `gupcheck repro`: a standalone C program (syzkaller-reproducer style) that
// replays a live-expressible trace on a real kernel and prints what happened.
// The program embeds live/live.h and live/live.c verbatim, so it makes the
// very system calls the differential oracle makes.
#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>

#include "live/live.h"
#include "live/live_embedded.h"
#include "live/oracle.h"
#include "model/variant.h"
#include "properties/live_ops.h"
#include "properties/observe.h"
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
  // The model's prediction of every step, as the differential oracle makes it
  // (props::ModelOracle: the live mechanisms' semantics, the same
  // observations), on the trace's variant.
  const model::variant_info *vi = model::find_variant(t.variant);
  props::ModelOracle model(vi ? vi->sw : model::variant_switches{});
  Placement pl;
  props::Visibility vis;
  props::Creators creators;
  std::string ops, texts, obs, steps, results, pages;
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
    props::StepObs m;
    m.result = model.run(op, i, creator);
    model.observe(sites, m);
    // Byte-counting mechanisms report bytes; the model counts pages.
    const bool bytes = props::live_ret_in_pages(props::live_mechanism(op, creator), 4096) == 1;
    results += fmt("  {%ld, %d, %d, 0x%" PRIx64 "ull, %d},\n", m.result.ret, m.result.signal, int(m.result.has_value),
                   m.result.value, int(bytes));
    // The program numbers the frames of each step afresh, in order of first
    // appearance (its comment says so); the oracle's classes last the whole
    // trace (props::FrameClasses), so renumber them the program's way.
    std::vector<int> step_class;
    for (const props::PageObs &p : m.pages) {
      int frame = -1;
      if (p.frame >= 0) {
        auto it = std::find(step_class.begin(), step_class.end(), p.frame);
        frame = int(it - step_class.begin());
        if (it == step_class.end()) step_class.push_back(p.frame);
      }
      pages += fmt("  {%d, %d, %d, %d, %d, %ld, %d},\n", int(p.present), int(p.zero), int(p.anon), int(p.file),
                   int(p.exclusive), p.mapcount, frame);
    }
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
       " * and checks every step against what gupcheck's model predicted: the step's result\n"
       " * and the pages of every mapping afterwards. Prints kselftest-style TAP (ok N /\n"
       " * not ok N, the differences as # lines); exit 0 when every step agrees, 1 on a\n"
       " * divergence, 4 (KSFT_SKIP) without root or /proc/kpageflags, 2 when the run\n"
       " * itself fails. Build: cc -O2 -o repro repro.c && ./repro\n *\n";
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
  c += " *\n * Byte counts (O_DIRECT, vmsplice, process_vm_*v, /proc/PID/mem) are compared in pages.\n"
       " * frame#N numbers the frames of one step in order of first appearance.\n */\n";
  c += "#define _GNU_SOURCE\n#define LIVE_EMBEDDED\n";
  c += kLiveHSource;
  c += "\n";
  c += kLiveCSource;
  c += "\n/* ---- the trace and the model's predictions ---- */\n";
  c += "static const struct live_op ops[] = {\n" + (ops.empty() ? std::string("  {0},\n") : ops) + "};\n";
  c += "static const char *const texts[] = {\n" + (texts.empty() ? std::string("  \"\",\n") : texts) + "};\n";
  c += "struct obs_group { int slot; uint64_t addr; size_t npages; unsigned proc, map; };\n";
  c += "static const struct obs_group groups[] = {\n" + (obs.empty() ? std::string("  {0},\n") : obs) + "};\n";
  c += "struct step_obs { size_t first, count; };\n";
  c += "static const struct step_obs step_obs[] = {\n" + (steps.empty() ? std::string("  {0, 0},\n") : steps) + "};\n";
  c += "struct expect_result { long ret; int signal, has_value; unsigned long long value; int bytes; };\n";
  c += "static const struct expect_result expect_results[] = {\n" +
       (results.empty() ? std::string("  {0, 0, 0, 0, 0},\n") : results) + "};\n";
  c += "struct expect_page { int present, zero, anon, file, excl; long mapcount; int frame; };\n";
  c += "static const struct expect_page expect_pages[] = {\n" +
       (pages.empty() ? std::string("  {0, 0, 0, 0, 0, 0, -1},\n") : pages) + "};\n";
  c += "#define NSTEPS " + std::to_string(t.ops.size()) + "\n";
  c += R"C(
static void describe_result(char *buf, size_t n, long ret, int signal, int has_value, unsigned long long value) {
  int k = signal ? snprintf(buf, n, "signal %d", signal) : snprintf(buf, n, "%ld", ret);
  if (has_value && k >= 0 && (size_t)k < n) snprintf(buf + k, n - k, " value=0x%llx", value);
}

static void describe_page(char *buf, size_t n, const struct expect_page *p) {
  if (!p->present) {
    snprintf(buf, n, "-");
    return;
  }
  snprintf(buf, n, "present%s%s%s%s mc=%ld frame#%d", p->zero ? " zero" : "", p->anon ? " anon" : "",
           p->file ? " file" : "", p->excl ? " excl" : "", p->mapcount, p->frame);
}

int main(void) {
  printf("TAP version 13\n");
  const char *why = live_unavailable();
  if (*why) {
    printf("1..0 # SKIP %s\n", why);
    return 4;
  }
  char err[256];
  struct live *L = live_open("", 5000, err, sizeof err);
  if (!L) {
    printf("Bail out! %s\n", err);
    return 2;
  }
  printf("1..%d\n", NSTEPS);
  static struct live_page pages[LIVE_MAX_PAGES];
  static uint64_t seen[LIVE_MAX_PROCS * LIVE_MAX_PAGES];
  static char diag[1 << 16];
  char a[128], b[128];
  size_t pi = 0;
  int failed = 0;
  for (size_t i = 0; i < NSTEPS; i++) {
    struct live_result r;
    memset(&r, 0, sizeof r);
    if (live_step(L, &ops[i], &r) < 0) {
      printf("Bail out! step %zu: %s\n", i + 1, live_error(L));
      live_close(L);
      return 2;
    }
    size_t dl = 0;
    diag[0] = 0;
    const struct expect_result *e = &expect_results[i];
    long ret = r.ret;
    if (e->bytes && ret > 0 && ret % 4096 == 0) ret /= 4096;
    int bad = ret != e->ret || r.signal != e->signal || !!r.has_value != e->has_value ||
              (e->has_value && (unsigned long long)r.value != e->value);
    describe_result(a, sizeof a, e->ret, e->signal, e->has_value, e->value);
    describe_result(b, sizeof b, ret, r.signal, r.has_value, (unsigned long long)r.value);
    dl += snprintf(diag + dl, sizeof diag - dl, "#   result  model %s, kernel %s%s\n", a, b, bad ? "  <<" : "");
    size_t nseen = 0;
    for (size_t g = step_obs[i].first; g < step_obs[i].first + step_obs[i].count; g++) {
      const struct obs_group *o = &groups[g];
      if (live_observe(L, o->slot, o->addr, o->npages, pages) < 0) {
        printf("Bail out! observe: %s\n", live_error(L));
        live_close(L);
        return 2;
      }
      for (size_t p = 0; p < o->npages; p++, pi++) {
        const struct live_page *pg = &pages[p];
        struct expect_page got = {0, 0, 0, 0, 0, 0, -1};
        if (pg->present) {
          size_t f = 0;
          while (f < nseen && seen[f] != pg->pfn) f++;
          if (f == nseen) seen[nseen++] = pg->pfn;
          got = (struct expect_page){1, !!pg->zero, !!pg->anon, !!pg->file, !!pg->exclusive, pg->mapcount, (int)f};
        }
        const struct expect_page *want = &expect_pages[pi];
        const int differs = got.present != want->present ||
                            (got.present && (got.zero != want->zero || got.anon != want->anon ||
                                             got.file != want->file || got.excl != want->excl ||
                                             got.mapcount != want->mapcount || got.frame != want->frame));
        bad |= differs;
        describe_page(a, sizeof a, &got);
        if (differs) {
          describe_page(b, sizeof b, want);
          dl += snprintf(diag + dl, sizeof diag - dl, "#   p%u m%u+%zu  %s (model: %s)  <<\n", o->proc, o->map, p,
                         a, b);
        } else {
          dl += snprintf(diag + dl, sizeof diag - dl, "#   p%u m%u+%zu  %s\n", o->proc, o->map, p, a);
        }
        if (dl >= sizeof diag) dl = sizeof diag - 1;
      }
    }
    failed += bad;
    printf("%sok %zu step %zu: %s\n%s", bad ? "not " : "", i + 1, i + 1, texts[i], diag);
    fflush(stdout);
  }
  live_close(L);
  printf("# %d of %d steps diverge from the model\n", failed, NSTEPS);
  return failed ? 1 : 0;
}
)C";
  return c;
}

}  // namespace gupcheck::live
