// What the CLI checks of a server's checkpoints without trusting it: each
// is signed by a pinned key, names the branch it was asked for, and is
// proved consistent with the checkpoint of that log seen before and (for a
// fork) with its parent's tree at the fork point. Shared by verify, show and
// log --prove, and export --bundle.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/client.h"
#include "cli/trust.h"
#include "tlog/checkpoint.h"
#include "tlog/note.h"

namespace demarche::cli {

// A check that failed: what, for the user.
struct Refused : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class CheckpointChecker {
 public:
  CheckpointChecker(Client& c, std::vector<tlog::Verifier> keys,
                    std::map<std::string, SeenCheckpoint> seen);

  struct Checked {
    tlog::Checkpoint cp;
    std::string note;  // as the server sent it
    std::string signer, since_seen, fork;
  };

  // The branch's checkpoint, signed by a pinned key and consistent with the
  // one seen before; throws Refused.
  Checked Check(const std::string& branch);
  // A fork's tree at its fork point is its parent's: one claimed root, two
  // proofs to the two signed roots. Returns how it was proved.
  std::string CheckFork(const v1::Branch& b, const tlog::Checkpoint& cp,
                        const tlog::Checkpoint& parent);

  // The checkpoints seen, with those checked here (for TrustStore::SaveSeen).
  const std::map<std::string, SeenCheckpoint>& seen() const { return seen_; }

 private:
  void Extends(const std::string& branch, uint64_t size1, const tlog::Checkpoint& cp,
               std::string* root1);
  std::string SinceSeen(const std::string& branch, const tlog::Checkpoint& cp);

  Client& c_;
  std::vector<tlog::Verifier> keys_;
  std::map<std::string, SeenCheckpoint> seen_;
};

// The scenario's branches to check: `branch` and its ancestors, or all when
// empty; parents before forks. Throws CliError.
std::vector<v1::Branch> LineagesToCheck(Client& c, const std::string& branch);

}  // namespace demarche::cli
