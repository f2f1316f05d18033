// Offline audit bundles (proto/demarche/v1/audit_bundle.proto; format in
// docs/audit-bundle.md): `export --bundle` writes the stored events, signed
// checkpoints and verifier key of branch lineages; `verify-bundle` checks a
// bundle with no server: every record canonical, each checkpoint signed,
// each root recomputed from the events, the hash chain re-hashed and linked,
// each fork's tree its parent's up to the fork point.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/client.h"
#include "cli/trust.h"
#include "tlog/note.h"

namespace demarche::cli {

inline constexpr std::string_view kAuditBundleFormat = "demarche-audit-bundle/1";

// The bundle of `branches` (parents before forks, as LineagesToCheck
// returns them) read from the server. Throws Refused when the server's
// answers do not verify (a bundle is checked before it is handed out) and
// CliError when a call fails.
std::string ReadAuditBundle(Client& c, const std::vector<v1::Branch>& branches,
                            const std::vector<tlog::Verifier>& pinned);

struct BundleBranchReport {
  std::string name, parent;
  uint64_t fork_after_seq = 0;
  uint64_t own_events = 0;
  uint64_t size = 0;  // the checkpoint's tree size
  std::string root;
  std::string since_seen;  // against the checkpoints the trust store has seen
};
struct BundleReport {
  std::string scenario;
  std::string verifier_key;
  bool key_pinned = false;  // one of `pinned`, not only the bundle's own
  std::vector<BundleBranchReport> branches;
};

// Checks `bytes` as above. The checkpoints must be signed by the header's
// key, and that key must be one of `pinned` when any is given. A
// checkpoint of `seen` (origin -> size, root) at or below a branch's size
// must be its tree at that size. The error names the record (by number
// from 1, and branch and seq where there is one) and what does not hold.
absl::StatusOr<BundleReport> VerifyAuditBundle(std::string_view bytes,
                                               const std::vector<tlog::Verifier>& pinned,
                                               const std::map<std::string, SeenCheckpoint>& seen);

}  // namespace demarche::cli
