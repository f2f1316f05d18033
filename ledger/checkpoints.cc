// Signed checkpoints of the branches' trees (Ledger::Checkpoint).
//
// The commit group's leader signs the tree at its new head and writes the
// note in the group's own batch: every acknowledged event is covered by a
// signed checkpoint stored with it, and no checkpoint is ever stored that
// its write did not make true. Signing costs one Ed25519 signature per
// group (bench/), not per event. A branch without one at its head (a new
// fork, a ledger written without a key) is signed on the first request.
//
// Never two inconsistent checkpoints: the tree only grows by appends, and
// the first use of a branch in a process checks the stored checkpoint
// against the tree (its size within the head, its root the tree's root at
// that size). A data directory whose history was rewritten fails that check,
// and the branch is then refused (DATA_LOSS) rather than signed anew.
#include <fmt/format.h>

#include "ledger/quote.h"
#include "ledger/rocks_ledger.h"
#include "ledger/tree.h"
#include "tlog/checkpoint.h"

namespace demarche::ledger {
namespace {

// The checkpoint of a stored note, its signature not checked (a key that
// signed before may have been replaced since).
absl::StatusOr<tlog::Checkpoint> CheckpointOfNote(std::string_view note) {
  auto parsed = tlog::ParseNote(note);
  if (!parsed.ok()) return parsed.status();
  return tlog::ParseCheckpoint(parsed->text);
}

}  // namespace

std::string RocksLedger::VerifierKey() const {
  return options_.checkpoint_signer ? options_.checkpoint_signer->verifier().Key() : "";
}

absl::Status RocksLedger::LoadCheckpoint(BranchState& branch) {
  auto& cp = branch.checkpoints;
  if (cp.loaded) return cp.refused;
  auto stored = store_->Get(store_->meta, keys::CheckpointKey(branch.sid, branch.bid));
  if (!stored.ok()) return stored.status();  // not loaded: tried again next time
  cp.loaded = true;
  if (!stored->has_value()) return absl::OkStatus();
  const uint64_t head = branch.Head().seq;
  auto refuse = [&](std::string why) {
    cp.refused = absl::DataLossError(fmt::format("refusing to sign a checkpoint of branch {}: {}",
                                                 Quote(branch.record.name()), why));
    return cp.refused;
  };
  auto prev = CheckpointOfNote(**stored);
  if (!prev.ok()) return refuse(std::string(prev.status().message()));
  if (prev->size > head)
    return refuse(
        fmt::format("a checkpoint of size {} was signed, beyond the head {}", prev->size, head));
  auto root = tlog::Root(prev->size, TreeReader(*store_, branch));
  if (!root.ok()) return refuse(std::string(root.status().message()));
  if (*root != prev->root)
    return refuse(fmt::format(
        "the tree at size {} no longer has the root of the checkpoint signed at that size "
        "(the history was rewritten)",
        prev->size));
  // Served as it is only if this key signed it and it is at the head.
  if (prev->size == head && tlog::OpenNote(**stored, {options_.checkpoint_signer->verifier()}).ok())
    cp.latest.store(std::make_shared<const SignedCheckpoint>(
        SignedCheckpoint{prev->size, prev->root, **std::move(stored)}));
  return absl::OkStatus();
}

std::shared_ptr<const SignedCheckpoint> RocksLedger::StageCheckpoint(BranchState& branch,
                                                                     uint64_t size,
                                                                     std::string root,
                                                                     rocksdb::WriteBatch* batch) {
  if (!LoadCheckpoint(branch).ok()) return nullptr;
  const tlog::Signer& signer = *options_.checkpoint_signer;
  const std::string text = tlog::FormatCheckpoint(
      {tlog::BranchOrigin(signer.name(), branch.record.scenario(), branch.record.name()),
       size,
       root,
       {}});
  auto note = tlog::SignNote(text, signer);
  if (!note.ok()) return nullptr;
  batch->Put(store_->meta, keys::CheckpointKey(branch.sid, branch.bid), *note);
  return std::make_shared<const SignedCheckpoint>(
      SignedCheckpoint{size, std::move(root), *std::move(note)});
}

absl::StatusOr<SignedCheckpoint> RocksLedger::Checkpoint(std::string_view scenario,
                                                         std::string_view branch) {
  if (!options_.checkpoint_signer)
    return absl::FailedPreconditionError(
        "this server signs no checkpoints (it was started without a signing key)");
  auto r = Resolve(scenario, branch);
  if (!r.ok()) return r.status();
  BranchState& b = *r->branch;
  auto latest = b.checkpoints.latest.load();
  if (latest && latest->size >= b.Head().seq) return *latest;
  std::lock_guard lock(b.checkpoints.mu);
  if (absl::Status s = LoadCheckpoint(b); !s.ok()) return s;
  // A leader may have signed a later head while this call waited.
  const uint64_t head = b.Head().seq;
  latest = b.checkpoints.latest.load();
  if (latest && latest->size >= head) return *latest;
  auto root = tlog::Root(head, TreeReader(*store_, b));
  if (!root.ok()) return root.status();
  rocksdb::WriteBatch batch;
  auto signed_now = StageCheckpoint(b, head, *std::move(root), &batch);
  if (!signed_now) return absl::InternalError("could not sign the checkpoint");
  // Kept for the next process's check; a failed write (a full disk) only
  // leaves it to be signed again.
  if (store_->guard->CheckWritable().ok()) (void)store_->db->Write(WriteOpts(), &batch);
  b.checkpoints.latest.store(signed_now);
  return *signed_now;
}

}  // namespace demarche::ledger
