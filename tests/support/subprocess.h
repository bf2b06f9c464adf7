// Real child processes for end-to-end tests: spawn the `chorus` binary, read
// its stdout/stderr, wait for a line or for exit with a deadline (poll(2) on
// the pipes and a pidfd: no sleeps), send signals.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace chorus::test {

struct SpawnOptions {
  std::string cwd;                                       // empty: inherit
  std::vector<std::pair<std::string, std::string>> env;  // added to the environment
  std::vector<std::string> unset_env;                    // removed from it
};

class Subprocess {
 public:
  // Starts argv[0] (a path) with the arguments. Throws std::runtime_error if
  // it cannot be started.
  explicit Subprocess(std::vector<std::string> argv, SpawnOptions options = {});
  ~Subprocess();  // kills (SIGKILL) and reaps a child still running
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }

  // Reads output until a line of stderr (or stdout) contains `needle`; returns
  // that line, or nullopt at the deadline or when the child exits first.
  std::optional<std::string> wait_for_line(std::string_view needle,
                                           std::chrono::milliseconds timeout,
                                           bool on_stdout = false);
  void signal(int sig);
  // Waits for the child to exit, collecting output. Returns the exit code,
  // or 128+signal when killed by a signal; nullopt at the deadline.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);

  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

 private:
  // One poll round: reads what is available; returns false at the deadline.
  bool pump(std::chrono::steady_clock::time_point deadline);
  bool reap(bool block);

  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1, pid_fd_ = -1;
  std::string out_, err_;
  size_t out_scanned_ = 0, err_scanned_ = 0;
  std::optional<int> status_;
};

struct RunResult {
  int exit_code = -1;  // -1: did not finish before the deadline (killed)
  std::string out, err;
};

// Runs a command to completion (killed at the deadline).
RunResult run_command(std::vector<std::string> argv,
                      std::chrono::milliseconds timeout = std::chrono::seconds(30),
                      SpawnOptions options = {});

}  // namespace chorus::test
