// The registry's journal in the store (docs/store-format.md "Registry
// stream"): load_journal() rebuilds the journaled services at start from the
// latest snapshot and the records after it; Journal writes new records and
// snapshots, in the order they were queued, on a thread of its own, so the
// registry queues them under its lock and never waits for the disk.
//
// Threading: every member function is thread-safe. Lifetime: the store must
// outlive the Journal; stop() (also run by the destructor) writes what is
// queued and joins the thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/status.h"
#include "discovery/registry_records.h"

namespace chorus::store {
class EventStore;
}

namespace chorus::discovery {

struct LoadedJournal {
  std::vector<ServiceRecord> services;  // ordered by id
  uint64_t version = 0;                 // the stream's current version (0: none)
  uint64_t snapshot_version = 0;        // the snapshot started from (0: none)
  uint64_t records = 0;                 // records folded after it
  uint64_t skipped = 0;                 // records that were not the registry's or did not decode
};

// NotSupported when a record or the snapshot was written by a newer chorus;
// the store's error when it cannot be read. Malformed records are logged
// and skipped (counted).
Result<LoadedJournal> load_journal(store::EventStore& store);

struct JournalCounters {
  uint64_t records = 0;    // written
  uint64_t errors = 0;     // records or snapshots that failed
  uint64_t snapshots = 0;  // saved
};

class Journal {
 public:
  // `version`: the stream's current version (LoadedJournal::version).
  Journal(store::EventStore& store, uint64_t version);
  ~Journal();  // stop()
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Queues one record (`type` is one of the kRecord* constants).
  void append(std::string_view type, std::string value);
  // Queues a snapshot holding the state as of every record queued before.
  void snapshot(std::string state);
  // Records queued since the last snapshot was queued.
  uint64_t since_snapshot() const;
  // Waits until everything queued before the call has been written (or has
  // failed). Unavailable after stop().
  Status flush();
  void stop();
  JournalCounters counters() const;

 private:
  struct Item {
    std::string type;  // empty: a snapshot
    std::string bytes;
  };
  void run();
  void write_records(std::vector<Item>& batch);
  void save_snapshot(const std::string& state);

  store::EventStore& store_;
  mutable std::mutex mu_;
  std::condition_variable cv_;       // the thread waits for items
  std::condition_variable done_cv_;  // flush() waits for progress
  std::deque<Item> queue_;
  uint64_t queued_ = 0, processed_ = 0;  // items ever queued / handled
  uint64_t since_snapshot_ = 0;
  bool stopping_ = false, stopped_ = false;
  JournalCounters counters_;
  uint64_t version_;  // of the last record written (thread only)
  std::thread thread_;
};

}  // namespace chorus::discovery
