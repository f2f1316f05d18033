#include "replay/in_memory.h"

#include <algorithm>

#include "replay/corrections.h"

namespace demarche::replay {

std::vector<v1::Event> FoldOrder(const std::vector<v1::Event>& lineage, uint32_t as_of_key,
                                 uint64_t known_at) {
  std::vector<v1::Event> known;
  std::vector<v1::Event> corrections;
  for (const v1::Event& e : lineage) {
    if (known_at != 0 && e.seq() > known_at) continue;
    if (e.move().has_correction()) corrections.push_back(e);
    known.push_back(e);
  }
  const Corrections resolver(std::move(corrections));
  std::vector<v1::Event> order;
  for (const v1::Event& e : known) {
    std::optional<v1::Event> resolved = resolver.Resolve(e);
    if (resolved && StartKey(resolved->occurred()) <= as_of_key)
      order.push_back(*std::move(resolved));
  }
  std::sort(order.begin(), order.end(), [](const v1::Event& a, const v1::Event& b) {
    const uint32_t ka = StartKey(a.occurred()), kb = StartKey(b.occurred());
    return ka != kb ? ka < kb : a.seq() < b.seq();
  });
  return order;
}

v1::ScenarioState ReplayInMemory(const std::vector<v1::Event>& lineage,
                                 const std::vector<std::string>& roster, uint32_t as_of_key,
                                 uint64_t known_at) {
  FoldState state(roster);
  for (const v1::Event& e : FoldOrder(lineage, as_of_key, known_at)) state.Apply(e);
  v1::ScenarioState out = state.ToProto();
  uint64_t bound = known_at;
  if (bound == 0)
    for (const v1::Event& e : lineage) bound = std::max(bound, e.seq());
  out.set_known_at(bound);
  out.set_precision(state.PrecisionAt(as_of_key));
  return out;
}

}  // namespace demarche::replay
