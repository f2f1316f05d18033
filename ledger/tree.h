// Internal to ledger/: the Merkle tree (tlog/merkle.h) of each branch
// lineage, stored in the "tree" column family.
//
// Leaf i is SHA-256(0x00 || the stored bytes of the event at seq i + 1), over
// the physical chain (a fork's date cutoff hides events from reads, not from
// the tree). Every perfect subtree an append completes is stored under the
// branch that appended the leaf completing it. A fork after seq N stores
// nothing: its nodes ending at or before leaf N are its parent's (or an
// ancestor's), so its tree at size N is its parent's tree at size N and its
// checkpoints are provably extensions of the parent's history.
#pragma once

#include <cstdint>
#include <string>

#include <rocksdb/write_batch.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/catalog.h"
#include "tlog/merkle.h"
#include "ledger/store.h"

namespace demarche::ledger {

// Reads the nodes of `branch`'s lineage. The branch state must outlive it.
tlog::NodeReader TreeReader(const Store& store, const BranchState& branch);

// Adds a node of `branch` (one its append completed) to `batch`.
void PutTreeNode(const Store& store, const BranchState& branch, int level, uint64_t index,
                 const std::string& hash, rocksdb::WriteBatch* batch);

// Builds the trees of every branch of a ledger written before trees existed
// (schema 3), parents before children, then writes schema version 4.
// `branches` in bid order per scenario (a parent's bid is below its child's).
absl::Status BuildTrees(Store& store, const std::vector<const BranchState*>& branches);

}  // namespace demarche::ledger
