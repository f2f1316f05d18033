#include "ledger/prefetch.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace demarche::ledger {
namespace {

constexpr size_t kBatchesAhead = 2;

class PrefetchIterator final : public EventIterator {
 public:
  PrefetchIterator(std::unique_ptr<EventIterator> source, size_t batch)
      : source_(std::move(source)), batch_(std::max<size_t>(batch, 1)) {
    thread_ = std::thread([this] { Read(); });
    Refill();
  }
  ~PrefetchIterator() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  bool Valid() const override { return pos_ < current_.size(); }
  void Next() override {
    if (++pos_ >= current_.size()) Refill();
  }
  const v1::Event& event() const override { return current_[pos_]; }
  v1::Event TakeEvent() override { return std::move(current_[pos_]); }
  absl::Status status() const override { return status_; }

 private:
  // The reading thread: batches until the source ends or the reader stops.
  // It fills batches the caller is done with: their events are swapped into
  // the source, which parses the next ones into them, and they are freed on
  // this thread rather than the caller's (a 1M-event replay: see
  // bench/NOTES.md).
  void Read() {
    while (true) {
      std::vector<v1::Event> batch;
      {
        std::lock_guard lock(mu_);
        if (!spent_.empty()) {
          batch = std::move(spent_.back());
          spent_.pop_back();
        }
      }
      batch.resize(batch_);
      size_t n = 0;
      for (; n < batch_ && source_->Valid(); source_->Next()) source_->SwapEvent(&batch[n++]);
      batch.resize(n);
      const bool end = n < batch_;
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || ready_.size() < kBatchesAhead; });
      if (stop_) return;
      if (!batch.empty()) ready_.push_back(std::move(batch));
      if (end) {
        done_ = true;
        source_status_ = source_->status();
        cv_.notify_all();
        return;
      }
      cv_.notify_all();
    }
  }

  // Moves to the next batch, waiting for it; at the end, takes the status.
  void Refill() {
    pos_ = 0;
    std::unique_lock lock(mu_);
    if (spent_.size() < kBatchesAhead && !done_) spent_.push_back(std::move(current_));
    current_.clear();
    cv_.wait(lock, [&] { return !ready_.empty() || done_; });
    if (!ready_.empty()) {
      current_ = std::move(ready_.front());
      ready_.pop_front();
    } else {
      status_ = source_status_;
    }
    cv_.notify_all();
  }

  std::unique_ptr<EventIterator> source_;  // used by the reading thread only
  const size_t batch_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<v1::Event>> ready_;   // guarded by mu_
  std::vector<std::vector<v1::Event>> spent_;  // guarded by mu_: for the reader to refill
  bool done_ = false;                          // guarded by mu_
  bool stop_ = false;                          // guarded by mu_
  absl::Status source_status_;                 // guarded by mu_, set with done_

  std::vector<v1::Event> current_;  // the caller's batch
  size_t pos_ = 0;
  absl::Status status_;
  std::thread thread_;
};

}  // namespace

std::unique_ptr<EventIterator> Prefetch(std::unique_ptr<EventIterator> source, size_t batch) {
  return std::make_unique<PrefetchIterator>(std::move(source), batch);
}

}  // namespace demarche::ledger
