// Corrections and retractions, resolved for one "known at" bound. Pure.
//
// Among the corrections known (seq <= known_at), the latest live one (by seq)
// of an event decides how it reads: a retraction voids it; a correction
// replaces its occurred / occurred_end / actor / recipients / move (a field
// left empty keeps the original; a replacement Move without a kind only
// overrides cameo_code and weight). A correction applies retroactively: the
// event folds at its corrected date, at its own seq. A retraction of a
// correction voids that correction (the previous one applies again); other
// corrections of a correction are ignored. Correction events never fold.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "demarche/v1/event.pb.h"

namespace demarche::replay {

class Corrections {
 public:
  Corrections() = default;
  // `corrections`: every correction event known (seq set; any order; other
  // events are ignored).
  explicit Corrections(std::vector<v1::Event> corrections);
  // Holds pointers into its own events: movable, not copyable.
  Corrections(const Corrections&) = delete;
  Corrections& operator=(const Corrections&) = delete;
  Corrections(Corrections&&) = default;
  Corrections& operator=(Corrections&&) = default;

  // True if an event with this id is void or replaced.
  bool Affects(const std::string& id) const { return latest_.contains(id); }
  // The event as it folds: nullopt if void (or itself a correction).
  std::optional<v1::Event> Resolve(const v1::Event& original) const;
  // Ids of the events that are void or replaced, sorted.
  std::vector<std::string> Targets() const;
  bool empty() const { return latest_.empty(); }

 private:
  std::vector<v1::Event> events_;
  std::map<std::string, const v1::Correction*> latest_;  // target id -> latest live correction
};

// `original` as the correction says it should read.
v1::Event ApplyCorrection(const v1::Event& original, const v1::Correction& correction);

}  // namespace demarche::replay
