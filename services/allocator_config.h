// jemalloc's settings for demarched and for the benchmarks that measure it.
// An executable linked with jemalloc (demarche_allocator) defines, in one of
// its files, `malloc_conf` (read by jemalloc when it starts) as kMallocConf.
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
