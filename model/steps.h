// SPDX-License-Identifier: GPL-2.0-only
//
// GUP as a sequence of steps. The kernel's GUP is not atomic: the slow path
// may drop and retake mmap_lock after faultin_page() (and checks for signals
// and reschedules between pages), and GUP-fast walks the page tables without
// any lock, grabs the folio, then rechecks the PTE and mm->write_protect_seq.
// Another thread can act at each of those points.
//
// The model's GUP functions are C++20 coroutines that suspend at each such
// interleave point (co_yield an interleave_point) and return the GUP's
// return value. A synchronous caller runs a gup_task to its end
// (run_to_end()); the executor resumes a task one point at a time and runs
// other operations of the trace in between. No threads: the interleaving is
// chosen by the trace, so a run is deterministic.
#pragma once

#include <coroutine>
#include <exception>
#include <utility>

namespace gupcheck::model {

// Where a GUP call stopped. `where` is a static string naming the kernel
// point; `page` the index (from the call's first page) it concerns.
struct interleave_point {
  const char *where = "";
  long page = 0;
  bool fast = false;  // inside GUP-fast's lockless section
};

class gup_task {
 public:
  struct promise_type {
    long result = 0;
    interleave_point point;
    std::exception_ptr exc;
    gup_task get_return_object() { return gup_task(std::coroutine_handle<promise_type>::from_promise(*this)); }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    std::suspend_always yield_value(interleave_point p) noexcept {
      point = p;
      return {};
    }
    void return_value(long v) noexcept { result = v; }
    void unhandled_exception() noexcept { exc = std::current_exception(); }
  };

  gup_task() = default;
  explicit gup_task(std::coroutine_handle<promise_type> h) : h_(h) {}
  gup_task(gup_task &&o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  gup_task &operator=(gup_task &&o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, nullptr);
    }
    return *this;
  }
  gup_task(const gup_task &) = delete;
  gup_task &operator=(const gup_task &) = delete;
  ~gup_task() {
    if (h_) h_.destroy();
  }

  // Runs to the next interleave point. Return: true when stopped at a point,
  // false when the call has returned. Rethrows what the model threw.
  bool resume() {
    if (!h_ || h_.done()) return false;
    h_.resume();
    if (h_.promise().exc) std::rethrow_exception(std::exchange(h_.promise().exc, nullptr));
    return !h_.done();
  }
  bool valid() const { return bool(h_); }
  bool done() const { return !h_ || h_.done(); }
  long result() const { return h_.promise().result; }
  const interleave_point &point() const { return h_.promise().point; }

 private:
  std::coroutine_handle<promise_type> h_;
};

// Runs a task to its end without interleaving. Return: its result.
inline long run_to_end(gup_task t) {
  while (t.resume()) {
  }
  return t.result();
}

}  // namespace gupcheck::model

// Inside a gup_task coroutine: runs the sub-task EXPR, passing each of its
// interleave points up, and stores its result in VAR.
#define GUP_AWAIT(var, expr)                         \
  do {                                               \
    ::gupcheck::model::gup_task sub_task_ = (expr);  \
    while (sub_task_.resume()) co_yield sub_task_.point(); \
    var = sub_task_.result();                        \
  } while (0)
