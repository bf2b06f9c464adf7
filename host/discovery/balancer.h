// Balancer: one load-balancing strategy's state over one selection pool
// (pool.h). The pool tells it when members come and go and when a member's
// load, response time or liveness changed; pick() chooses a member. Members
// are named by their index in the pool, which stays dense: when member i
// leaves, the last member takes index i. Not thread-safe: the registry's
// lock guards every call. One file per strategy (balancer_*.cpp).
#pragma once

#include <cstdint>
#include <memory>

#include "discovery/rng.h"
#include "discovery/strategy.h"

namespace chorus::discovery {

class Pool;

enum class Change : uint8_t {
  kLoad = 1,     // active connections or the last pick
  kLatency = 2,  // the response-time EWMA
  kAlive = 4,    // the last heartbeat or passing check
};

inline constexpr uint32_t kNoMember = UINT32_MAX;

class Balancer {
 public:
  explicit Balancer(const Pool& pool) : pool_(pool) {}
  virtual ~Balancer() = default;
  Balancer(const Balancer&) = delete;
  Balancer& operator=(const Balancer&) = delete;

  // Member `i` was appended (i == size - 1).
  virtual void added(uint32_t i) = 0;
  // Member `i` leaves; then member `last` (the last index) takes index i
  // unless i == last. Called before the pool changes.
  virtual void removing(uint32_t i, uint32_t last) = 0;
  virtual void changed(uint32_t i, Change what) {
    (void)i;
    (void)what;
  }
  // A member, not `avoid` while another member exists. REQUIRES: the pool
  // has members. Records the turn (round robin, weighted) but not the load:
  // the registry counts the connection and reports it through changed().
  virtual uint32_t pick(uint32_t avoid, Rng& rng) = 0;

 protected:
  const Pool& pool_;
};

std::unique_ptr<Balancer> make_round_robin(const Pool& pool);
std::unique_ptr<Balancer> make_weighted_round_robin(const Pool& pool);
std::unique_ptr<Balancer> make_least_connections(const Pool& pool);
std::unique_ptr<Balancer> make_random(const Pool& pool);
std::unique_ptr<Balancer> make_health_based(const Pool& pool);
std::unique_ptr<Balancer> make_response_time(const Pool& pool);
std::unique_ptr<Balancer> make_power_of_two(const Pool& pool);

std::unique_ptr<Balancer> make_balancer(Strategy s, const Pool& pool);

}  // namespace chorus::discovery
