// The Merkle tree's roots and proofs (Ledger::TreeRoot, InclusionProof,
// ConsistencyProof, StoredEvent), read from the "tree" column family.
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

absl::StatusOr<std::string> RocksLedger::StoredEvent(std::string_view scenario,
                                                     std::string_view branch, uint64_t seq) {
  auto r = Resolve(scenario, branch);
  if (!r.ok()) return r.status();
  const uint64_t head = r->branch->Head().seq;
  for (const Segment& s : Lineage(*r->branch, head, /*honour_cutoffs=*/false)) {
    if (seq < s.lo || seq > s.hi) continue;
    auto value = store_->Get(store_->events, keys::EncodeEventKey({r->branch->sid, s.bid, seq}));
    if (!value.ok()) return value.status();
    if (value->has_value()) return **std::move(value);
  }
  return absl::NotFoundError(fmt::format("no event at seq {} in branch {}", seq, Quote(branch)));
}

}  // namespace demarche::ledger
