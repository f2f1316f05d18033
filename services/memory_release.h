// Hands freed heap memory back to the system at a fixed interval, from a
// thread of its own (jemalloc's purge of every arena, or glibc's malloc_trim
// in a build without jemalloc). Without it the server keeps the pages of
// every large answer it has built, and stays at its peak size.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace demarche::services {

class MemoryReleaser {
 public:
  // Starts the thread; the first release is one interval from now.
  explicit MemoryReleaser(std::chrono::milliseconds every);
  ~MemoryReleaser();  // stops and joins the thread

  MemoryReleaser(const MemoryReleaser&) = delete;
  MemoryReleaser& operator=(const MemoryReleaser&) = delete;

  // Releases now, in the caller's thread. glibc: true if memory was given
  // back; jemalloc: true if the purge ran.
  static bool ReleaseNow();

 private:
  void Loop();

  const std::chrono::milliseconds every_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace demarche::services
