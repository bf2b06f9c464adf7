// Subprocess: fork/exec with pipes; waiting is poll(2) on the pipes plus a
// pidfd (Linux >= 5.3) so exit is observed without polling loops or sleeps.
#include "support/subprocess.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdexcept>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace chorus::test {
namespace {

int pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

// Finds a complete line containing `needle` in `buf` from `scanned` on.
std::optional<std::string> scan(const std::string& buf, size_t& scanned, std::string_view needle) {
  while (true) {
    const size_t nl = buf.find('\n', scanned);
    if (nl == std::string::npos) return std::nullopt;
    std::string line = buf.substr(scanned, nl - scanned);
    scanned = nl + 1;
    if (line.find(needle) != std::string::npos) return line;
  }
}

}  // namespace

Subprocess::Subprocess(std::vector<std::string> argv, SpawnOptions options) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe2 failed");
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(a.data());
  args.push_back(nullptr);

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) ::_exit(126);
    for (const auto& [k, v] : options.env)
      ::setenv(k.c_str(), v.c_str(), 1);
    for (const auto& k : options.unset_env)
      ::unsetenv(k.c_str());
    ::execv(args[0], args.data());
    const char msg[] = "exec failed\n";
    (void)!::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
  pid_fd_ = pidfd_open(pid_);
}

Subprocess::~Subprocess() {
  if (!status_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    reap(true);
  }
  for (int fd : {out_fd_, err_fd_, pid_fd_})
    if (fd >= 0) ::close(fd);
}

bool Subprocess::reap(bool block) {
  if (status_) return true;
  int st = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &st, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return true;
  }
  return false;
}

bool Subprocess::pump(std::chrono::steady_clock::time_point deadline) {
  const auto now = std::chrono::steady_clock::now();
  if (now >= deadline) return false;
  const int ms =
      static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count()) +
      1;
  pollfd fds[3];
  int n = 0;
  if (out_fd_ >= 0) fds[n++] = {out_fd_, POLLIN, 0};
  if (err_fd_ >= 0) fds[n++] = {err_fd_, POLLIN, 0};
  if (pid_fd_ >= 0 && !status_) fds[n++] = {pid_fd_, POLLIN, 0};
  if (n == 0) return true;
  int r = ::poll(fds, static_cast<nfds_t>(n), ms);
  if (r < 0 && errno == EINTR) return true;
  if (r <= 0) return r == 0 ? std::chrono::steady_clock::now() < deadline : false;
  for (int i = 0; i < n; ++i) {
    if (!fds[i].revents) continue;
    if (fds[i].fd == pid_fd_) {
      reap(true);
      continue;
    }
    char buf[65536];
    ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
    if (got > 0) {
      (fds[i].fd == out_fd_ ? out_ : err_).append(buf, static_cast<size_t>(got));
    } else if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
      int& fd = fds[i].fd == out_fd_ ? out_fd_ : err_fd_;
      ::close(fd);
      fd = -1;
    }
  }
  return true;
}

std::optional<std::string> Subprocess::wait_for_line(std::string_view needle,
                                                     std::chrono::milliseconds timeout,
                                                     bool on_stdout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto line = on_stdout ? scan(out_, out_scanned_, needle) : scan(err_, err_scanned_, needle);
    if (line) return line;
    const int fd = on_stdout ? out_fd_ : err_fd_;
    if (fd < 0) return std::nullopt;  // stream closed: the line can no longer come
    if (!pump(deadline)) return std::nullopt;
  }
}

void Subprocess::signal(int sig) {
  if (!status_) ::kill(pid_, sig);
}

std::optional<int> Subprocess::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!(status_ && out_fd_ < 0 && err_fd_ < 0)) {
    if (out_fd_ < 0 && err_fd_ < 0 && pid_fd_ < 0) {
      reap(true);  // no pidfd: pipes closed means the child is exiting
      break;
    }
    if (!pump(deadline)) return std::nullopt;
  }
  return status_;
}

RunResult run_command(std::vector<std::string> argv, std::chrono::milliseconds timeout,
                      SpawnOptions options) {
  Subprocess p(std::move(argv), std::move(options));
  RunResult r;
  auto code = p.wait_exit(timeout);
  r.exit_code = code ? *code : -1;
  r.out = p.out();
  r.err = p.err();
  return r;
}

}  // namespace chorus::test
