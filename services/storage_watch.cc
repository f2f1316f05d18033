#include "services/storage_watch.h"

#include "services/log.h"

namespace demarche::services {

StorageWatch::StorageWatch(ledger::Ledger* ledger, grpc::HealthCheckServiceInterface* health,
                           std::chrono::milliseconds every)
    : ledger_(ledger), health_(health), every_(every) {
  Check();
  thread_ = std::thread([this] { Loop(); });
}

StorageWatch::~StorageWatch() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void StorageWatch::Check() {
  const ledger::StorageHealth h = ledger_->Health();
  const std::string reason(h.writable.message());
  if (!first_ && reason == reason_) return;
  // A message that only updates its free-space figure is no news.
  const bool was_writable = first_ ? true : reason_.empty();
  first_ = false;
  reason_ = reason;
  if (health_ != nullptr) health_->SetServingStatus(kWritesHealthName, reason.empty());
  if (!reason.empty() && was_writable) {
    Log(LogLevel::kWarn, "ledger read-only",
        {{"reason", reason}, {"free_bytes", std::to_string(h.free_bytes)}});
  } else if (reason.empty() && !was_writable) {
    Log(LogLevel::kInfo, "ledger writable again", {{"free_bytes", std::to_string(h.free_bytes)}});
  }
}

void StorageWatch::Loop() {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, every_, [this] { return stop_; })) {
    lock.unlock();
    Check();
    lock.lock();
  }
}

}  // namespace demarche::services
