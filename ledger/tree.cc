#include "ledger/tree.h"

#include <fmt/format.h>

#include "ledger/keys.h"

namespace demarche::ledger {

tlog::NodeReader TreeReader(const Store& store, const BranchState& branch) {
  return [&store, &branch](int level, uint64_t index) -> absl::StatusOr<std::string> {
    // The node covers leaves [index << level, (index + 1) << level): it is
    // the ancestor's whose fork point it does not pass.
    const uint64_t end = (index + 1) << level;
    const BranchState* owner = &branch;
    while (owner->parent != nullptr && end <= owner->record.fork_after_seq())
      owner = owner->parent.get();
    auto value = store.Get(store.tree, keys::TreeNodeKey(owner->sid, owner->bid, level, index));
    if (!value.ok()) return value.status();
    if (!value->has_value() || (*value)->size() != tlog::kHashBytes)
      return absl::DataLossError(
          fmt::format("the Merkle tree of branch \"{}\" has no node at level {} index {}",
                      owner->record.name(), level, index));
    return **std::move(value);
  };
}

void PutTreeNode(const Store& store, const BranchState& branch, int level, uint64_t index,
                 const std::string& hash, rocksdb::WriteBatch* batch) {
  batch->Put(store.tree, keys::TreeNodeKey(branch.sid, branch.bid, level, index), hash);
}

absl::Status BuildTrees(Store& store, const std::vector<const BranchState*>& branches) {
  constexpr size_t kBatchBytes = 8 << 20;
  rocksdb::WriteOptions wo;
  for (const BranchState* b : branches) {
    const uint64_t fork = b->record.fork_after_seq();
    auto frontier = tlog::Frontier::Of(fork, TreeReader(store, *b));
    if (!frontier.ok()) return frontier.status();
    rocksdb::WriteBatch batch;
    auto events = BoundedIterator::OverBranch(store, store.events, b->sid, b->bid, false);
    uint64_t expected = fork + 1;
    for (events->it->SeekToFirst(); events->it->Valid(); events->it->Next()) {
      auto key = keys::DecodeEventKey(
          std::string_view(events->it->key().data(), events->it->key().size()));
      if (!key || key->seq != expected)
        return absl::DataLossError(
            fmt::format("building the Merkle tree of branch \"{}\": expected seq {}",
                        b->record.name(), expected));
      ++expected;
      const rocksdb::Slice v = events->it->value();
      frontier->Append(tlog::LeafHash(std::string_view(v.data(), v.size())),
                       [&](int level, uint64_t index, const std::string& h) {
                         PutTreeNode(store, *b, level, index, h, &batch);
                       });
      if (batch.GetDataSize() >= kBatchBytes) {
        if (absl::Status s = FromRocks(store.db->Write(wo, &batch), "building the Merkle tree");
            !s.ok())
          return s;
        batch.Clear();
      }
    }
    if (!events->it->status().ok())
      return FromRocks(events->it->status(), "building the Merkle tree");
    // Written before the next branch, whose fork may read these nodes.
    if (absl::Status s = FromRocks(store.db->Write(wo, &batch), "building the Merkle tree");
        !s.ok())
      return s;
  }
  wo.sync = true;
  const std::string version = keys::EncodeU32(keys::kSchemaVersion);
  return FromRocks(
      store.db->Put(wo, store.meta,
                    rocksdb::Slice(keys::kSchemaVersionKey.data(), keys::kSchemaVersionKey.size()),
                    version),
      "building the Merkle tree");
}

}  // namespace demarche::ledger
