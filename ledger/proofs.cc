// The Merkle tree's roots and proofs (Ledger::TreeRoot, InclusionProof,
// ConsistencyProof, StoredEvents), read from the "tree" column family.
#include <algorithm>

#include <fmt/format.h>

#include "ledger/quote.h"
#include "ledger/rocks_ledger.h"
#include "ledger/tree.h"
#include "ledger/validate.h"

namespace demarche::ledger {

absl::StatusOr<std::string> RocksLedger::TreeRoot(std::string_view scenario,
                                                  std::string_view branch, uint64_t size) {
  auto r = Resolve(scenario, branch);
  if (!r.ok()) return r.status();
  if (absl::Status s = CheckWithinHead(size, r->branch->Head().seq, "tree_size", branch); !s.ok())
    return s;
  return tlog::Root(size, TreeReader(*store_, *r->branch));
}

absl::StatusOr<std::vector<std::string>> RocksLedger::InclusionProof(std::string_view scenario,
                                                                     std::string_view branch,
                                                                     uint64_t index,
                                                                     uint64_t size) {
  auto r = Resolve(scenario, branch);
  if (!r.ok()) return r.status();
  if (absl::Status s = CheckWithinHead(size, r->branch->Head().seq, "tree_size", branch); !s.ok())
    return s;
  return tlog::InclusionProof(index, size, TreeReader(*store_, *r->branch));
}

absl::StatusOr<std::vector<std::string>> RocksLedger::ConsistencyProof(std::string_view scenario,
                                                                       std::string_view branch,
                                                                       uint64_t size1,
                                                                       uint64_t size2) {
  auto r = Resolve(scenario, branch);
  if (!r.ok()) return r.status();
  if (absl::Status s = CheckWithinHead(size2, r->branch->Head().seq, "size2", branch); !s.ok())
    return s;
  return tlog::ConsistencyProof(size1, size2, TreeReader(*store_, *r->branch));
}

absl::StatusOr<std::vector<std::string>> RocksLedger::StoredEvents(std::string_view scenario,
                                                                   std::string_view branch,
                                                                   uint64_t from_seq,
                                                                   size_t count) {
  if (from_seq == 0) return absl::InvalidArgumentError("from_seq: must be at least 1");
  auto r = Resolve(scenario, branch);
  if (!r.ok()) return r.status();
  const uint64_t head = r->branch->Head().seq;
  std::vector<std::string> out;
  if (from_seq > head || count == 0) return out;
  const uint64_t last = count > head - from_seq ? head : from_seq + count - 1;
  out.reserve(last - from_seq + 1);
  for (const Segment& s : Lineage(*r->branch, head, /*honour_cutoffs=*/false)) {
    const uint64_t lo = std::max(s.lo, from_seq), hi = std::min(s.hi, last);
    if (lo > hi) continue;
    const uint32_t sid = r->branch->sid;
    BoundedIterator it(*store_, store_->events, keys::EncodeEventKey({sid, s.bid, lo}),
                       keys::EncodeEventKey({sid, s.bid, hi + 1}), /*fill_cache=*/false);
    uint64_t want = lo;
    for (it.it->SeekToFirst(); it.it->Valid() && want <= hi; it.it->Next(), ++want) {
      auto k = keys::DecodeEventKey(it.it->key().ToStringView());
      if (!k || k->seq != want) break;
      out.emplace_back(it.it->value().ToStringView());
    }
    if (absl::Status st = FromRocks(it.it->status(), "reading stored events"); !st.ok()) return st;
    if (want <= hi)
      return absl::DataLossError(
          fmt::format("branch {} has no stored event at seq {}", Quote(branch), want));
  }
  return out;
}

absl::StatusOr<std::string> Ledger::StoredEvent(std::string_view scenario, std::string_view branch,
                                                uint64_t seq) {
  auto events = StoredEvents(scenario, branch, seq, 1);
  if (!events.ok()) return events.status();
  if (events->empty())
    return absl::NotFoundError(fmt::format("no event at seq {} in branch {}", seq, Quote(branch)));
  return std::move(events->front());
}

}  // namespace demarche::ledger
