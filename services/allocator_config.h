// jemalloc's settings for demarched and for the benchmarks that measure it.
// allocator_config.cc defines jemalloc's `malloc_conf` as kMallocConf in every
// executable linked with demarche_allocator.
//
// Freed pages stay with the allocator until the MemoryReleaser purges them
// (every 5 s by default) instead of jemalloc decaying them by itself: with
// its own decay it handed back the buffers of one snapshot read before the
// next query, which faulted them in again (300k events, as-of queries: 4.2 M
// page faults and p99 1.67 s, against 0.25 M and 0.72 s with these
// settings). Large blocks stay in the ordinary arenas for the same reason
// (jemalloc's arena for blocks over 8 MB purges at once).
#pragma once

namespace demarche {

inline constexpr char kMallocConf[] = "oversize_threshold:0,dirty_decay_ms:-1,muzzy_decay_ms:-1";

}  // namespace demarche
