// SPDX-License-Identifier: GPL-2.0-only
//
// Atomic file writes (see write.h).
#include "campaign/write.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <functional>
#include <stdexcept>

namespace gupcheck::campaign {

namespace {

[[noreturn]] void fail(const std::string &what, const std::string &path, int err) {
  throw std::runtime_error("cannot " + what + " " + path + ": " + std::strerror(err));
}

// The directory holding path, for the fsync() that makes the rename durable.
std::string dir_of(const std::string &path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// What is at path, symbolic links followed.
enum class Target { Missing, Regular, WriteThrough, Refused };

struct Resolved {
  Target kind = Target::Missing;
  std::string path;    // where to write: the link's target for a symbolic link
  std::string reason;  // Refused: why
};

// "-", /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N: a descriptor
// this process has open (written through it, whatever it refers to: a shell's
// `> file` is never replaced behind its back); -1 for any other path.
int open_descriptor(const std::string &path) {
  if (path == "-" || path == "/dev/stdout") return STDOUT_FILENO;
  if (path == "/dev/stderr") return STDERR_FILENO;
  for (const char *prefix : {"/dev/fd/", "/proc/self/fd/"}) {
    const std::string p(prefix);
    if (path.size() <= p.size() || path.compare(0, p.size(), p) != 0) continue;
    const std::string n = path.substr(p.size());
    if (n.size() > 6 || n.find_first_not_of("0123456789") != std::string::npos) return -1;
    const int fd = std::atoi(n.c_str());
    return ::fcntl(fd, F_GETFD) == -1 ? -1 : fd;
  }
  return -1;
}

Resolved resolve(const std::string &path) {
  Resolved r;
  r.path = path;
  if (open_descriptor(path) >= 0) {
    r.kind = Target::WriteThrough;
    return r;
  }
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return r;
    r.kind = Target::Refused;
    r.reason = std::strerror(errno);
    return r;
  }
  if (S_ISLNK(st.st_mode)) {
    char buf[PATH_MAX];
    if (!::realpath(path.c_str(), buf)) {
      r.kind = Target::Refused;
      r.reason = std::string("a symbolic link that cannot be followed (") + std::strerror(errno) + ")";
      return r;
    }
    r.path = buf;
    if (::stat(buf, &st) != 0) {
      r.kind = Target::Refused;
      r.reason = std::strerror(errno);
      return r;
    }
  }
  if (S_ISREG(st.st_mode)) {
    r.kind = Target::Regular;
  } else if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
    r.kind = Target::WriteThrough;
  } else {
    r.kind = Target::Refused;
    r.reason = S_ISDIR(st.st_mode)   ? "is a directory"
               : S_ISBLK(st.st_mode) ? "is a block device (refusing to write over it)"
               : S_ISSOCK(st.st_mode) ? "is a socket"
                                      : "is not a regular file, character device or pipe";
  }
  return r;
}

void write_all(int fd, const std::string &content, const std::function<void(const char *, int)> &on_error) {
  const char *p = content.data();
  size_t left = content.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      on_error("write", errno);
      return;
    }
    p += n;
    left -= size_t(n);
  }
}

// A character device, a FIFO or standard output: written in place.
void write_through(const std::string &shown, const std::string &path, const std::string &content) {
  const int own = open_descriptor(path);
  const bool out = own >= 0;
  const int fd = out ? own : ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) fail("open", shown, errno);
  if (out) std::fflush(nullptr);  // what this process printed before comes first
  int failed = 0;
  write_all(fd, content, [&](const char *, int err) { failed = err; });
  if (!out && ::close(fd) != 0 && !failed) failed = errno;
  if (failed) fail("write", shown, failed);
}

// Creates and removes a temporary file in dir: whether files can be made there.
std::string probe_dir(const std::string &dir) {
  const std::string probe = dir + "/.gupcheck-probe." + std::to_string(::getpid());
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return "cannot create files in " + dir + ": " + std::strerror(errno);
  ::close(fd);
  ::unlink(probe.c_str());
  return "";
}

}  // namespace

void write_file_atomic(const std::string &shown, const std::string &content) {
  if (shown.empty()) throw std::runtime_error("cannot write a file with an empty name");
  const Resolved r = resolve(shown);
  if (r.kind == Target::Refused) throw std::runtime_error("cannot write " + shown + ": " + r.reason);
  if (r.kind == Target::WriteThrough) return write_through(shown, r.path, content);

  const std::string &path = r.path;
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("create", tmp, errno);

  auto abandon = [&](const char *what, int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    fail(what, tmp, err);
  };
  write_all(fd, content, abandon);
  if (::fsync(fd) != 0) abandon("fsync", errno);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail("close", tmp, err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot rename " + tmp + " to " + path + ": " + std::strerror(err));
  }
  // Best effort: make the rename itself durable.
  const int dfd = ::open(dir_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

std::string output_file_problem(const std::string &path) {
  if (path.empty()) return "an empty file name";
  const Resolved r = resolve(path);
  switch (r.kind) {
    case Target::Refused: return r.reason;
    case Target::WriteThrough:
      if (open_descriptor(path) < 0 && ::access(r.path.c_str(), W_OK) != 0)
        return std::string("cannot write: ") + std::strerror(errno);
      return "";
    case Target::Regular:
    case Target::Missing: break;
  }
  const std::string dir = dir_of(r.path);
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0) return "directory " + dir + " does not exist";
  if (!S_ISDIR(st.st_mode)) return dir + " is not a directory";
  return probe_dir(dir);
}

std::string output_dir_problem(const std::string &dir) {
  if (dir.empty()) return "an empty directory name";
  // The nearest part of the path that exists must be a writable directory.
  std::string at = dir;
  while (at.size() > 1 && at.back() == '/') at.pop_back();
  for (;;) {
    struct stat st{};
    if (::stat(at.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) return at + " is not a directory";
      return probe_dir(at);
    }
    if (errno != ENOENT) return "cannot use " + at + ": " + std::strerror(errno);
    const size_t slash = at.rfind('/');
    if (slash == std::string::npos) at = ".";
    else at = slash == 0 ? "/" : at.substr(0, slash);
  }
}

}  // namespace gupcheck::campaign
