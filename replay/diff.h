// Diff of two states (declared in replay.h too; here for pure users).
#pragma once

#include "demarche/v1/state.pb.h"

namespace demarche::replay {

// Per party (union of both sides), per keyed list in PartyState order, per
// key: an item present on one side only or different on the two. event_ids:
// the events referenced by one side's item and not the other's (the union
// when both reference the same ones), sorted. a and b come back as summaries
// (parties cleared).
v1::StateDiff Diff(const v1::ScenarioState& a, const v1::ScenarioState& b);

}  // namespace demarche::replay
