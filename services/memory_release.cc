#include "services/memory_release.h"

#include <malloc.h>

namespace demarche::services {

MemoryReleaser::MemoryReleaser(std::chrono::milliseconds every)
    : every_(every), thread_([this] { Loop(); }) {}

MemoryReleaser::~MemoryReleaser() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool MemoryReleaser::ReleaseNow() { return malloc_trim(0) != 0; }

void MemoryReleaser::Loop() {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, every_, [this] { return stop_; })) {
    lock.unlock();
    ReleaseNow();
    lock.lock();
  }
}

}  // namespace demarche::services
