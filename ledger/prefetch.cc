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
  void Read() {
    while (true) {
      std::vector<v1::Event> batch;
      batch.reserve(batch_);
      for (; batch.size() < batch_ && source_->Valid(); source_->Next())
        batch.push_back(source_->TakeEvent());
      const bool end = batch.size() < batch_;
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
    current_.clear();
    pos_ = 0;
    std::unique_lock lock(mu_);
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
  std::deque<std::vector<v1::Event>> ready_;  // guarded by mu_
  bool done_ = false;                         // guarded by mu_
  bool stop_ = false;                         // guarded by mu_
  absl::Status source_status_;                // guarded by mu_, set with done_

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
