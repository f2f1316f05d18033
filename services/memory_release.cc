#include "services/memory_release.h"

#if defined(DEMARCHE_JEMALLOC)
#include <jemalloc/jemalloc.h>
#else
#include <malloc.h>
#endif

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

#if defined(DEMARCHE_JEMALLOC)
#define DEMARCHE_STR2(x) #x
#define DEMARCHE_STR(x) DEMARCHE_STR2(x)
// With decay off (services/allocator_config.h) jemalloc hands nothing back by
// itself: this purge is the only release.
bool MemoryReleaser::ReleaseNow() {
  return mallctl("arena." DEMARCHE_STR(MALLCTL_ARENAS_ALL) ".purge", nullptr, nullptr, nullptr,
                 0) == 0;
}
#else
bool MemoryReleaser::ReleaseNow() { return malloc_trim(0) != 0; }
#endif

void MemoryReleaser::Loop() {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, every_, [this] { return stop_; })) {
    lock.unlock();
    ReleaseNow();
    lock.lock();
  }
}

}  // namespace demarche::services
