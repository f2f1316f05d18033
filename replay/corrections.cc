#include "replay/corrections.h"

#include <algorithm>

namespace demarche::replay {

Corrections::Corrections(std::vector<v1::Event> corrections) : events_(std::move(corrections)) {
  std::erase_if(events_, [](const v1::Event& e) { return !e.move().has_correction(); });
  std::sort(events_.begin(), events_.end(),
            [](const v1::Event& a, const v1::Event& b) { return a.seq() > b.seq(); });
  // Latest first: when a correction comes up, every correction that could
  // void it (they come later) has been seen already.
  for (const v1::Event& e : events_) {
    auto self = latest_.find(e.id());
    if (self != latest_.end() && self->second->retract()) continue;  // retracted itself
    latest_.try_emplace(e.move().correction().target(), &e.move().correction());
  }
}

std::optional<v1::Event> Corrections::Resolve(const v1::Event& original) const {
  if (original.move().has_correction()) return std::nullopt;
  auto it = latest_.find(original.id());
  if (it == latest_.end()) return original;
  if (it->second->retract()) return std::nullopt;
  return ApplyCorrection(original, *it->second);
}

std::vector<std::string> Corrections::Targets() const {
  std::vector<std::string> ids;
  ids.reserve(latest_.size());
  for (const auto& [id, c] : latest_) ids.push_back(id);
  return ids;
}

v1::Event ApplyCorrection(const v1::Event& original, const v1::Correction& c) {
  v1::Event e = original;
  if (c.occurred().year() != 0) *e.mutable_occurred() = c.occurred();
  if (c.occurred_end().year() != 0) *e.mutable_occurred_end() = c.occurred_end();
  if (c.actor_size() > 0) *e.mutable_actor() = c.actor();
  if (c.recipients_size() > 0) *e.mutable_recipients() = c.recipients();
  if (c.move().kind_case() != v1::Move::KIND_NOT_SET &&
      c.move().kind_case() != v1::Move::kCorrection) {
    *e.mutable_move() = c.move();
  } else {
    if (!c.move().cameo_code().empty()) e.mutable_move()->set_cameo_code(c.move().cameo_code());
    if (c.move().has_weight()) e.mutable_move()->set_weight(c.move().weight());
  }
  return e;
}

}  // namespace demarche::replay
