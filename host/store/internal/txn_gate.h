// TxnGate: the rule that makes resizing the LMDB map safe. LMDB allows
// mdb_env_set_mapsize only while no transaction of this process is open,
// and does not check it. Every transaction (read or write) holds the gate
// shared while it is open; a resize holds it exclusively, which waits for
// open transactions to end and holds new ones back. A waiting resize has
// priority over new readers, so it cannot starve. Consequence: a thread
// never opens a second transaction while it holds one (it could wait on a
// resize that waits on the first). Env (env.h) owns the gate.
//
// Threading: any thread.
#pragma once

#include <condition_variable>
#include <mutex>

namespace chorus::store {

class TxnGate {
 public:
  void enter_shared();
  void exit_shared();
  void enter_exclusive();
  void exit_exclusive();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int active_ = 0;
  int waiting_exclusive_ = 0;
  bool exclusive_ = false;
};

}  // namespace chorus::store
