#include "ledger/catalog.h"

#include <algorithm>

#include "ledger/date.h"

namespace demarche::ledger {

std::vector<Segment> Lineage(const BranchState& leaf, uint64_t hi, bool honour_cutoffs) {
  std::vector<Segment> segments;
  uint32_t cutoff = UINT32_MAX;
  for (const BranchState* b = &leaf; b != nullptr; b = b->parent.get()) {
    const uint64_t fork = b->record.fork_after_seq();
    if (hi > fork) segments.push_back(Segment{b, b->bid, fork + 1, hi, cutoff});
    hi = std::min(hi, fork);
    // The parent's events pass through this branch's cutoff and every
    // descendant's.
    if (honour_cutoffs) cutoff = std::min(cutoff, b->cutoff_key);
  }
  std::reverse(segments.begin(), segments.end());
  return segments;
}

absl::StatusOr<std::optional<Located>> LookupId(const Store& store, uint32_t sid,
                                                const std::vector<Segment>& segments,
                                                std::string_view id) {
  // Newest segment first: recent references are the common case.
  for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
    auto value = store.Get(store.ids, keys::EncodeIdKey(sid, it->bid, id));
    if (!value.ok()) return value.status();
    if (!value->has_value()) continue;
    auto loc = keys::DecodeIdLocation(**value);
    if (!loc) return absl::DataLossError("malformed ids index entry");
    if (loc->seq >= it->lo && loc->seq <= it->hi && loc->sort_key <= it->cutoff_key)
      return Located{&*it, *loc};
  }
  return std::nullopt;
}

absl::StatusOr<std::optional<v1::Event>> EventAtSeq(const Store& store, uint32_t sid,
                                                    const std::vector<Segment>& segments,
                                                    uint64_t seq) {
  for (const Segment& s : segments) {
    if (seq < s.lo || seq > s.hi) continue;
    auto event = store.GetEvent(sid, s.bid, seq);
    if (!event.ok() || !event->has_value()) return event;
    if (SortKey((*event)->occurred()) > s.cutoff_key) return std::nullopt;
    return event;
  }
  return std::nullopt;
}

}  // namespace demarche::ledger
