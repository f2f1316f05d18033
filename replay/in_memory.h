// Replay of a lineage held in memory: corrections resolved, ordered by
// (occurred sort key, seq), folded. The reference the engine must agree with,
// and what tests on plain vectors use.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "demarche/v1/event.pb.h"
#include "demarche/v1/state.pb.h"
#include "replay/dates.h"
#include "replay/fold.h"

namespace demarche::replay {

// The events of `lineage` (seq set, any order) that fold for a query: seq <=
// known_at (0 = all), corrected, not void, occurred start key <= as_of_key;
// in fold order.
std::vector<v1::Event> FoldOrder(const std::vector<v1::Event>& lineage,
                                 uint32_t as_of_key = kMaxKey, uint64_t known_at = 0);

// The folded state of those events; known_at is set to the bound used (the
// highest seq of the lineage when 0), precision for as_of_key.
v1::ScenarioState ReplayInMemory(const std::vector<v1::Event>& lineage,
                                 const std::vector<std::string>& roster,
                                 uint32_t as_of_key = kMaxKey, uint64_t known_at = 0);

}  // namespace demarche::replay
