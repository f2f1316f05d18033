// Default CAMEO codes, Goldstein weights and quad classes per move
// (shared/design/ontology.md), and the effective code/weight/quad of a move
// after its own cameo_code and weight overrides.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "demarche/v1/move.pb.h"

namespace demarche::replay {

struct MoveWeight {
  std::string cameo;  // effective CAMEO code ("" for a correction)
  double weight = 0;  // Goldstein-style weight in [-10, 10]
  int quad = 0;  // 1 verbal coop, 2 material coop, 3 verbal conflict, 4 material conflict; 0 none
};

// The default for a move's type and kind, ignoring its overrides:
//   statement 01 (0.0) · demand 10 (-5.0) · proposal 03 (4.0)
//   response: accept 05 (3.5), reject 12 (-4.0), withdraw 01 (0.0)
//   agreement: sign 057 (8.0), withdraw/lapse 16 (-4.0)
//   consult 04 (1.0) · aid: pledge 03 (4.0), delivery 07 (7.0) · concede 08 (5.0)
//   sanction: impose 16 (-4.0), lift 08 (5.0) · forum: join 05 (3.5), leave 16 (-4.0)
//   conflict: accuse 11 (-2.0), threaten 13 (-6.0), protest 14 (-6.5),
//             mobilize 15 (-7.2), coerce 17 (-7.0), assault 18 (-9.0)
MoveWeight DefaultWeight(const v1::Move& move);

// Goldstein weight of a CAMEO code: the listed finer codes (036, 042-046,
// 057) exactly, any other code by its two-digit root. nullopt if the root is
// not 01..20.
std::optional<double> GoldsteinOf(std::string_view cameo);

// Quad class of a CAMEO code by its root (01-05 -> 1, 06-08 -> 2, 09-13 -> 3,
// 14-20 -> 4); 0 if the root is not 01..20.
int QuadOf(std::string_view cameo);

// What a move weighs: Move.weight if set, else the weight of Move.cameo_code
// if it is known, else the type's default. The quad follows the effective
// code (cameo_code if its root is known, else the default's).
MoveWeight EffectiveWeight(const v1::Move& move);

}  // namespace demarche::replay
