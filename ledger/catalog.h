// In-memory state of scenarios and branches (loaded at Open, kept in step
// with every write), and branch lineages.
//
// A lineage is the chain of segments a branch reads: its ancestors' events up
// to each fork point, then its own. Forking stores only the branch record, so
// a lineage is computed from the parent chain on every read (O(depth)).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "demarche/v1/scenario.pb.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/store.h"
#include "ledger/validate.h"
#include "tlog/merkle.h"

namespace demarche::ledger {

struct AppendRequest;

struct BranchState {
  uint32_t sid = 0;
  uint32_t bid = 0;
  v1::Branch record;                    // immutable; head_seq / head_hash are not kept here
  std::shared_ptr<BranchState> parent;  // null for main
  uint32_t cutoff_key = 0;              // SortKey(date_cutoff), or UINT32_MAX when there is none

  // The committed head; written only by the branch's group-commit leader.
  keys::Head Head() const {
    std::lock_guard lock(head_mu);
    return head;
  }
  mutable std::mutex head_mu;
  std::condition_variable head_cv;  // notified on a new head and on Shutdown
  keys::Head head;

  // Group commit: appenders queue here; one of them (the leader) drains the
  // queue into one WriteBatch while the others wait.
  std::mutex queue_mu;
  std::condition_variable queue_cv;
  std::deque<AppendRequest*> queue;
  bool leader_active = false;
  // Store::DateHighWater of the committed events, loaded by the first
  // leader of this process; read and written only by the leader (the
  // queue_mu hand-over orders successive leaders).
  std::optional<uint32_t> high_water;
  // The Merkle tree's right edge at the committed head (ledger/tree.h),
  // loaded by the first leader of this process; the leader's, as high_water.
  std::optional<tlog::Frontier> frontier;

  // The last signed checkpoint of the tree (ledger/checkpoints.cc).
  struct Checkpoints {
    // Held while a checkpoint is signed and stored (by the leader across
    // its write), so that stored checkpoints only grow.
    std::mutex mu;
    bool loaded = false;   // the stored one was read and checked
    absl::Status refused;  // why no checkpoint may be signed any more
    std::atomic<std::shared_ptr<const SignedCheckpoint>> latest;
  } checkpoints;
};

struct ScenarioState {
  uint32_t sid = 0;
  v1::Scenario record;
  Roster roster;
  // Guarded by the ledger's catalog mutex.
  std::map<std::string, std::shared_ptr<BranchState>, std::less<>> branches;
  uint32_t next_bid = 1;
};

// Seqs [lo, hi] of one branch's own events, visible when their occurred sort
// key <= cutoff_key.
struct Segment {
  const BranchState* branch = nullptr;  // not for iterators, which may outlive it
  uint32_t bid = 0;
  uint64_t lo = 0;
  uint64_t hi = 0;
  uint32_t cutoff_key = UINT32_MAX;
};

// Segments of `leaf`'s lineage in ascending seq order, up to seq `hi`
// (normally the head). With honour_cutoffs = false every cutoff is ignored:
// the physical hash chain that Verify walks.
std::vector<Segment> Lineage(const BranchState& leaf, uint64_t hi, bool honour_cutoffs = true);

struct Located {
  const Segment* segment = nullptr;
  keys::IdLocation location;
};

// Finds a client id among the visible events of `segments`.
absl::StatusOr<std::optional<Located>> LookupId(const Store& store, uint32_t sid,
                                                const std::vector<Segment>& segments,
                                                std::string_view id);

// The visible event at `seq`, or nullopt (absent, or hidden by a cutoff).
absl::StatusOr<std::optional<v1::Event>> EventAtSeq(const Store& store, uint32_t sid,
                                                    const std::vector<Segment>& segments,
                                                    uint64_t seq);

}  // namespace demarche::ledger
