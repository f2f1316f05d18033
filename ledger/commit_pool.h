// A few threads that commit the groups of appends no caller waits for
// (Ledger::AppendAsync). A server's handlers hand an append over and return,
// so no thread sleeps through each request's fsync; the committing thread
// answers every request of its group through its callback.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"

namespace demarche::ledger {

class CommitPool {
 public:
  // Threads start when a job finds none idle, up to `max_threads` (at least
  // one): a ledger that never appends asynchronously runs none, and groups
  // of different branches commit side by side, their writes joined by
  // RocksDB's own write group.
  explicit CommitPool(int max_threads);
  // Runs every job already scheduled, then joins the threads.
  ~CommitPool();
  CommitPool(const CommitPool&) = delete;
  CommitPool& operator=(const CommitPool&) = delete;

  // Runs `job` on one of the threads, in the order scheduled. Jobs may
  // schedule jobs. If no thread runs and none can be started, runs `job`
  // on the calling thread instead.
  void Schedule(absl::AnyInvocable<void() &&> job);
  // Whether a scheduled job has yet to start.
  bool JobsWaiting();

 private:
  void Run();

  const size_t max_threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  // Guarded by mu_.
  std::deque<absl::AnyInvocable<void() &&>> jobs_;
  size_t idle_ = 0;  // threads waiting for a job
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace demarche::ledger
