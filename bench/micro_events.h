// Shared fixtures for the micro-benchmarks: generated events with a ledger
// envelope, as the ledger stores them (fixed seed, the default mix).
#pragma once

#include <string>
#include <vector>

#include "bench/generator.h"
#include "demarche/v1/event.pb.h"

namespace demarche::bench {

// `n` events of the default mix with seq, scenario, branch, recorded_at,
// recorded_by and 32-byte prev_hash / hash filled in (not a valid chain).
std::vector<v1::Event> StoredEvents(size_t n, uint64_t seed = 1);

}  // namespace demarche::bench
