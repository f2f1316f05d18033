// MemoryReleaser hands freed heap pages back to the system: memory freed in
// the middle of the heap (below a live allocation) stays resident under
// glibc until malloc_trim releases it, and under jemalloc (decay off, see
// services/allocator_config.h) until the releaser purges it.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "services/memory_release.h"

namespace demarche::services {
namespace {

[[maybe_unused]] long RssKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

constexpr long kFreedKb = 200 * 1024;

// Allocates ~200 MB in small blocks, touches them, keeps one block above
// them alive and frees the rest. Returns the pin (to be freed by the caller).
[[maybe_unused]] void* FreeBelowAPin(long& peak_kb) {
  std::vector<void*> blocks;
  blocks.reserve(kFreedKb / 4 + 1);  // no freed vector buffers to leave holes
  for (long kb = 0; kb < kFreedKb; kb += 4) {
    void* p = std::malloc(4000);
    std::memset(p, 0x5a, 4000);
    asm volatile("" : : "r"(p) : "memory");  // the writes must happen
    blocks.push_back(p);
  }
  // Larger than any hole below, so it comes from the top of the heap.
  void* pin = std::malloc(100000);
  std::memset(pin, 1, 100000);
  asm volatile("" : : "r"(pin) : "memory");
  peak_kb = RssKb();
  for (void* p : blocks) std::free(p);
  return pin;
}

TEST(MemoryReleaser, GivesFreedHeapPagesBackOnItsInterval) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer's allocator keeps freed memory in quarantine";
#else
  const long before = RssKb();
  long peak = 0;
  void* pin = FreeBelowAPin(peak);
  const long freed = RssKb();
  // The premise: glibc did not give the pages back by itself.
  ASSERT_GT(freed - before, kFreedKb / 2)
      << "before " << before << " kB, allocated " << peak << ", after free " << freed;

  MemoryReleaser releaser(std::chrono::milliseconds(20));
  long now = freed;
  for (int i = 0; i < 200 && now > freed - kFreedKb / 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    now = RssKb();
  }
  EXPECT_LT(now, freed - kFreedKb / 2) << "after free " << freed << " kB, 2 s later " << now;
  std::free(pin);
#endif
}

TEST(MemoryReleaser, StopsPromptlyWhenDestroyed) {
  const auto t0 = std::chrono::steady_clock::now();
  { MemoryReleaser releaser(std::chrono::hours(1)); }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

}  // namespace
}  // namespace demarche::services
