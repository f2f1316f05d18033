#include "ledger/commit_pool.h"

#include <pthread.h>

#include <system_error>
#include <utility>

namespace demarche::ledger {

CommitPool::CommitPool(int max_threads)
    : max_threads_(static_cast<size_t>(max_threads < 1 ? 1 : max_threads)) {}

CommitPool::~CommitPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  // Jobs may still schedule more (a branch's next turn), but no thread
  // starts once stopping: threads_ no longer changes, and the running ones
  // return only when no job is left.
  for (std::thread& t : threads_) t.join();
}

void CommitPool::Schedule(absl::AnyInvocable<void() &&> job) {
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(std::move(job));
    if (!stopping_ && idle_ < jobs_.size() && threads_.size() < max_threads_) {
      try {
        threads_.emplace_back([this] { Run(); });
        return;  // the new thread takes a job without being woken
      } catch (const std::system_error&) {
        // No thread to be had (a process limit): the running ones take the
        // job; if there are none, this caller runs it, below.
      }
    }
    if (!threads_.empty()) {
      cv_.notify_one();
      return;
    }
    job = std::move(jobs_.back());
    jobs_.pop_back();
  }
  // A queued append must never be left without a leader.
  std::move(job)();
}

bool CommitPool::JobsWaiting() {
  std::lock_guard lock(mu_);
  return !jobs_.empty();
}

void CommitPool::Run() {
  // Named so that top and perf tell it from gRPC's threads.
  pthread_setname_np(pthread_self(), "ledger-commit");
  for (;;) {
    absl::AnyInvocable<void() &&> job;
    {
      std::unique_lock lock(mu_);
      ++idle_;
      cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      --idle_;
      if (jobs_.empty()) return;  // stopping, and nothing is left to run
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    std::move(job)();
  }
}

}  // namespace demarche::ledger
